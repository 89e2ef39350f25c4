/**
 * Hostile input: a corpus of bad messages (random bytes, truncated, oversized, wrong magic,
 * unknown fingerprints, valid Avro with out-of-range values, huge strings, keys that are not
 * the test's UTF-8 name, missing values) between valid runs. Zero crashes; every bad message
 * in the dead-letter topic exactly once with the reason the contract gives it, its bytes and
 * its source; the valid runs around them applied exactly; a restart adds no dead letter.
 */
import { createCodec, MAX_MESSAGE_BYTES, type RunCompleted } from "../../../services/contract/index.ts";
import { run as validRun } from "../../support/runs.ts";
import { readTopic } from "../../support/topic-reader.ts";
import type { Part } from "../part.ts";
import { runFactory, testNames } from "../support/events.ts";
import { firstDifference, renderDomain } from "../support/exposition.ts";
import {
  createPublisher,
  createTopics,
  deleteTopics,
  kafkaFor,
  type RawMessage,
  runMessage,
  topicSize,
} from "../support/kafka.ts";
import type { Random } from "../support/random.ts";
import {
  alive,
  consumed,
  scrape,
  scrapeDomain,
  selfMetric,
  sleep,
  startOn,
  waitFor,
  waitReady,
} from "../support/service.ts";

const ANY = "*";
/**
 * RELIABILITY_FUZZ_SMALL=1 leaves out the flood and keeps oversized messages just over the
 * limit, so the dead letters of one fetched batch stay small: a diagnostic mode that checks the
 * other guarantees apart from the dead-letter chunking (kafka/dead-letters.ts).
 */
const SMALL = process.env.RELIABILITY_FUZZ_SMALL === "1";

interface Hostile {
  kind: string;
  key: Buffer | null;
  value: Buffer | null;
  /** The reason the dead letter must carry; ANY for a random Avro body; "!r" for anything but r. */
  reason: string;
}

const codec = createCodec();

/** A run that passes validation, for mutating one field of. */
/**
 * What a message that does not start with C3 01 is refused as, by its first byte, with no schema
 * registry configured: 01 is the newer Confluent framing (16-byte id), 00 the Confluent framing
 * (a 5-byte header: shorter is truncated), anything else is not a framing at all.
 */
function magicReason(bytes: Buffer): string {
  if (bytes[0] === 0x01) return "unsupported_framing";
  if (bytes[0] === 0x00) return bytes.length < 5 ? "truncated" : "registry_not_configured";
  return "bad_magic";
}

function base(random: Random): RunCompleted {
  return validRun({ runId: `fuzz-${random.int(0, 2 ** 30)}`, test: `fuzz-test-${random.int(0, 9)}` });
}

function encoded(run: RunCompleted): RawMessage {
  return { key: Buffer.from(run.test, "utf8"), value: codec.encode(run, 2) };
}

function outOfRange(random: Random): [string, Partial<RunCompleted>, string][] {
  const t = Date.UTC(2026, 0, 1);
  return [
    ["score 101", { score: 101 }, "score_out_of_range"],
    ["score -1", { score: -1 }, "score_out_of_range"],
    ["score 2^31-1", { score: 2 ** 31 - 1 }, "score_out_of_range"],
    [
      "completedAt < startedAt",
      { startedAt: t, completedAt: t - random.int(1, 10_000) },
      "completed_before_started",
    ],
    ["startedAt negative", { startedAt: -1, completedAt: t }, "timestamp_out_of_range"],
    ["completedAt in year 10000", { startedAt: t, completedAt: 253402300800000 }, "timestamp_out_of_range"],
    ["backupCreatedAt negative", { backupCreatedAt: -5 }, "timestamp_out_of_range"],
    ["rtoSeconds NaN", { rtoSeconds: Number.NaN }, "invalid_number"],
    ["rtoSeconds -1", { rtoSeconds: -1 }, "invalid_number"],
    ["rtoSeconds +Inf", { rtoSeconds: Number.POSITIVE_INFINITY }, "invalid_number"],
    ["rtoSeconds > 1 year", { rtoSeconds: 365 * 86400 + 1 }, "invalid_number"],
    ["rtoTargetSeconds -0.5", { rtoTargetSeconds: -0.5 }, "invalid_number"],
    ["empty runId", { runId: "" }, "empty_run_id"],
    ["runId of 513 chars", { runId: "r".repeat(513) }, "oversized_field"],
    ["namespace of 254 chars", { namespace: "n".repeat(254) }, "oversized_field"],
    ["backupName of 20000 chars", { backupName: "b".repeat(20_000) }, "oversized_field"],
    ["cluster of 254 chars", { cluster: "c".repeat(254) }, "oversized_field"],
  ];
}

