/** The batcher against an independent statement of its rule, for any sizes and limits. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { batches } from "../../../services/producer/batches.ts";

const sizes = fc.array(fc.integer({ min: 1, max: 2000 }), { maxLength: 200 });
const limits = fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 50 }));

test("batches keep every record once, in order, and the starts index the input", () => {
  fc.assert(
    fc.property(sizes, limits, (bytes, [maxBytes, maxRecords]) => {
      const items = bytes.map((b, id) => ({ id, bytes: b }));
      const cut = batches(items, maxBytes, maxRecords);
      assert.deepEqual(
        cut.flatMap((b) => b.items),
        items,
      );
      for (const b of cut) assert.equal(b.items[0], items[b.start]);
    }),
  );
});

test("each batch is within the limits, or one record alone; and could not take the next record", () => {
  fc.assert(
    fc.property(sizes, limits, (bytes, [maxBytes, maxRecords]) => {
      const items = bytes.map((b) => ({ bytes: b }));
      const cut = batches(items, maxBytes, maxRecords);
      const sum = (xs: { bytes: number }[]) => xs.reduce((n, x) => n + x.bytes, 0);
      cut.forEach((b, i) => {
        assert.ok(b.items.length >= 1 && b.items.length <= maxRecords);
        assert.ok(b.items.length === 1 || sum(b.items) <= maxBytes);
        const next = cut[i + 1]?.items[0];
        if (next !== undefined) {
          assert.ok(b.items.length === maxRecords || sum(b.items) + next.bytes > maxBytes, "greedy");
        }
      });
    }),
  );
});

test("examples: a record over the byte limit goes alone; the record limit cuts too", () => {
  const of = (...bytes: number[]) => bytes.map((b) => ({ bytes: b }));
  const shape = (cut: ReturnType<typeof batches>) => cut.map((b) => [b.start, b.items.length]);
  assert.deepEqual(shape(batches(of(4, 4, 9, 1, 1), 8, 10)), [
    [0, 2],
    [2, 1],
    [3, 2],
  ]);
  assert.deepEqual(shape(batches(of(1, 1, 1, 1, 1), 100, 2)), [
    [0, 2],
    [2, 2],
    [4, 1],
  ]);
  assert.deepEqual(batches([], 8, 10), []);
});
