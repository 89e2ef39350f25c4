/**
 * Dead-letter ownership (kafka/dead-letter-ownership.ts): who writes a refusal and when, checked
 * against a simulated group of two replicas reading the same log at their own pace while the
 * dead-letter group hands partitions between them. With handovers where the old owner commits first (a
 * rebalance after a clean stop or a join), every bad message is written exactly once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DeadLetterOwnership } from "../../../../services/api/kafka/dead-letter-ownership.ts";
import type { DeadLetter } from "../../../../services/api/kafka/dead-letters.ts";

const letter = (partition: number, offset: number): DeadLetter => ({
  key: null,
  value: Buffer.from(`${partition}/${offset}`),
  reason: "bad_magic",
  detail: "",
  topic: "t",
  partition,
  offset: String(offset),
  timestamp: "0",
});

const options = { leaseMs: 1_000, maxPendingPerPartition: 1_000 };
const PARTITIONS = [0, 1];

describe("dead-letter ownership", () => {
  it("routes each refusal once: written when owned, skipped below the committed offset, else deferred", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ partition: fc.constantFrom(0, 1), offset: fc.nat(50) }), { maxLength: 40 }),
        fc.nat(50),
        fc.boolean(),
        (refusals, committed, expired) => {
          const ownership = new DeadLetterOwnership(options);
          ownership.assign([0], 0);
          ownership.learnCommitted(0, committed);
          ownership.learnCommitted(1, committed);
          const now = expired ? options.leaseMs : options.leaseMs - 1;
          const routed = ownership.route(
            refusals.map((r) => letter(r.partition, r.offset)),
            now,
          );
          const below = refusals.filter((r) => r.offset < committed);
          const mine = refusals.filter((r) => r.offset >= committed && r.partition === 0 && !expired);
          assert.equal(routed.skipped, below.length);
          assert.deepEqual(
            routed.write.map((l) => l.offset),
            mine.map((r) => String(r.offset)),
          );
          assert.equal(routed.deferred, refusals.length - below.length - mine.length);
          // What was deferred is kept: handed over once both partitions are owned.
          ownership.assign(PARTITIONS, now);
          const kept = PARTITIONS.flatMap((p) => ownership.takePending(p, now));
          assert.equal(kept.length, routed.deferred);
        },
      ),
    );
  });

  it("commits only partitions it owns, forward only", () => {
    const ownership = new DeadLetterOwnership(options);
    ownership.assign([1], 0);
    ownership.learnCommitted(1, 10);
    ownership.handled(0, 5, 1);
    ownership.handled(1, 8, 1);
    ownership.handled(1, 12, 1);
    assert.deepEqual(ownership.takeDue(1), [{ partition: 1, offset: 12 }]);
    assert.deepEqual(ownership.takeDue(1), []);
    ownership.handled(1, 20, 1);
    ownership.revokeAll();
    assert.deepEqual(ownership.takeDue(1), []);
  });

  type Op =
    | { kind: "read"; replica: number; count: number }
    | { kind: "commit"; replica: number }
    | { kind: "refresh"; replica: number }
    | { kind: "handover"; partition: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant("read" as const),
      replica: fc.constantFrom(0, 1),
      count: fc.integer({ min: 1, max: 6 }),
    }),
    fc.record({ kind: fc.constant("commit" as const), replica: fc.constantFrom(0, 1) }),
    fc.record({ kind: fc.constant("refresh" as const), replica: fc.constantFrom(0, 1) }),
    fc.record({ kind: fc.constant("handover" as const), partition: fc.constantFrom(0, 1) }),
  );

  it("two replicas, clean handovers in any order: every bad message written exactly once", () => {
    fc.assert(
      fc.property(
        // The log: per offset, which partition it is in and whether it is a bad message.
        fc.array(fc.record({ partition: fc.constantFrom(0, 1), bad: fc.boolean() }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.array(opArb, { maxLength: 60 }),
        (log, ops) => {
          const offsets = PARTITIONS.map((p) =>
            log.map((m, i) => ({ ...m, i })).filter((m) => m.partition === p),
          );
          const replicas = [new DeadLetterOwnership(options), new DeadLetterOwnership(options)];
          const position = [
            [0, 0],
            [0, 0],
          ];
          const owner = [0, 1];
          const broker = new Map<number, number>();
          const written: string[] = [];
          const now = 0;
          const assignAll = () => {
            replicas.forEach((r, x) => {
              r.assign(
                PARTITIONS.filter((p) => owner[p] === x),
                now,
              );
            });
          };
          const commit = (x: number) => {
            const r = replicas[x] as DeadLetterOwnership;
            for (const { partition, offset } of r.takeDue(now)) {
              broker.set(partition, Math.max(broker.get(partition) ?? -1, offset));
              r.learnCommitted(partition, offset);
            }
          };
          const refresh = (x: number) => {
            for (const [p, o] of broker) (replicas[x] as DeadLetterOwnership).learnCommitted(p, o);
          };
          const read = (x: number, count: number) => {
            const r = replicas[x] as DeadLetterOwnership;
            for (const p of PARTITIONS) {
              const mine = offsets[p] ?? [];
              const pos = position[x] as number[];
              const batch = mine.slice(pos[p], (pos[p] as number) + count);
              pos[p] = (pos[p] as number) + batch.length;
              const routed = r.route(
                batch.filter((m) => m.bad).map((m) => letter(p, m.i)),
                now,
              );
              written.push(...routed.write.map((l) => `${l.partition}/${l.offset}`));
              // the source reports the next offset to read, as position
              if (batch.length > 0) r.handled(p, (batch.at(-1)?.i as number) + 1, now);
            }
          };
          assignAll();
          for (const op of ops) {
            if (op.kind === "read") read(op.replica, op.count);
            else if (op.kind === "commit") commit(op.replica);
            else if (op.kind === "refresh") refresh(op.replica);
            else {
              const from = owner[op.partition] as number;
              commit(from); // a clean handover: the old owner commits, then the group reassigns
              owner[op.partition] = 1 - from;
              assignAll();
              const to = replicas[1 - from] as DeadLetterOwnership;
              refresh(1 - from);
              written.push(...to.takePending(op.partition, now).map((l) => `${l.partition}/${l.offset}`));
              to.resume(op.partition, now);
            }
          }
          // Both read to the end.
          read(0, log.length);
          read(1, log.length);
          const bad = log.flatMap((m, i) => (m.bad ? [`${m.partition}/${i}`] : []));
          assert.deepEqual([...written].sort(), [...bad].sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});
