/**
 * The service end to end against the real broker: runs published through the SDK, restarts,
 * duplicates, late events, dead letters, mixed writer versions, empty topics, bad settings.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { createCodec, type RunCompleted } from "../../services/contract/index.ts";
import { createProducer, type RunProducer } from "../../services/producer/index.ts";
import { domainSamples } from "../support/exposition.ts";
import { testBrokers, testKafka, uniqueTopic } from "../support/kafka.ts";
import { expectedSamples, numericSamples } from "../support/model.ts";
import { run, runArb } from "../support/runs.ts";
import {
  type RunningService,
  scrape,
  selfMetric,
  startService,
  waitFor,
  waitReady,
} from "../support/service.ts";
import { readTopic } from "../support/topic-reader.ts";

const kafka = testKafka("service-test");
const running: RunningService[] = [];
const producers: RunProducer[] = [];

async function service(
  topic: string,
  groupId: string,
  env?: Record<string, string>,
): Promise<RunningService> {
  const s = await startService({ topic, groupId, ...(env ? { env } : {}) });
  running.push(s);
  await waitReady(s);
  return s;
}

function producer(topic: string): RunProducer {
  const p = createProducer({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic });
  producers.push(p);
  return p;
}

/** Domain lines of a scrape, exactly as served. */
function domainText(text: string): string {
  return text
    .split("\n")
    .filter((l) => /^kymaros_(?!api_)/.test(l) || /^# (HELP|TYPE) kymaros_(?!api_)/.test(l))
    .join("\n");
}

async function waitForValues(s: RunningService, log: readonly RunCompleted[]): Promise<string> {
  const expected = expectedSamples(log);
  let last = new Map<string, number>();
  try {
    return await waitFor("the domain metrics to equal the published runs", async () => {
      const text = await scrape(s);
      last = numericSamples(domainSamples(text));
      try {
        assert.deepEqual(last, expected);
        return text;
      } catch {
        return undefined;
      }
    });
  } catch (err) {
    assert.deepEqual(last, expected, String(err));
    throw err;
  }
}

after(async () => {
  for (const p of producers) await p.close();
  for (const s of running) await s.stop("SIGKILL");
});

describe("a service consuming runs published through the SDK", () => {
  const topic = uniqueTopic("svc");
  const groupId = `${topic}.group`;
  // A realistic log: the reference's tests and names that need escaping, v1 and v2 writers.
  const log = fc.sample(
    fc.uniqueArray(runArb(), { minLength: 80, maxLength: 80, selector: (r) => `${r.test}/${r.runId}` }),
    {
      seed: 42,
      numRuns: 1,
    },
  )[0] as RunCompleted[];
  const v1 = log.slice(0, 40).map((r) => ({ ...r, cluster: null }));
  const v2 = log.slice(40);
  let firstScrape = "";

  test("shows exactly the values computed from the published runs, v1 and v2 writers mixed", async () => {
    const s = await service(topic, groupId);
    const p = producer(topic);
    await p.publishMany(v1, { schemaVersion: 1 });
    await p.publishMany(v2, { schemaVersion: 2 });
    firstScrape = await waitForValues(s, [...v1, ...v2]);
    assert.equal(selfMetric(firstScrape, "kymaros_api_events_total", 'outcome="applied"'), 80);
  });

  test("duplicates change nothing and late runs count without moving gauges", async () => {
    const s = running[0] as RunningService;
    const p = producer(topic);
    const target = v2[0] as RunCompleted;
    const late: RunCompleted = {
      ...target,
      runId: `late-${randomUUID()}`,
      score: target.score === 0 ? 1 : 0,
      startedAt: target.startedAt - 86_400_000 * 30,
      completedAt: target.startedAt - 86_400_000 * 30 + 1000,
    };
    await p.publishMany([...v2.slice(0, 10), ...v1.slice(0, 5)], { schemaVersion: 2 });
    await p.publish(late);
    const text = await waitForValues(s, [...v1, ...v2, late]);
    assert.equal(selfMetric(text, "kymaros_api_events_total", 'outcome="duplicate"'), 15);
    firstScrape = text;
  });

  test("a restarted service serves byte-identical domain metrics", async () => {
    const s = running[0] as RunningService;
    const code = await s.stop("SIGTERM");
    assert.equal(code, 0);
    const again = await service(topic, groupId);
    assert.equal(domainText(await scrape(again)), domainText(firstScrape));
  });
});

describe("bad messages", () => {
  const topic = uniqueTopic("dlq");
  const dlqTopic = `${topic}.dlq`;
  const groupId = `${topic}.group`;
  const codec = createCodec();

  test("go to the dead-letter topic with their reason while the valid ones around them apply", async () => {
    const s = await service(topic, groupId);
    const good = [
      run({ runId: "g1", score: 10 }),
      run({ runId: "g2", score: 20 }),
      run({ runId: "g3", score: 30 }),
    ];
    const valid = (r: RunCompleted) => ({ key: r.test, value: codec.encode(r) });
    const truncated = codec.encode(run({ runId: "t" })).subarray(0, -3);
    const key = "my-app-nightly";
    const producerRaw = kafka.producer();
    await producerRaw.connect();
    // One key, one partition: the order below is the order in the log.
    const sent = [
      { message: valid(good[0] as RunCompleted), reason: null },
      { message: { key, value: Buffer.from("not avro at all") }, reason: "bad_magic" },
      {
        message: { key, value: codec.encode(run({ runId: "s", score: 120 })) },
        reason: "score_out_of_range",
      },
      { message: valid(good[1] as RunCompleted), reason: null },
      { message: { key, value: truncated }, reason: "truncated" },
      {
        message: { key, value: codec.encode(run({ runId: "c", completedAt: Date.UTC(2020, 0, 1) })) },
        reason: "completed_before_started",
      },
      {
        message: {
          key,
          value: Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 7), Buffer.from("x")]),
        },
        reason: "unknown_fingerprint",
      },
      { message: valid(good[2] as RunCompleted), reason: null },
    ];
    const acks = await producerRaw.send({ topic, acks: -1, messages: sent.map((m) => m.message) });
    await producerRaw.disconnect();
    const partition = acks[0]?.partition as number;
    const baseOffset = Number(acks[0]?.baseOffset);

    const text = await waitForValues(s, good);
    assert.match(text, /^kymaros_score\{test="my-app-nightly"\} 30$/m);
    const expectedLetters = sent
      .map((m, i) => ({ reason: m.reason, offset: String(baseOffset + i), value: m.message.value }))
      .filter((m) => m.reason !== null);
    await waitFor("every dead letter to be counted", async () =>
      selfMetric(await scrape(s), "kymaros_api_invalid_events_total") === expectedLetters.length
        ? true
        : undefined,
    );
    for (const reason of new Set(expectedLetters.map((l) => l.reason))) {
      const n = expectedLetters.filter((l) => l.reason === reason).length;
      assert.equal(
        selfMetric(await scrape(s), "kymaros_api_invalid_events_total", `reason="${reason}"`),
        n,
        reason as string,
      );
    }

    const letters = await readTopic(kafka, dlqTopic);
    assert.deepEqual(
      letters.map((l) => ({
        reason: l.headers["kymaros.dlq.reason"],
        offset: l.headers["kymaros.source.offset"],
        partition: l.headers["kymaros.source.partition"],
        topic: l.headers["kymaros.source.topic"],
        value: l.value?.toString("hex"),
        key: l.key?.toString(),
      })),
      expectedLetters.map((l) => ({
        reason: l.reason,
        offset: l.offset,
        partition: String(partition),
        topic,
        value: l.value.toString("hex"),
        key,
      })),
    );
    for (const l of letters) assert.ok((l.headers["kymaros.dlq.detail"] ?? "").length > 0, "a detail text");
  });

  test("a replay does not dead-letter the same messages again", async () => {
    const s = running.at(-1) as RunningService;
    assert.equal(await s.stop("SIGTERM"), 0);
    // A full replay (the state changelog ignored: a start from it would not read them again).
    const again = await service(topic, groupId, { KYMAROS_STATE_REBUILD: "true" });
    const text = await scrape(again);
    assert.equal(selfMetric(text, "kymaros_api_dead_letters_total", 'result="skipped"'), 5);
    assert.equal(selfMetric(text, "kymaros_api_dead_letters_total", 'result="published"'), 0);
    assert.equal((await readTopic(kafka, dlqTopic)).length, 5);
  });

  test("a message keyed by anything but its test name is refused", async () => {
    const s = running.at(-1) as RunningService;
    const p = kafka.producer();
    await p.connect();
    await p.send({
      topic,
      acks: -1,
      messages: [{ key: Buffer.from([0xff, 0xfe]), value: codec.encode(run({ runId: "k" })) }],
    });
    await p.disconnect();
    await waitFor("the key_mismatch to be counted", async () =>
      selfMetric(await scrape(s), "kymaros_api_invalid_events_total", 'reason="key_mismatch"') === 1
        ? true
        : undefined,
    );
  });
});