function hostile(random: Random, tests: readonly string[]): Hostile {
  const r = base(random);
  const good = encoded(r);
  const value = good.value as Buffer;
  switch (random.int(0, 13)) {
    case 0: {
      const bytes = random.bytes(random.int(1, 300));
      if (bytes[0] === 0xc3) bytes[0] = 0x00;
      return {
        kind: "random bytes",
        key: random.bytes(random.int(0, 20)),
        value: bytes,
        reason: magicReason(bytes),
      };
    }
    case 1: {
      const bytes = Buffer.from(value);
      if (random.chance(0.5)) bytes[0] = random.pick([0x00, 0xc2, 0xc4, 0xff, 0x01]);
      else bytes[1] = random.pick([0x00, 0x02, 0xff]);
      return { kind: "wrong magic", key: good.key, value: bytes, reason: magicReason(bytes) };
    }
    case 2:
      return {
        kind: "short header",
        key: good.key,
        value: value.subarray(0, random.int(1, 9)),
        reason: "truncated",
      };
    case 3: {
      const bytes = Buffer.from(value);
      random.bytes(8).copy(bytes, 2);
      return { kind: "unknown fingerprint", key: good.key, value: bytes, reason: "unknown_fingerprint" };
    }
    case 4:
      return {
        kind: "truncated datum",
        key: good.key,
        value: value.subarray(0, random.int(10, value.length - 1)),
        reason: "truncated",
      };
    case 5:
      return {
        kind: "trailing bytes",
        key: good.key,
        value: Buffer.concat([value, random.bytes(random.int(1, 50))]),
        reason: "trailing_bytes",
      };
    case 6: {
      // Beyond the limit by 1 byte up to a few hundred KiB; exactly at the limit is not "too large".
      const at = random.chance(0.2);
      const size = at
        ? MAX_MESSAGE_BYTES
        : MAX_MESSAGE_BYTES + (random.chance(0.3) ? 1 : random.int(2, SMALL ? 100 : 300_000));
      const bytes = Buffer.concat([value.subarray(0, 10), random.bytes(size - 10)]);
      return at
        ? {
            kind: "64 KiB exactly, random body",
            key: Buffer.concat([Buffer.from([0xff]), random.bytes(4)]),
            value: bytes,
            reason: "!too_large",
          }
        : { kind: "oversized", key: random.bytes(6), value: bytes, reason: "too_large" };
    }
    case 7: {
      const [what, change, reason] = random.pick(outOfRange(random));
      const bad = { ...r, ...change };
      return { kind: `out of range: ${what}`, ...encoded(bad), reason };
    }
    case 8: {
      // Huge strings: under the message limit the field limit refuses them, over it the size.
      // (The key stays short: kafkajs takes seconds to produce a key of 100+ KB.)
      const n = random.pick(SMALL ? [254, 1000, 5000] : [254, 1000, 40_000, 70_000, 200_000]);
      const name = "t".repeat(n);
      const m = encoded({ ...r, test: name });
      return {
        kind: `test name of ${n} chars`,
        key: n > 1000 ? Buffer.from("huge") : m.key,
        value: m.value,
        reason: (m.value as Buffer).length > MAX_MESSAGE_BYTES ? "too_large" : "oversized_field",
      };
    }
    case 9: {
      const test = random.pick(["café-db", "zürich", "ok-name"]);
      const m = encoded({ ...r, test });
      const key = random.pick([
        Buffer.from([0xff, 0xfe, 0xfd]),
        Buffer.from(test, "latin1"),
        Buffer.concat([Buffer.from(test, "utf8"), Buffer.from([0x80])]),
        Buffer.from(random.pick(tests), "utf8"),
        null,
      ]);
      if (key?.equals(m.key as Buffer)) return { kind: "key", ...m, reason: "" };
      return { kind: "key not the test's UTF-8 name", key, value: m.value, reason: "key_mismatch" };
    }
    case 10: {
      // Invalid UTF-8 inside the Avro string: decodes to U+FFFD, so the raw key cannot match.
      const m = encoded({ ...r, test: "QQQ" });
      const bytes = Buffer.from(m.value as Buffer);
      const at = bytes.indexOf("QQQ");
      Buffer.from([0xff, 0xc3, 0x28]).copy(bytes, at);
      return {
        kind: "invalid UTF-8 in test",
        key: Buffer.from([0xff, 0xc3, 0x28]),
        value: bytes,
        reason: "key_mismatch",
      };
    }
    case 11:
      return {
        kind: "missing value",
        key: good.key,
        value: random.chance(0.5) ? null : Buffer.alloc(0),
        reason: "missing_value",
      };
    case 12: {
      const m = encoded({ ...r, test: "" });
      return { kind: "empty test", ...m, reason: "empty_test" };
    }
    default:
      // A known header and a random body; the key is no UTF-8 string, so it can never be applied.
      return {
        kind: "random Avro body",
        key: Buffer.from([0xff]),
        value: Buffer.concat([value.subarray(0, 10), random.bytes(random.int(0, 400))]),
        reason: ANY,
      };
  }
}

