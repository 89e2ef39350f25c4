/**
 * The producer SDK against the real broker, read back by an independent client (kcat) and
 * decoded with the contract's codec: values, keys, partitions and offsets as the SDK reported.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createCodec, type RunCompleted } from "../../services/contract/index.ts";
import { createLogger } from "../../services/log/logger.ts";
import {
  createProducer,
  type EventProducer,
  type ProducerOptions,
  PublishError,
} from "../../services/producer/index.ts";
import { createTopic, testBrokers, testKafka, uniqueTopic } from "../support/kafka.ts";
import { type KcatRecord, readTopicWithKcat } from "../support/kcat.ts";

const codec = createCodec(2);
const codecV1 = createCodec(1);

function makeRun(i: number, overrides: Partial<RunCompleted> = {}): RunCompleted {
  const startedAt = 1795662000000 + i * 60_000;
  return {
    runId: `run-${i}`,
    test: `test-${i % 7}`,
    namespace: `ns-${i % 3}`,
    result: (["pass", "fail", "partial"] as const)[i % 3] ?? "pass",
    score: i % 101,
    startedAt,
    completedAt: startedAt + 1000 * (i % 500),
    rtoSeconds: i % 4 === 0 ? null : (i % 500) + 0.5,
    backupName: i % 5 === 0 ? null : `backup-${i}`,
    backupCreatedAt: i % 5 === 0 ? null : startedAt - 3_600_000,
    rtoTargetSeconds: i % 2 === 0 ? 900 : null,
    cluster: i % 2 === 0 ? `cluster-${i % 4}` : null,
    ...overrides,
  };
}

function decoded(record: KcatRecord): RunCompleted {
  assert.ok(record.value, "a value");
  return { ...codec.decode(record.value) };
}

/** Every producer a test opens is closed after the suite, even when the test fails midway. */
const opened: EventProducer[] = [];
function open(options: ProducerOptions): EventProducer {
  const producer = createProducer(options);
  opened.push(producer);
  return producer;
}

async function newTopic(prefix: string, partitions = 3): Promise<string> {
  const topic = uniqueTopic(prefix);
  await createTopic(testKafka(), topic, partitions);
  return topic;
}

