/**
 * Handling a batch on the main thread, without a worker or a broker: a fake ingest that refuses
 * by the message's own content, and a fake dead-letter sink that records what it is sent.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createBatchHandler, decimal } from "../../../services/api/batch-handler.ts";
import type { DeadLetter, DeadLetterSink } from "../../../services/api/kafka/dead-letters.ts";
import type { SourceBatch, SourceMessage } from "../../../services/api/kafka/source.ts";
import { createSelfMetrics, type SelfMetrics } from "../../../services/api/metrics/serve/self.ts";
import type {
  IngestBatch,
  NameCollision,
  RawMessage,
  RefusedMessage,
} from "../../../services/api/worker/protocol.ts";
import { createLogger } from "../../../services/log/logger.ts";

test("decimal() reads any string as Number() does", () => {
  const digits = fc.stringMatching(/^[0-9]{0,20}$/);
  const other = fc.oneof(
    fc.constantFrom("-1", " 1", "1 ", "1e3", "0x10", "+5", "", "Infinity", "9007199254740993", "١٢"),
    fc.string({ maxLength: 17 }),
  );
  fc.assert(
    fc.property(fc.oneof({ arbitrary: digits, weight: 4 }, other), (s) => {
      assert.ok(Object.is(decimal(s), Number(s)), JSON.stringify(s));
    }),
    { numRuns: 2000 },
  );
});

type Kind = "applied" | "retired" | "duplicate" | "bad_magic" | "truncated";

/** A fake ingest: the value's text says what becomes of the message; refused ones come back copied. */
const fakeIngest =
  (tests: number, apartBy: NameCollision["apartBy"] = "namespace"): IngestBatch =>
  async (messages: readonly RawMessage[]) => {
    const kinds = messages.map((m) => m.value?.toString().split(":")[0] as Kind);
    const refused: RefusedMessage[] = [];
    kinds.forEach((kind, index) => {
      if (kind === "bad_magic" || kind === "truncated") {
        const m = messages[index] as RawMessage;
        refused.push({
          index,
          reason: kind,
          detail: `detail ${index}`,
          key: m.key === null ? null : new Uint8Array(m.key),
          value: m.value === null ? null : new Uint8Array(m.value),
        });
      }
    });
    // Later, like the worker: the handler must not need the messages any more by then.
    await new Promise((resolve) => setImmediate(resolve));
    const retired = kinds.filter((k) => k === "retired").length;
    return {
      applied: kinds.filter((k) => k === "applied").length + retired,
      retired,
      duplicate: kinds.filter((k) => k === "duplicate").length,
      refused,
      tests,
      retiredTests: tests >> 1,
      collidingNames: tests % 3,
      // A name the batch made colliding, as the worker reports it: once.
      newCollisions: retired > 0 ? [{ test: `name-${tests}`, apartBy }] : [],
    };
  };

function recordingSink(): DeadLetterSink & { sent: DeadLetter[][] } {
  const sent: DeadLetter[][] = [];
  return {
    sent,
    async send(letters) {
      sent.push(letters);
      return letters.length;
    },
    async close() {},
  };
}

async function value(
  metrics: SelfMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.text.getSingleMetric(name);
  assert.ok(metric, name);
  const { values } = await metric.get();
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value ?? 0;
}

const kindArb = fc.constantFrom<Kind>("applied", "retired", "duplicate", "bad_magic", "truncated");
const batchArb = fc
  .record({
    partition: fc.nat({ max: 5 }),
    first: fc.nat({ max: 1_000_000 }),
    messages: fc.array(
      fc.record({
        kind: kindArb,
        gap: fc.oneof({ arbitrary: fc.constant(0), weight: 5 }, fc.nat({ max: 3 })),
      }),
      { minLength: 1, maxLength: 30 },
    ),
    nullKey: fc.boolean(),
  })
  .map(({ partition, first, messages, nullKey }) => {
    let offset = first;
    const source: SourceMessage[] = messages.map(({ kind, gap }, i) => {
      offset += i === 0 ? 0 : 1 + gap;
      return {
        key: nullKey && i % 3 === 0 ? null : Buffer.from(`key-${i}`),
        value: Buffer.from(`${kind}:${i}`),
        offset: String(offset),
        timestamp: String(1_764_000_000_000 + i),
      };
    });
    const batch: SourceBatch = {
      topic: "events",
      partition,
      messages: source,
    };
    return { batch, kinds: messages.map((m) => m.kind) };
  });