const ID_HEADER = "reliability.id";

export const fuzzPart: Part = async (ctx) => {
  const p = ctx.profile.fuzz;
  const { random } = ctx;
  const kafka = kafkaFor(ctx.brokers, "reliability-fuzz");
  const topic = ctx.unique("fuzz");
  const dlq = `${topic}.dlq`;
  const t0 = Date.now();
  await createTopics(kafka, topic, dlq);
  ctx.log(`fuzz: topics created in ${Date.now() - t0} ms`);
  const tests = testNames(40, "fz");
  const factory = runFactory(random, tests, "f");
  const corpus: Hostile[] = [];
  const valid: RunCompleted[] = [];
  const messages: RawMessage[] = [];
  const flood = SMALL ? 0 : p.flood;
  while (corpus.length < p.hostile - flood) {
    for (let i = random.int(0, p.validBetween); i > 0; i--) {
      const r = factory.next();
      valid.push(r);
      messages.push(runMessage(r, random));
    }
    const h = hostile(random, tests);
    if (h.reason === "") continue;
    messages.push({ key: h.key, value: h.value, headers: { [ID_HEADER]: String(corpus.length) } });
    corpus.push(h);
  }
  // A flood: a misbehaving producer writing small garbage at full speed into one partition.
  const floodKey = Buffer.from("flood");
  for (let i = 0; i < flood; i++) {
    // Tiny values: each dead letter carries ~250 bytes of headers more than its source record.
    const bytes = random.bytes(random.int(10, 40));
    bytes[0] = 0x7b;
    messages.push({ key: floodKey, value: bytes, headers: { [ID_HEADER]: String(corpus.length) } });
    corpus.push({ kind: "flood of small garbage", key: floodKey, value: bytes, reason: "bad_magic" });
  }
  for (let i = 0; i < p.validBetween; i++) {
    const r = factory.next();
    valid.push(r);
    messages.push(runMessage(r, random));
  }
  ctx.log(`fuzz: corpus built in ${Date.now() - t0} ms`);
  const publisher = await createPublisher(kafka, topic);
  await publisher.send(messages);
  await publisher.close();
  const total = await topicSize(kafka, topic);
  ctx.log(
    `fuzz: published ${corpus.length} hostile and ${valid.length} valid messages (${total} in the topic)`,
  );

  const failures: string[] = [];
  const s = await startOn(ctx.brokers, topic, `${topic}.group`);
  try {
    await waitReady(s, 120_000);
    await waitFor(
      "every message consumed",
      async () => {
        if (!alive(s)) throw new Error("the service exited");
        return consumed(await scrape(s)) >= total ? true : undefined;
      },
      60_000,
    );
  } catch {
    const fatal = s
      .output()
      .split("\n")
      .filter((l) => /"level":"error"|Crash/.test(l))
      .slice(0, 4);
    const letters = await topicSize(kafka, dlq).catch(() => -1);
    const state = alive(s) ? "did not consume everything" : `EXITED (code ${s.process.exitCode})`;
    return {
      figures: [
        `${corpus.length} hostile messages among ${valid.length} valid ones (${total} in the topic)`,
        `the service ${state}; ${letters} dead letters published before that`,
      ],
      failures: [`zero crashes: the service ${state} on the corpus:\n    ${fatal.join("\n    ")}`],
    };
  }
  const served = await scrapeDomain(s);
  const metrics = await scrape(s);
  const expected = renderDomain(valid);
  if (served !== expected)
    failures.push(`valid runs not applied exactly: ${firstDifference(served, expected)}`);

  // Which source offset holds which corpus entry, read back by an independent consumer.
  const source = await readTopic(kafka, topic, 60_000);
  const at = new Map<string, Hostile>();
  for (const m of source) {
    const id = m.headers[ID_HEADER];
    if (id !== undefined) at.set(`${m.partition}/${m.offset}`, corpus[Number(id)] as Hostile);
  }
  const letters = await waitFor(
    "the dead letters",
    async () => {
      const read = await readTopic(kafka, dlq, 60_000);
      return read.length >= corpus.length ? read : undefined;
    },
    30_000,
  ).catch(() => readTopic(kafka, dlq, 60_000));
  const seen = new Map<string, number>();
  const byReason = new Map<string, number>();
  let wrong = 0;
  for (const l of letters) {
    const where = `${l.headers["kymaros.source.partition"]}/${l.headers["kymaros.source.offset"]}`;
    seen.set(where, (seen.get(where) ?? 0) + 1);
    const h = at.get(where);
    const reason = l.headers["kymaros.dlq.reason"] ?? "<none>";
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    if (!h) {
      failures.push(`dead letter for ${where} (${reason}) is not a hostile message`);
      continue;
    }
    const problems: string[] = [];
    const allowed =
      h.reason === ANY || (h.reason.startsWith("!") ? reason !== h.reason.slice(1) : reason === h.reason);
    if (!allowed) problems.push(`reason ${reason}, expected ${h.reason}`);
    if (l.headers["kymaros.source.topic"] !== topic)
      problems.push(`source topic ${l.headers["kymaros.source.topic"]}`);
    if (!(l.headers["kymaros.dlq.detail"] ?? "")) problems.push("no detail");
    const sameValue = (l.value ?? Buffer.alloc(0)).equals(h.value ?? Buffer.alloc(0));
    const sameKey = (l.key ?? Buffer.alloc(0)).equals(h.key ?? Buffer.alloc(0));
    if (!sameValue || !sameKey) problems.push("key or value bytes differ from the original");
    if (problems.length > 0) {
      wrong += 1;
      if (wrong <= 10) failures.push(`${h.kind} at ${where}: ${problems.join(", ")}`);
    }
  }
  const missing = [...at.keys()].filter((k) => !seen.has(k));
  const twice = [...seen.values()].filter((n) => n > 1).length;
  for (const k of missing.slice(0, 10)) failures.push(`${at.get(k)?.kind} at ${k}: no dead letter`);
  if (twice > 0) failures.push(`${twice} messages dead-lettered more than once`);
  if (wrong > 10) failures.push(`... ${wrong - 10} more dead letters with the wrong content`);
  let countMismatch = 0;
  for (const [reason, n] of byReason) {
    const counted = selfMetric(metrics, "kymaros_api_invalid_events_total", `reason="${reason}"`);
    if (counted !== n) {
      countMismatch += 1;
      failures.push(`kymaros_api_invalid_events_total{reason="${reason}"} is ${counted}, ${n} dead letters`);
    }
  }
  if (!alive(s)) failures.push(`the service exited: ${s.output().slice(-2000)}`);

  // A restart that replays the same bad messages (a full replay: from the state changelog it
  // would read on past them) must not dead-letter them again.
  await s.stop("SIGTERM");
  const s2 = await startOn(ctx.brokers, topic, `${topic}.group`, { KYMAROS_STATE_REBUILD: "true" });
  await waitReady(s2, 120_000);
  await waitFor(
    "every message consumed",
    async () => (consumed(await scrape(s2)) >= total ? true : undefined),
    60_000,
    s2,
  );
  await sleep(1000);
  const after = await topicSize(kafka, dlq);
  const skipped = selfMetric(await scrape(s2), "kymaros_api_dead_letters_total", 'result="skipped"');
  const servedAgain = await scrapeDomain(s2);
  if (after !== letters.length)
    failures.push(`after a restart the DLQ holds ${after} letters, before ${letters.length}`);
  if (skipped !== corpus.length)
    failures.push(`after a restart ${skipped} dead letters skipped, expected ${corpus.length}`);
  if (servedAgain !== expected) failures.push(`after a restart: ${firstDifference(servedAgain, expected)}`);
  const crashed = !alive(s2) || /stopped for good|start failed/.test(s.output() + s2.output());
  if (crashed) failures.push("the service crashed");
  await s2.stop("SIGTERM");

  const kinds = new Map<string, number>();
  for (const h of corpus) {
    const k = h.kind.startsWith("out of range")
      ? "out of range"
      : h.kind.startsWith("test name of")
        ? "huge strings"
        : h.kind;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  const figures = [
    `${corpus.length} hostile messages among ${valid.length} valid ones; crashes: ${crashed ? 1 : 0}`,
    `dead letters: ${letters.length} (${missing.length} missing, ${twice} twice, ${wrong} with a wrong reason/source/bytes)`,
    `by reason: ${[...byReason]
      .sort()
      .map(([r, n]) => `${r} ${n}`)
      .join(", ")}`,
    `corpus: ${[...kinds]
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")}`,
    `valid runs applied exactly: ${served === expected ? "yes" : "NO"}; counters by reason match: ${countMismatch === 0 ? "yes" : "NO"}`,
    `restart: ${after - letters.length} new dead letters, ${skipped} skipped`,
  ];
  if (failures.length === 0) await deleteTopics(kafka, [topic, dlq]);
  return { figures, failures };
};