describe("producer SDK against the broker", () => {
  let producer: EventProducer;
  let topic: string;

  before(async () => {
    topic = await newTopic("sdk");
    producer = open({
      env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(","), KYMAROS_TOPIC: topic },
    });
  });
  after(async () => {
    await Promise.all(opened.map((p) => p.close()));
  });

  test("publish: one record, keyed by test, where the result says", async () => {
    const run = makeRun(1);
    const result = await producer.publish(run);
    assert.equal(result.topic, topic);
    assert.equal(result.runId, run.runId);
    const records = await readTopicWithKcat(topic);
    assert.equal(records.length, 1);
    const [record] = records as [KcatRecord];
    assert.equal(record.key?.toString("utf8"), run.test);
    assert.equal(record.partition, result.partition);
    assert.equal(String(record.offset), result.offset);
    assert.deepEqual(decoded(record), run);
    assert.equal(record.value?.subarray(0, 2).toString("hex"), "c301");
    assert.equal(record.value?.subarray(2, 10).toString("hex"), codec.fingerprintHex(2));
  });

  test("publishMany: every record, in several batches, at the partition and offset reported", async () => {
    const many = await newTopic("sdk-many");
    const p = open({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic: many });
    const runs = Array.from({ length: 500 }, (_, i) => makeRun(i));
    const progress: number[] = [];
    const results = await p.publishMany(runs, {
      maxBatchRecords: 37,
      onProgress: (acknowledged, total) => {
        assert.equal(total, 500);
        progress.push(acknowledged);
      },
    });
    await p.close();
    assert.equal(results.length, 500);
    assert.equal(progress.length, Math.ceil(500 / 37));
    assert.equal(progress.at(-1), 500);
    assert.deepEqual(
      results.map((r) => r.runId),
      runs.map((r) => r.runId),
    );

    const records = await readTopicWithKcat(many);
    assert.equal(records.length, 500);
    const byPosition = new Map(records.map((r) => [`${r.partition}/${r.offset}`, r]));
    for (const [i, result] of results.entries()) {
      const record = byPosition.get(`${result.partition}/${result.offset}`);
      assert.ok(record, `run ${i} at ${result.partition}/${result.offset}`);
      assert.equal(record.key?.toString(), runs[i]?.test);
      assert.deepEqual(decoded(record), runs[i]);
    }
    // One test, one partition; and within it, the input order.
    const partitionsOf = new Map<string, Set<number>>();
    for (const r of records) {
      const key = r.key?.toString() ?? "";
      partitionsOf.set(key, (partitionsOf.get(key) ?? new Set()).add(r.partition));
    }
    for (const [key, partitions] of partitionsOf) assert.equal(partitions.size, 1, key);
    for (let p = 0; p < 3; p++) {
      const ids = records.filter((r) => r.partition === p).map((r) => Number(decoded(r).runId.slice(4)));
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
      );
    }
  });

  test("schema version 1: v1 fingerprint, read by v1 and v2 readers", async () => {
    const v1 = await newTopic("sdk-v1", 1);
    const p = open({
      env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") },
      topic: v1,
      schemaVersion: 1,
    });
    const runs = [makeRun(1), makeRun(3)]; // odd: no cluster
    await p.publishMany(runs);
    await p.publish(makeRun(5), { schemaVersion: 2 });
    await p.close();
    const records = await readTopicWithKcat(v1);
    assert.equal(records.length, 3);
    const [a, b, c] = records as [KcatRecord, KcatRecord, KcatRecord];
    assert.equal(a.value?.subarray(2, 10).toString("hex"), codec.fingerprintHex(1));
    assert.equal(b.value?.subarray(2, 10).toString("hex"), codec.fingerprintHex(1));
    assert.equal(c.value?.subarray(2, 10).toString("hex"), codec.fingerprintHex(2));
    assert.deepEqual(decoded(a), runs[0]);
    assert.deepEqual({ ...codecV1.decode(a.value as Buffer) }, runs[0]);
    assert.deepEqual(decoded(c), makeRun(5));
  });

  test("concurrent publishes: each acknowledged at its own offset", async () => {
    const runs = Array.from({ length: 40 }, (_, i) => makeRun(1000 + i));
    const results = await Promise.all(runs.map((run) => producer.publish(run)));
    const positions = new Set(results.map((r) => `${r.partition}/${r.offset}`));
    assert.equal(positions.size, 40);
    const records = await readTopicWithKcat(topic);
    const byPosition = new Map(records.map((r) => [`${r.partition}/${r.offset}`, r]));
    for (const [i, result] of results.entries()) {
      const record = byPosition.get(`${result.partition}/${result.offset}`);
      assert.ok(record);
      assert.deepEqual(decoded(record), runs[i]);
    }
  });

  test("retire and retireMany: TestRetired records keyed by test, where the results say", async () => {
    const retiredTopic = await newTopic("sdk-retire");
    const p = open({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic: retiredTopic });
    const one = await p.retire({ test: "test-1", namespace: "ns-1", retiredAt: 1795662850000 });
    const many = await p.retireMany(
      Array.from({ length: 20 }, (_, i) => ({
        test: `test-${i % 7}`,
        namespace: `ns-${i % 3}`,
        cluster: i % 2 === 0 ? `cluster-${i}` : null,
        retiredAt: 1795662850000 + i,
        reason: i % 3 === 0 ? null : `deleted ${i}`,
      })),
      { maxBatchRecords: 6 },
    );
    await p.close();
    const records = await readTopicWithKcat(retiredTopic);
    assert.equal(records.length, 21);
    for (const result of [one, ...many]) {
      const record = records.find(
        (r) => r.partition === result.partition && String(r.offset) === result.offset,
      );
      assert.ok(record?.value, `record at ${result.partition}/${result.offset}`);
      assert.equal(record.key?.toString("utf8"), result.test);
      const event = codec.decodeEvent(record.value);
      assert.equal(event.kind, "retired");
      if (event.kind !== "retired") continue;
      assert.deepEqual(
        [
          event.retirement.test,
          event.retirement.namespace,
          event.retirement.cluster,
          event.retirement.retiredAt,
        ],
        [result.test, result.namespace, result.cluster, result.retiredAt],
      );
    }
    assert.equal(one.cluster, null);
  });

  test("an invalid run anywhere in publishMany: nothing reaches the topic", async () => {
    const empty = await newTopic("sdk-invalid");
    const p = open({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic: empty });
    const runs = Array.from({ length: 100 }, (_, i) => makeRun(i, i === 73 ? { score: 120 } : {}));
    await assert.rejects(p.publishMany(runs), (err: unknown) => {
      return (
        err instanceof PublishError && err.kind === "validation" && err.index === 73 && err.field === "score"
      );
    });
    await p.close();
    assert.deepEqual(await readTopicWithKcat(empty), []);
  });

  test("a topic that does not exist is a kafka error, not a topic created with broker defaults", async () => {
    const missing = uniqueTopic("sdk-missing");
    const logs: string[] = [];
    const p = open({
      env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") },
      topic: missing,
      retries: 1,
      logger: createLogger("info", (line) => logs.push(line)),
    });
    await assert.rejects(p.publish(makeRun(1)), (err: unknown) => {
      return (
        err instanceof PublishError &&
        err.kind === "kafka" &&
        err.message.includes(`does topic ${missing} exist`)
      );
    });
    await p.close();
    // The client's retries, as the caller's logger's records.
    assert.ok(logs.length > 0 && logs.every((l) => JSON.parse(l).msg.startsWith("kafka: ")));
    const admin = testKafka().admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    assert.ok(!topics.includes(missing));
  });
});
