/**
 * The state changelog against the real broker: the log start moved past old events (DeleteRecords,
 * as retention does), then runs after it, a redelivered old run and a late backfill; after a
 * SIGKILL the restart is exact (counters do not fall) from the changelog. Then a gap, a refused
 * rebuild and a corrupt changelog record, each said in one line.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Admin, ConfigResourceTypes } from "kafkajs";
import type { RunCompleted } from "../../services/contract/index.ts";
import { createProducer, type RunProducer } from "../../services/producer/index.ts";
import { domainSamples } from "../support/exposition.ts";
import { createTopic, testBrokers, testKafka, uniqueTopic } from "../support/kafka.ts";
import { expectedSamples, numericSamples } from "../support/model.ts";
import { run } from "../support/runs.ts";
import {
  type RunningService,
  scrape,
  selfMetric,
  startService,
  waitFor,
  waitReady,
} from "../support/service.ts";

const running: RunningService[] = [];
let producer: RunProducer | undefined;
let admin: Admin | undefined;

after(async () => {
  await producer?.close();
  await admin?.disconnect();
  for (const s of running) await s.stop("SIGKILL");
});

const DAY = Date.UTC(2026, 10, 1);
const runOf = (test: string, i: number, more: Partial<RunCompleted> = {}) =>
  run({
    runId: `${test}-${i}`,
    test,
    startedAt: DAY + i * 3_600_000,
    completedAt: DAY + i * 3_600_000 + 600_000 + i * 1000,
    result: i % 3 === 0 ? "fail" : "pass",
    score: 50 + i,
    ...more,
  });
const TESTS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];

async function showsModel(s: RunningService, runs: RunCompleted[]): Promise<string> {
  const expected = expectedSamples(runs, [], "test");
  let last = new Map<string, number>();
  try {
    return await waitFor("the domain metrics to equal the model", async () => {
      const text = await scrape(s);
      last = numericSamples(domainSamples(text));
      return JSON.stringify([...last].sort()) === JSON.stringify([...expected].sort()) ? text : undefined;
    });
  } catch (err) {
    assert.deepEqual(last, expected, String(err));
    throw err;
  }
}

/** Until the service wrote a checkpoint covering every event it applied. */
async function checkpointed(s: RunningService): Promise<void> {
  await waitFor(
    "the state changelog to be written",
    async () => {
      const text = await scrape(s);
      const written = selfMetric(text, "kymaros_api_state_changelog_bytes_written_total");
      const lagLines = text.split("\n").filter((l) => l.startsWith("kymaros_api_state_checkpoint_lag{"));
      return written > 0 && lagLines.length > 0 && selfMetric(text, "kymaros_api_state_checkpoint_lag") === 0
        ? true
        : undefined;
    },
    30_000,
    s,
  );
}

async function moveLogStartToEnd(topic: string): Promise<void> {
  const ends = await (admin as Admin).fetchTopicOffsets(topic);
  await (admin as Admin).deleteTopicRecords({
    topic,
    partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
  });
}

describe("the state changelog", () => {
  const topic = uniqueTopic("changelog");

  test("after the log start moved past old runs, a SIGKILLed service restarts exact from the changelog", async () => {
    const kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    await createTopic(kafka, topic, 3);
    const s = await startService({ topic, groupId: `${topic}.g` });
    running.push(s);
    await waitReady(s);
    producer = createProducer({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic });
    const old = TESTS.flatMap((t) => [1, 2, 3, 4, 5].map((i) => runOf(t, i)));
    await producer.publishMany(old);
    await showsModel(s, old);
    await checkpointed(s);

    await moveLogStartToEnd(topic);
    const lows = await admin.fetchTopicOffsets(topic);
    assert.ok(
      lows.every((p) => p.low === p.high && Number(p.low) > 0),
      JSON.stringify(lows),
    );

    // Two more runs per test, an old run redelivered, and a late backfill of an earlier run.
    const fresh = TESTS.flatMap((t) => [6, 7].map((i) => runOf(t, i)));
    const backfill = runOf("alpha", 0, { runId: "alpha-backfill" });
    await producer.publishMany([...fresh, old[0] as RunCompleted, backfill]);
    const all = [...old, ...fresh, backfill];
    const before = await showsModel(s, all);
    await checkpointed(s);
    await s.stop("SIGKILL");

    const again = await startService({ topic, groupId: `${topic}.g` });
    running.push(again);
    await waitReady(again);
    const text = await showsModel(again, all);
    assert.equal(
      [...domainSamples(text)].sort().join("\n"),
      [...domainSamples(before)].sort().join("\n"),
      "the restart shows what was shown before it",
    );
    assert.ok(selfMetric(text, "kymaros_api_state_records_restored") > 0);
    assert.equal(selfMetric(text, "kymaros_api_state_gaps_total"), 0);
    await again.stop("SIGTERM");
  });

  test("a rebuild is refused once the log no longer starts at offset 0", async () => {
    const s = await startService({ topic, groupId: `${topic}.g`, env: { KYMAROS_STATE_REBUILD: "true" } });
    running.push(s);
    assert.equal(await s.exited, 2);
    assert.match(s.output(), /KYMAROS_STATE_REBUILD.*starts at offset \d+, not 0/);
  });

  test("a gap (the log start beyond the checkpoint) is logged and counted, and what is left is served", async () => {
    // A changelog of its own, empty: the deleted events were never saved.
    const s = await startService({
      topic,
      groupId: `${topic}.gap`,
      env: { KYMAROS_STATE_TOPIC: `${topic}.other` },
    });
    running.push(s);
    await waitReady(s);
    const text = await scrape(s);
    assert.ok(selfMetric(text, "kymaros_api_state_gaps_total") >= 1);
    assert.match(s.output(), /gap: events were deleted/);
    await s.stop("SIGTERM");
  });

  test("a corrupt changelog record stops the start, naming the topic, the partition and the fix", async () => {
    const p = kafka();
    await p.connect();
    await p.send({
      topic: `${topic}.state`,
      messages: [{ key: '["test",0,"x","y",""]', value: "garbage", partition: 0 }],
    });
    await p.disconnect();
    const s = await startService({ topic, groupId: `${topic}.g` });
    running.push(s);
    assert.equal(await s.exited, 2);
    assert.match(
      s.output(),
      /KYMAROS_STATE_TOPIC.*partition 0 cannot be read: not an Avro single-object record.*KYMAROS_STATE_REBUILD/,
    );
  });
});

