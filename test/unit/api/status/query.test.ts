/** The tests table's query: its string round-trips, and a bad parameter is refused by name. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_QUERY,
  parseQuery,
  QueryError,
  queryString,
  SORTS,
  type TestsQuery,
} from "../../../../services/api/status/query.ts";

const queryArb: fc.Arbitrary<TestsQuery> = fc.record({
  test: fc.string({ maxLength: 253 }),
  result: fc.subarray(["pass", "fail", "partial"] as const),
  sort: fc.constantFrom(...SORTS),
  order: fc.constantFrom("asc" as const, "desc" as const),
  page: fc.integer({ min: 1, max: 1e6 }),
  per: fc.integer({ min: 1, max: 1000 }),
});

test("the query string round-trips through parseQuery, defaults left out", () => {
  fc.assert(
    fc.property(queryArb, (generated) => {
      const query = { ...generated };
      const params = new URLSearchParams(queryString(query).slice(1));
      assert.deepEqual(
        parseQuery((n) => params.get(n) ?? undefined),
        query,
      );
    }),
  );
  assert.equal(queryString(DEFAULT_QUERY), "");
});

test("a bad parameter is refused with its name", () => {
  const bad: Record<string, string>[] = [
    { result: "broken" },
    { sort: "size" },
    { order: "up" },
    { page: "0" },
    { per: "1001" },
    { page: "1e3" },
    { test: "x".repeat(254) },
  ];
  for (const params of bad) {
    const [name] = Object.keys(params);
    assert.throws(
      () => parseQuery((n) => params[n]),
      (e: unknown) => e instanceof QueryError && e.message.startsWith(name as string),
    );
  }
});