test("refused messages go to the dead-letter group with their origin, every one of them", async () => {
  await fc.assert(
    fc.asyncProperty(batchArb, fc.nat({ max: 100 }), async ({ batch, kinds }, tests) => {
      const sink = recordingSink();
      const metrics = createSelfMetrics();
      const lines: string[] = [];
      const handle = createBatchHandler({
        ingestBatch: fakeIngest(tests),
        deadLetters: sink,
        metrics,
        logger: createLogger("debug", (line) => lines.push(line)),
        now: () => 1_800_000_000_000,
      });
      // Copies of what the test expects, taken before the handler sees the batch.
      const expected = batch.messages.flatMap((m, i) => {
        const kind = kinds[i] as Kind;
        if (kind !== "bad_magic" && kind !== "truncated") return [];
        return [
          {
            key: m.key === null ? null : Buffer.from(m.key),
            value: Buffer.from(m.value as Buffer),
            reason: kind,
            detail: `detail ${i}`,
            topic: "events",
            partition: batch.partition,
            offset: m.offset,
            timestamp: m.timestamp,
          },
        ];
      });
      const refused = kinds.filter((k) => k === "bad_magic" || k === "truncated").length;

      await handle(batch);

      assert.deepEqual(sink.sent, [expected]);
      const count = (k: Kind) => kinds.filter((x) => x === k).length;
      assert.equal(
        await value(metrics, "kymaros_api_events_total", { outcome: "applied" }),
        count("applied") + count("retired"),
      );
      assert.equal(await value(metrics, "kymaros_api_retirements_applied_total"), count("retired"));
      assert.equal(await value(metrics, "kymaros_api_retired_tests"), tests >> 1);
      assert.equal(await value(metrics, "kymaros_api_test_name_collisions"), tests % 3);
      const collisionLines = lines.filter((l) => l.includes("more than one namespace or cluster"));
      assert.equal(collisionLines.length, count("retired") > 0 ? 1 : 0);
      if (collisionLines.length > 0) assert.match(collisionLines[0] as string, new RegExp(`"name-${tests}"`));
      assert.equal(
        await value(metrics, "kymaros_api_events_total", { outcome: "duplicate" }),
        count("duplicate"),
      );
      assert.equal(await value(metrics, "kymaros_api_events_total", { outcome: "invalid" }), refused);
      for (const reason of ["bad_magic", "truncated"] as const) {
        assert.equal(await value(metrics, "kymaros_api_invalid_events_total", { reason }), count(reason));
      }
      assert.equal(
        await value(metrics, "kymaros_api_dead_letters_total", { result: "published" }),
        expected.length,
      );
      // What an earlier run wrote is the dead-letter group's to skip (and count), not the handler's.
      assert.equal(await value(metrics, "kymaros_api_dead_letters_total", { result: "skipped" }), 0);
      assert.equal(await value(metrics, "kymaros_api_tests"), tests);
      assert.equal(
        await value(metrics, "kymaros_api_last_applied_event_timestamp_seconds"),
        count("applied") + count("retired") > 0 ? 1_800_000_000 : 0,
      );
      // One log line for a batch with refusals, none without.
      assert.equal(lines.filter((l) => l.includes('"refused messages"')).length, refused > 0 ? 1 : 0);
    }),
    { numRuns: 200 },
  );
});

test("a batch counts as handled only once its dead letters are sent, and fails when they cannot be", async () => {
  const batch: SourceBatch = {
    topic: "events",
    partition: 0,
    messages: [{ key: Buffer.from("k"), value: Buffer.from("bad_magic:0"), offset: "7", timestamp: "1" }],
  };
  let release = () => {};
  const events: string[] = [];
  const slowSink: DeadLetterSink = {
    send: (letters) =>
      new Promise<number>((resolve) => {
        events.push(`send ${letters.length}`);
        release = () => resolve(letters.length);
      }),
    async close() {},
  };
  const handle = createBatchHandler({
    ingestBatch: fakeIngest(1),
    deadLetters: slowSink,
    metrics: createSelfMetrics(),
    logger: createLogger("error", () => {}),
  });
  const handled = handle(batch).then(() => events.push("handled"));
  while (events.length === 0) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, ["send 1"], "not handled while its dead letter is on its way");
  release();
  await handled;
  assert.deepEqual(events, ["send 1", "handled"]);

  const failing = createBatchHandler({
    ingestBatch: fakeIngest(1),
    deadLetters: { send: async () => Promise.reject(new Error("broker gone")) },
    metrics: createSelfMetrics(),
    logger: createLogger("error", () => {}),
  });
  await assert.rejects(failing(batch), /broker gone/);
});

test("a colliding name's log line says what the identity mode does with it, and which setting keeps them apart", async () => {
  const batch: SourceBatch = {
    topic: "events",
    partition: 0,
    messages: [{ key: Buffer.from("k"), value: Buffer.from("retired:0"), offset: "0", timestamp: "1" }],
  };
  const hint = async (mode: "test" | "namespace" | "cluster", apartBy: NameCollision["apartBy"]) => {
    const lines: string[] = [];
    await createBatchHandler({
      ingestBatch: fakeIngest(4, apartBy),
      deadLetters: recordingSink(),
      metrics: createSelfMetrics(),
      logger: createLogger("debug", (line) => lines.push(line)),
      testIdentity: mode,
    })(batch);
    const [line, ...more] = lines.filter((l) => l.includes("more than one namespace or cluster"));
    assert.equal(more.length, 0);
    const parsed = JSON.parse(line as string) as { test: string; hint: string };
    assert.equal(parsed.test, "name-4");
    return parsed.hint;
  };
  // Merged only where the labels cannot tell them apart; the setting named is the one that does.
  assert.match(await hint("test", "namespace"), /series merge them; KYMAROS_TEST_IDENTITY=namespace keeps/);
  assert.match(await hint("test", "cluster"), /series merge them; KYMAROS_TEST_IDENTITY=cluster keeps/);
  assert.doesNotMatch(await hint("namespace", "namespace"), /merge|KYMAROS_TEST_IDENTITY/);
  assert.match(
    await hint("namespace", "cluster"),
    /several clusters merge; KYMAROS_TEST_IDENTITY=cluster keeps/,
  );
  for (const apartBy of ["namespace", "cluster"] as const) {
    assert.doesNotMatch(await hint("cluster", apartBy), /merge|KYMAROS_TEST_IDENTITY/);
  }
});