describe("start and stop", () => {
  test("against a missing topic: creates both topics with unlimited retention and serves empty families", async () => {
    const topic = uniqueTopic("empty");
    const s = await service(topic, `${topic}.group`);
    const text = await scrape(s);
    assert.match(text, /^# TYPE kymaros_tests_total counter$/m);
    assert.equal(domainSamples(text).size, 0);
    assert.equal(selfMetric(text, "kymaros_api_topic_retention_finite"), 0);
    const admin = kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    assert.ok(topics.includes(topic) && topics.includes(`${topic}.dlq`));
  });

  test("SIGTERM: not ready, leaves the group and exits 0 within 10 s", async () => {
    const topic = uniqueTopic("term");
    const groupId = `${topic}.group`;
    const s = await service(topic, groupId);
    const began = Date.now();
    assert.equal(await s.stop("SIGTERM"), 0);
    assert.ok(Date.now() - began < 10_000, `exit took ${Date.now() - began} ms`);
    const admin = kafka.admin();
    await admin.connect();
    const { groups } = await admin.describeGroups([groupId]);
    await admin.disconnect();
    assert.equal(groups[0]?.members.length, 0, "no member left in the group");
  });

  test("a bad setting stops the start with a one-line message naming it", () => {
    const main = fileURLToPath(new URL("../../services/api/main.ts", import.meta.url));
    for (const [setting, value] of [
      ["KYMAROS_PORT", "eighty"],
      ["KYMAROS_KAFKA_BROKERS", "no-port"],
      ["KYMAROS_LOG_LEVEL", "chatty"],
    ] as const) {
      const r = spawnSync(process.execPath, ["--import", "tsx", main], {
        env: { ...process.env, [setting]: value },
        encoding: "utf8",
        timeout: 20_000,
      });
      assert.equal(r.status, 2, setting);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] as string, new RegExp(`^kymaros-api: configuration error: ${setting}: `));
    }
  });
});