const kafka = () => testKafka().producer();

const TOPIC_CONFIG = 2 as ConfigResourceTypes;

/** Until the replica's checkpoints cover what it applied, on all three partitions. */
async function allCheckpointed(s: RunningService): Promise<void> {
  await waitFor(
    "the checkpoints to cover every partition",
    async () => {
      const text = await scrape(s);
      const lines = text.split("\n").filter((l) => l.startsWith("kymaros_api_state_checkpoint_lag{"));
      return lines.length === 3 && selfMetric(text, "kymaros_api_state_checkpoint_lag") === 0
        ? true
        : undefined;
    },
    30_000,
    s,
  );
}

describe("the state changelog with two replicas and real retention", () => {
  const topic = uniqueTopic("changelog-ha");

  test("the writer SIGKILLed during writes, the other replica takes over; after the broker's own retention deleted old segments, a restart is exact", async () => {
    const kafkaClient = testKafka();
    const a = kafkaClient.admin();
    await a.connect();
    try {
      await createTopic(kafkaClient, topic, 3);
      const groupId = `${topic}.g`;
      const first = await startService({ topic, groupId });
      const second = await startService({ topic, groupId });
      running.push(first, second);
      await Promise.all([waitReady(first), waitReady(second)]);
      const p = createProducer({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic });
      try {
        // Both own partitions once the group settled: each writes its partitions' changelog.
        await waitFor("both replicas to own partitions", async () => {
          const owned = await Promise.all(
            [first, second].map(async (s) =>
              selfMetric(await scrape(s), "kymaros_api_dead_letter_partitions"),
            ),
          );
          return owned.every((n) => n > 0) && (owned[0] ?? 0) + (owned[1] ?? 0) === 3 ? true : undefined;
        });
        const runs: RunCompleted[] = [];
        for (let round = 0; round < 8; round++) {
          const batch = TESTS.flatMap((t) => [runOf(`${t}-ha`, round * 2), runOf(`${t}-ha`, round * 2 + 1)]);
          runs.push(...batch);
          await p.publishMany(batch);
          // SIGKILL the first writer in the middle of the rounds, while its changelog writes go on.
          if (round === 3) await first.stop("SIGKILL");
          await new Promise((r) => setTimeout(r, 150));
        }
        await showsModel(second, runs);
        await waitFor(
          "the survivor to own every partition",
          async () =>
            selfMetric(await scrape(second), "kymaros_api_dead_letter_partitions") === 3 ? true : undefined,
          40_000,
          second,
        );
        await allCheckpointed(second);

        // The broker's own retention: short retention and segments, and a roll, until the log start moves.
        await a.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: TOPIC_CONFIG,
              name: topic,
              configEntries: [
                { name: "retention.ms", value: "1000" },
                { name: "segment.ms", value: "100" },
              ],
            },
          ],
        });
        const deleted = await waitFor(
          "retention to delete the old segments",
          async () => {
            await new Promise((r) => setTimeout(r, 300));
            // One event per test (its runs are in all partitions) rolls each partition's segment.
            const roll = TESTS.map((t, i) => runOf(`${t}-ha`, 100 + i + runs.length, { score: 90 }));
            runs.push(...roll);
            await p.publishMany(roll);
            const offsets = await a.fetchTopicOffsets(topic);
            return offsets.every((o) => Number(o.low) > 0) ? offsets : undefined;
          },
          40_000,
        );
        assert.ok(deleted.every((o) => Number(o.low) > 0));
        await showsModel(second, runs);
        await allCheckpointed(second);
        await second.stop("SIGKILL");

        const third = await startService({ topic, groupId });
        running.push(third);
        await waitReady(third);
        const text = await showsModel(third, runs);
        assert.equal(selfMetric(text, "kymaros_api_state_gaps_total"), 0);
      } finally {
        await p.close();
      }
    } finally {
      await a.disconnect();
    }
  });
});
