/** The tests table's filter, sort and pages against a direct computation. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DEFAULT_QUERY, SORTS, type TestsQuery } from "../../../../services/api/status/query.ts";
import type { TestRow } from "../../../../services/api/status/row.ts";
import { createTestsTable } from "../../../../services/api/status/tests.ts";

const rowArb: fc.Arbitrary<TestRow> = fc.record({
  test: fc.string({ minLength: 1, maxLength: 6 }),
  result: fc.constantFrom("pass" as const, "fail" as const, "partial" as const),
  completedAt: fc.integer({ min: 0, max: 1e12 }).map((ms) => new Date(ms).toISOString()),
  score: fc.integer({ min: 0, max: 100 }),
  rtoSeconds: fc.option(fc.integer({ min: 0, max: 5000 })),
  rtoTargetSeconds: fc.option(fc.constantFrom(600, 900)),
  backupAgeSeconds: fc.option(fc.integer({ min: 0, max: 90000 })),
  runs: fc.record({ pass: fc.nat(9), fail: fc.nat(9), partial: fc.nat(9) }),
});
const rowsArb = fc.uniqueArray(rowArb, { selector: (r) => r.test, maxLength: 40 });

const queryArb: fc.Arbitrary<TestsQuery> = fc.record({
  test: fc.oneof(fc.constant(""), fc.string({ maxLength: 2 })),
  result: fc.subarray(["pass", "fail", "partial"] as const),
  sort: fc.constantFrom(...SORTS),
  order: fc.constantFrom("asc" as const, "desc" as const),
  page: fc.integer({ min: 1, max: 5 }),
  per: fc.integer({ min: 1, max: 12 }),
});

const RANK = { fail: 0, partial: 1, pass: 2 };

/** The key each sort orders by; undefined (no value) goes last in either order. */
function keyOf(r: TestRow, q: TestsQuery): number | string | undefined {
  if (q.sort === "score") return r.score;
  if (q.sort === "rto") return r.rtoSeconds ?? undefined;
  if (q.sort === "age") return r.backupAgeSeconds ?? undefined;
  if (q.sort === "completed") return r.completedAt;
  return undefined;
}

/** Every adjacent pair of the result is in order: the property, not a copy of the comparator. */
function inOrder(a: TestRow, b: TestRow, q: TestsQuery): boolean {
  const dir = q.order === "asc" ? 1 : -1;
  if (q.sort === "test") return dir * (a.test < b.test ? -1 : 1) < 0;
  if (q.sort === "result") {
    if (a.result !== b.result) return dir * (RANK[a.result] - RANK[b.result]) < 0;
    if (a.score !== b.score) return (a.score - b.score) * dir < 0;
    return a.test < b.test;
  }
  const [x, y] = [keyOf(a, q), keyOf(b, q)];
  if (x === y) return a.test < b.test;
  if (x === undefined) return false;
  if (y === undefined) return true;
  return dir * (x < y ? -1 : 1) < 0;
}

test("a page is the matching rows, in order, cut into pages of `per`", () => {
  fc.assert(
    fc.property(rowsArb, queryArb, (rows, q) => {
      const table = createTestsTable({
        latestRows: () => ({ revision: 1, rows: Buffer.from(JSON.stringify(rows)) }),
      });
      const got = table.select(q);
      const matching = rows.filter(
        (r) =>
          (q.result.length === 0 || q.result.includes(r.result)) &&
          r.test.toLowerCase().includes(q.test.toLowerCase()),
      );
      assert.equal(got.total, rows.length);
      assert.equal(got.matched, matching.length);
      assert.equal(got.pages, Math.max(1, Math.ceil(matching.length / q.per)));
      assert.equal(got.page, Math.min(q.page, got.pages));
      for (const result of ["pass", "fail", "partial"] as const) {
        assert.equal(got.byResult[result], rows.filter((r) => r.result === result).length);
      }
      // The whole order, page after page, is a permutation of the matches with each pair in order.
      const all = Array.from(
        { length: got.pages },
        (_, i) => table.select({ ...q, page: i + 1 }).rows,
      ).flat();
      assert.deepEqual(new Set(all.map((r) => r.test)), new Set(matching.map((r) => r.test)));
      assert.equal(all.length, matching.length);
      for (let i = 1; i < all.length; i++) assert.ok(inOrder(all[i - 1] as TestRow, all[i] as TestRow, q));
      assert.ok(got.rows.length <= q.per);
    }),
    { numRuns: 300 },
  );
});

test("before the replay caught up there are no rows", () => {
  const page = createTestsTable({ latestRows: () => null }).select(DEFAULT_QUERY);
  assert.equal(page.revision, null);
  assert.equal(page.rows.length, 0);
});
