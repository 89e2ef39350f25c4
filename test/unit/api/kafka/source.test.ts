/**
 * The Kafka source on a fake consumer and admin: what start() reads, the seek on every join,
 * back-pressure on the fetch loop, caught up, contact, and the reader group deleted at stop.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type BatchControl,
  createKafkaSource,
  type FetchedBatch,
  type ReaderConsumer,
  type ReaderEvents,
  type SourceAdmin,
  type SourceBatch,
  type SourceOptions,
} from "../../../../services/api/kafka/source.ts";
import { createSelfMetrics, type SelfMetrics } from "../../../../services/api/metrics/serve/self.ts";
import { countMetadata } from "../../../../services/api/shard/partition-count.ts";
import { ConfigError } from "../../../../services/config/errors.ts";
import { createLogger } from "../../../../services/log/logger.ts";

const TOPIC = "events";

interface Topic {
  /** Per partition: [low, high]. */
  ends: Array<[number, number]>;
  /** The dead-letter group's commits: partition -> offset, with the partition count recorded. */
  committed?: Map<number, number>;
  recordedCount?: number;
  /** The broker leading each partition (by index); node 1 for all when not given. */
  leaders?: number[];
}

function fakeAdmin(t: Topic): SourceAdmin & { deleted: string[][] } {
  const deleted: string[][] = [];
  return {
    deleted,
    async fetchTopicOffsets() {
      return t.ends.map(([low, high], partition) => ({
        partition,
        offset: String(high),
        low: String(low),
        high: String(high),
      }));
    },
    async fetchOffsets() {
      const metadata = t.recordedCount === undefined ? null : countMetadata(t.recordedCount);
      return [
        {
          topic: TOPIC,
          partitions: [...(t.committed ?? [])].map(([partition, offset]) => ({
            partition,
            offset: String(offset),
            metadata,
          })),
        },
      ];
    },
    async deleteGroups(groupIds) {
      deleted.push(groupIds);
      return [];
    },
    async fetchTopicMetadata() {
      const partitions = t.ends.map((_, partitionId) => ({
        partitionId,
        leader: t.leaders?.[partitionId] ?? 1,
        partitionErrorCode: 0,
        replicas: [],
        isr: [],
      }));
      return { topics: [{ name: TOPIC, partitions }] };
    },
  };
}

/** A consumer whose joins, contacts and batches the test drives. */
function fakeConsumer() {
  const seeks: Array<[number, number]> = [];
  let events: ReaderEvents | undefined;
  let eachBatch: ((batch: FetchedBatch, control: BatchControl) => Promise<void>) | undefined;
  let disconnected = false;
  const consumer: ReaderConsumer = {
    async connect() {},
    async run(handler) {
      eachBatch = handler;
    },
    seek: (partition, offset) => void seeks.push([partition, offset]),
    async disconnect() {
      disconnected = true;
    },
  };
  return {
    seeks,
    factory: (_settings: { groupId: string; topic: string }, e: ReaderEvents) => {
      events = e;
      return consumer;
    },
    get events(): ReaderEvents {
      assert.ok(events, "the consumer was created");
      return events;
    },
    get disconnected() {
      return disconnected;
    },
    /** Fetches messages [first, next) of a partition; resolves when the fetch loop may go on. */
    fetch(partition: number, first: number, next: number, stale = false): Promise<void> {
      assert.ok(eachBatch, "the source runs");
      const messages = Array.from({ length: next - first }, (_, i) => ({
        key: null,
        value: Buffer.from("x"),
        offset: String(first + i),
        timestamp: "0",
      }));
      const batch: FetchedBatch = {
        topic: TOPIC,
        partition,
        messages,
        firstOffset: () => String(first),
        lastOffset: () => String(next - 1),
        highWatermark: String(next),
      };
      return eachBatch(batch, { isStale: () => stale, heartbeat: async () => {} });
    },
  };
}

/** A handler whose batches complete when the test says so. */
function heldHandler() {
  const batches: Array<{ batch: SourceBatch; release: () => void }> = [];
  return {
    batches,
    handle: (batch: SourceBatch) =>
      new Promise<void>((release) => {
        batches.push({ batch, release: () => release() });
      }),
  };
}

const ticks = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

