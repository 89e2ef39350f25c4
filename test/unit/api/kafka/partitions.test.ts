/**
 * The Kafka source's bookkeeping, without a broker: batches handed over and handled in any
 * interleaving across partitions (in order within one, as kafkajs delivers them), checked
 * against a model kept here from the same steps.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { PartitionTracker } from "../../../../services/api/kafka/partitions.ts";

interface Start {
  partition: number;
  low: number;
  high: number;
}

const startArb: fc.Arbitrary<Start[]> = fc
  .uniqueArray(fc.nat({ max: 7 }), { minLength: 0, maxLength: 4 })
  .chain((partitions) =>
    fc.tuple(
      ...partitions.map((partition) =>
        fc
          .tuple(fc.nat({ max: 50 }), fc.nat({ max: 30 }))
          .map(([low, length]) => ({ partition, low, high: low + length })),
      ),
    ),
  );

/** Per step: which partition (by its place, or a new one), how long a batch, and whether to complete one. */
const stepsArb = fc.array(
  fc.record({
    pick: fc.nat(),
    size: fc.integer({ min: 1, max: 12 }),
    complete: fc.boolean(),
  }),
  { maxLength: 80 },
);

test("the tracker's positions, seeks, progress and caught-up follow the batches handled", () => {
  fc.assert(
    fc.property(startArb, stepsArb, (start, steps) => {
      const tracker = new PartitionTracker();
      tracker.load(start.map(({ partition, low, high }) => ({ partition, low, high })));
      // The model: per partition, the batches handed over and not yet handled, in order.
      const model = new Map(
        start.map((s) => [s.partition, { ...s, position: s.low, dispatched: s.low, queue: [] as number[] }]),
      );
      let announced = 0;

      const check = () => {
        let done = 0;
        let total = 0;
        for (const m of model.values()) {
          total += m.high - m.low;
          done += Math.min(m.position, m.high) - m.low;
          assert.equal(
            tracker.seekOffset(m.partition),
            m.dispatched,
            "a join resumes at the next offset not handed over",
          );
          assert.equal(tracker.lag(m.partition, m.high + 5), Math.max(0, m.high + 5 - m.position));
        }
        assert.deepEqual(tracker.progress(), { done, total });
        const all = [...model.values()].every((m) => m.position >= m.high);
        if (tracker.catchUp()) announced += 1;
        assert.equal(tracker.caughtUp, all || announced > 0);
        assert.ok(announced <= 1, "caught up is announced once");
      };
      check();

      for (const step of steps) {
        const ms = [...model.values()];
        const newPartition = step.pick % (ms.length + 1) === ms.length;
        if (newPartition) {
          // A partition added after start, followed from its first batch.
          const partition = 100 + model.size;
          const first = step.size * 3;
          tracker.dispatch(partition, first, first + step.size);
          model.set(partition, {
            partition,
            low: first,
            high: first,
            position: first,
            dispatched: first + step.size,
            queue: [first + step.size],
          });
        } else {
          const m = ms[step.pick % ms.length] as (typeof ms)[number];
          if (step.complete && m.queue.length > 0) {
            const next = m.queue.shift() as number;
            tracker.handled(m.partition, next);
            m.position = next;
          } else {
            const next = m.dispatched + step.size;
            tracker.dispatch(m.partition, m.dispatched, next);
            m.dispatched = next;
            m.queue.push(next);
          }
        }
        check();
      }
    }),
    { numRuns: 500 },
  );
});

test("a log empty at start is caught up at once; an unknown partition has no seek and no lag", () => {
  const tracker = new PartitionTracker();
  tracker.load([{ partition: 0, low: 5, high: 5 }]);
  assert.equal(tracker.catchUp(), true);
  assert.equal(tracker.catchUp(), false);
  assert.equal(tracker.caughtUp, true);
  assert.deepEqual(tracker.progress(), { done: 0, total: 0 });
  assert.equal(tracker.seekOffset(1), undefined);
  assert.equal(tracker.lag(1, 10), undefined);
  tracker.handled(1, 10);
  assert.equal(tracker.lag(1, 10), undefined, "a batch of an unknown partition handled is ignored");
});
