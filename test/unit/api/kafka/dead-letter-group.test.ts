/**
 * The dead-letter group on a fake consumer, admin and sink: seeded with the commits found at
 * start, it skips (and counts, once) what an earlier run wrote, keeps what another member owns,
 * writes a gained partition's pending letters, commits what its owner handled with the
 * partition count, and tells only the owner that a batch was applied.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createDeadLetterGroup,
  type GroupAdmin,
  type GroupCommit,
  type GroupConsumer,
  type GroupEvents,
} from "../../../../services/api/kafka/dead-letter-group.ts";
import { DeadLetterOwnership } from "../../../../services/api/kafka/dead-letter-ownership.ts";
import type { DeadLetter, DeadLetterSink } from "../../../../services/api/kafka/dead-letters.ts";
import { createSelfMetrics, type SelfMetrics } from "../../../../services/api/metrics/serve/self.ts";
import { createLogger } from "../../../../services/log/logger.ts";

const TOPIC = "events";

const letter = (partition: number, offset: number): DeadLetter => ({
  key: null,
  value: Buffer.from(`${partition}/${offset}`),
  reason: "bad_magic",
  detail: "",
  topic: TOPIC,
  partition,
  offset: String(offset),
  timestamp: "0",
});

function fixture(broker: { committed: Map<number, number>; high: number }) {
  const written: string[] = [];
  const commits: GroupCommit[][] = [];
  const seeks: Array<[number, string]> = [];
  const applied: Array<[number, number]> = [];
  let owned: number[] | null = [];
  let events: GroupEvents | undefined;
  let disconnected = false;
  const sink: DeadLetterSink = {
    async send(letters) {
      written.push(...letters.map((l) => `${l.partition}/${l.offset}`));
      return letters.length;
    },
    async close() {},
  };
  const admin: GroupAdmin = {
    async fetchOffsets() {
      const partitions = [...broker.committed].map(([partition, offset]) => ({
        partition,
        offset: String(offset),
        metadata: null,
      }));
      return [{ topic: TOPIC, partitions }];
    },
    async fetchTopicOffsets() {
      return [0, 1].map((partition) => ({
        partition,
        offset: String(broker.high),
        low: "0",
        high: String(broker.high),
      }));
    },
  };
  const consumer: GroupConsumer = {
    run: () => new Promise<void>(() => {}),
    seek: (partition, offset) => void seeks.push([partition, offset]),
    async commit(offsets) {
      commits.push(offsets);
      for (const { partition, offset } of offsets) broker.committed.set(partition, Number(offset));
    },
    owned: async () => owned,
    async disconnect() {
      disconnected = true;
    },
  };
  const metrics = createSelfMetrics();
  const group = createDeadLetterGroup({
    consumers: (_settings, e) => {
      events = e;
      return consumer;
    },
    admin,
    topic: TOPIC,
    groupId: "kymaros-api",
    ownership: new DeadLetterOwnership({ leaseMs: 8_000, maxPendingPerPartition: 100 }),
    sink,
    logger: createLogger("error", () => {}),
    metrics,
    onFatal: (err) => assert.fail(err),
    ownerApplied: (partition, next) => void applied.push([partition, next]),
  });
  return {
    group,
    metrics,
    written,
    commits,
    seeks,
    applied,
    setOwned: (partitions: number[] | null) => {
      owned = partitions;
    },
    get events(): GroupEvents {
      assert.ok(events, "the group's consumer was created");
      return events;
    },
    get disconnected() {
      return disconnected;
    },
  };
}

async function deadLetters(metrics: SelfMetrics): Promise<Record<string, number>> {
  const metric = metrics.text.getSingleMetric("kymaros_api_dead_letters_total");
  assert.ok(metric);
  return Object.fromEntries((await metric.get()).values.map((v) => [String(v.labels.result), v.value]));
}

const ticks = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

test("letters below the commits found at start are skipped from the first batch on, counted once", async () => {
  const f = fixture({
    committed: new Map([
      [0, 10],
      [1, 3],
    ]),
    high: 50,
  });
  f.group.start({
    committedAtStart: new Map([
      [0, 10],
      [1, 3],
    ]),
    partitionCount: 2,
  });
  // Before the group's first join: nothing is owned yet.
  assert.equal(
    await f.group.send([letter(0, 4), letter(0, 9), letter(0, 12), letter(1, 2), letter(1, 3)]),
    0,
  );
  assert.deepEqual(await deadLetters(f.metrics), { skipped: 3, deferred: 2 });
  assert.deepEqual(f.written, []);
  await f.group.stop();
});

test("a gained partition: sought to its end, its pending letters written, then its own and the commits", async () => {
  const broker = { committed: new Map([[0, 10]]), high: 40 };
  const f = fixture(broker);
  f.group.start({ committedAtStart: new Map([[0, 10]]), partitionCount: 6 });
  await f.group.send([letter(0, 12), letter(1, 5)]);
  f.group.handled(0, 20);
  f.group.handled(1, 8);
  assert.deepEqual(f.applied, [], "nothing is owned yet");

  f.setOwned([0]);
  f.events.joined("member-1", [0, 1]);
  await ticks();
  assert.deepEqual(f.seeks, [
    [0, "40"],
    [1, "40"],
  ]);
  assert.deepEqual(f.written, ["0/12"], "the pending letter of the partition gained");
  assert.deepEqual(await deadLetters(f.metrics), { published: 1, deferred: 2 });

  assert.equal(await f.group.send([letter(0, 25), letter(1, 9)]), 1);
  assert.deepEqual(f.written, ["0/12", "0/25"]);
  f.group.handled(0, 30);
  f.group.handled(1, 12);
  await ticks();
  // Committed as soon as the batch with a written letter was handled, with the partition count.
  // (The one-second commit tick may have committed the earlier offset first.)
  assert.deepEqual(f.commits.flat().at(-1), { partition: 0, offset: "30", metadata: "partitions=6" });
  assert.ok(f.commits.flat().every((c) => c.partition === 0 && c.metadata === "partitions=6"));
  // On gaining it, the owner learns what was applied before (a changelog writer catches up), then each batch.
  assert.deepEqual(
    f.applied,
    [
      [0, 20],
      [0, 30],
    ],
    "only the owner learns its partition's batches were applied",
  );

  await f.group.stop();
  assert.equal(f.disconnected, true);
});

test("a join that carries no ownership (a newer rebalance, or round robin) owns nothing and keeps the letters", async () => {
  const f = fixture({ committed: new Map(), high: 0 });
  f.group.start({ committedAtStart: new Map(), partitionCount: 2 });
  f.setOwned(null);
  f.events.joined("member-1", [0, 1]);
  await ticks();
  assert.equal(await f.group.send([letter(0, 1)]), 0);
  assert.deepEqual(await deadLetters(f.metrics), { deferred: 1 });
  f.group.handled(0, 2);
  assert.deepEqual(f.applied, []);
  await f.group.stop();
  assert.deepEqual(f.commits, []);
});