function source(
  t: Topic,
  extra: Partial<SourceOptions> = {},
): {
  admin: ReturnType<typeof fakeAdmin>;
  consumer: ReturnType<typeof fakeConsumer>;
  metrics: SelfMetrics;
  calls: { handled: Array<[number, number]>; caughtUp: number; fatal: Error[] };
  options: SourceOptions;
} {
  const admin = fakeAdmin(t);
  const consumer = fakeConsumer();
  const metrics = createSelfMetrics();
  const calls = { handled: [] as Array<[number, number]>, caughtUp: 0, fatal: [] as Error[] };
  const options: SourceOptions = {
    consumers: consumer.factory,
    admin,
    topic: TOPIC,
    groupId: "kymaros-api",
    readerGroupId: "kymaros-api.reader.1",
    shard: { index: 0, total: 1 },
    handle: async () => {},
    onHandled: (partition, next) => void calls.handled.push([partition, next]),
    onCaughtUp: () => {
      calls.caughtUp += 1;
    },
    onFatal: (err) => void calls.fatal.push(err),
    logger: createLogger("error", () => {}),
    metrics,
    ...extra,
  };
  return { admin, consumer, metrics, calls, options };
}

async function gauge(metrics: SelfMetrics, name: string): Promise<number | undefined> {
  const metric = metrics.text.getSingleMetric(name);
  assert.ok(metric, name);
  return (await metric.get()).values[0]?.value;
}

test("start() answers the shard's offsets, the group's commits and the recorded partition count", async () => {
  const { options, metrics } = source({
    ends: [
      [0, 10],
      [5, 8],
      [0, 0],
      [2, 2],
    ],
    committed: new Map([
      [0, 4],
      [1, 7],
      [3, 1],
    ]),
    recordedCount: 3,
  });
  const read = await createKafkaSource({ ...options, shard: { index: 1, total: 2 } }).start();
  assert.deepEqual(read, {
    offsets: [
      { partition: 1, low: 5, high: 8 },
      { partition: 3, low: 2, high: 2 },
    ],
    committedAtStart: new Map([
      [1, 7],
      [3, 1],
    ]),
    partitionCount: 3,
  });
  assert.equal(await gauge(metrics, "kymaros_api_partition_count_changed"), 1, "3 recorded, 4 now");

  const fresh = source({ ends: [[0, 1]] });
  assert.equal(
    (await createKafkaSource(fresh.options).start()).partitionCount,
    1,
    "none recorded: the topic's",
  );
  assert.equal(await gauge(fresh.metrics, "kymaros_api_partition_count_changed"), undefined);
});

test("a shard the topic cannot hold is a configuration error naming KYMAROS_TOTAL_SHARDS", async () => {
  const { options } = source({ ends: [[0, 1]] });
  await assert.rejects(
    createKafkaSource({ ...options, shard: { index: 1, total: 2 } }).start(),
    (err: unknown) => err instanceof ConfigError && err.setting === "KYMAROS_TOTAL_SHARDS",
  );
});

test("every join seeks each partition to the next offset not yet handed over", async () => {
  const held = heldHandler();
  const { options, consumer } = source(
    {
      ends: [
        [3, 20],
        [0, 20],
      ],
    },
    { handle: held.handle },
  );
  const s = createKafkaSource(options);
  await s.start();
  await s.follow();
  consumer.events.joined([0, 1], 5);
  assert.deepEqual(consumer.seeks, [
    [0, 3],
    [1, 0],
  ]);
  void consumer.fetch(0, 3, 8);
  void consumer.fetch(1, 0, 4);
  held.batches[1]?.release();
  await ticks();
  consumer.seeks.length = 0;
  // A rebalance: resumes after what was handed over, handled or not, never before.
  consumer.events.joined([0, 1], 5);
  assert.deepEqual(consumer.seeks, [
    [0, 8],
    [1, 4],
  ]);
  consumer.seeks.length = 0;
  consumer.events.joined([7], 5);
  assert.deepEqual(consumer.seeks, [], "a partition unknown at start is not sought");
});

test("the fetch loop waits while four batches are ahead of the handler", async () => {
  const held = heldHandler();
  const { options, consumer, calls } = source({ ends: [[0, 100]] }, { handle: held.handle });
  const s = createKafkaSource(options);
  await s.start();
  await s.follow();
  const returned: number[] = [];
  for (let i = 0; i < 4; i++) void consumer.fetch(0, i * 10, i * 10 + 10).then(() => returned.push(i));
  await ticks();
  assert.deepEqual(returned, [0, 1, 2], "the fourth batch in flight holds the loop");
  assert.equal(held.batches.length, 4, "yet it was handed over");
  held.batches[0]?.release();
  await ticks();
  assert.deepEqual(returned, [0, 1, 2, 3]);
  assert.deepEqual(calls.handled, [[0, 10]]);
  for (const b of held.batches.slice(1)) b.release();
  await ticks();
  assert.deepEqual(calls.handled, [
    [0, 10],
    [0, 20],
    [0, 30],
    [0, 40],
  ]);
  assert.deepEqual(
    held.batches.map((b) => b.batch.messages.length),
    [10, 10, 10, 10],
  );
});

test("caught up once every partition reached its end at start, announced once", async () => {
  const { options, consumer, calls, metrics } = source({
    ends: [
      [0, 5],
      [2, 4],
    ],
  });
  const s = createKafkaSource(options);
  await s.start();
  await s.follow();
  assert.equal(s.caughtUp(), false);
  await consumer.fetch(0, 0, 5);
  await ticks();
  assert.equal(s.caughtUp(), false);
  assert.equal(await gauge(metrics, "kymaros_api_replay_progress_ratio"), 5 / 7);
  await consumer.fetch(1, 2, 4);
  await ticks();
  assert.equal(s.caughtUp(), true);
  assert.equal(calls.caughtUp, 1);
  assert.equal(await gauge(metrics, "kymaros_api_replay_progress_ratio"), 1);
  await consumer.fetch(1, 4, 9);
  await ticks();
  assert.equal(calls.caughtUp, 1, "live batches do not announce it again");
});

test("an empty log is caught up as soon as the source follows it; stale and foreign batches are not handled", async () => {
  const held = heldHandler();
  const { options, consumer, calls } = source(
    {
      ends: [
        [4, 4],
        [0, 0],
      ],
    },
    { handle: held.handle, shard: { index: 0, total: 2 } },
  );
  const s = createKafkaSource(options);
  await s.start();
  assert.equal(calls.caughtUp, 0);
  await s.follow();
  assert.equal(calls.caughtUp, 1);
  await consumer.fetch(0, 4, 6, true);
  await consumer.fetch(1, 0, 3);
  assert.equal(held.batches.length, 0);
});

test("connected while the broker answered within the contact timeout; the reader group deleted at stop", async () => {
  let now = 1_000_000;
  const { options, consumer, admin } = source({ ends: [[0, 0]] }, { now: () => now, contactTimeoutMs: 100 });
  const s = createKafkaSource(options);
  await s.start();
  assert.equal(s.connected(), false);
  consumer.events.contact();
  now += 99;
  assert.equal(s.connected(), true);
  now += 1;
  assert.equal(s.connected(), false);
  await s.stop();
  assert.equal(consumer.disconnected, true);
  assert.deepEqual(admin.deleted, [["kymaros-api.reader.1"]]);
});

test("a partition's fetch age: since start, then since its leader's last fetch or its last records", async () => {
  let now = 1_000_000;
  const { options, consumer } = source(
    {
      ends: [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      leaders: [1, 2, 2],
    },
    { now: () => now },
  );
  const s = createKafkaSource(options);
  await s.start();
  await s.follow();
  const ages = () => s.fetchAges().map((a) => a.seconds);
  now += 4_000;
  assert.deepEqual(ages(), [4, 4, 4]);
  consumer.events.fetched(2);
  now += 1_000;
  assert.deepEqual(ages(), [5, 1, 1]);
  // Node 1 goes away: partition 0 ages while node 2's partitions stay fresh with each fetch.
  now += 9_000;
  consumer.events.fetched(2);
  assert.deepEqual(ages(), [14, 0, 0]);
  await consumer.fetch(0, 0, 2);
  assert.deepEqual(ages(), [0, 0, 0]);
  // A fetch from a broker that leads none of them freshens nothing.
  now += 3_000;
  consumer.events.fetched(3);
  assert.deepEqual(ages(), [3, 3, 3]);
  assert.equal(s.connected(), true, "a fetch is contact");
});

test("a crash the client does not restart is fatal; one during the stop is not", async () => {
  const { options, consumer, calls } = source({ ends: [[0, 0]] });
  const s = createKafkaSource(options);
  await s.start();
  consumer.events.crashed(new Error("restarting"), true);
  assert.equal(calls.fatal.length, 0);
  consumer.events.crashed(new Error("gone"), false);
  assert.deepEqual(
    calls.fatal.map((e) => e.message),
    ["gone"],
  );
  await s.stop();
  consumer.events.crashed(new Error("after stop"), false);
  assert.equal(calls.fatal.length, 1);
});
