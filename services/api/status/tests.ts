/**
 * The tests table over the rows of the newest /metrics snapshot: decoded once per revision
 * (only when a page or the API asks), each sort order kept for that revision, then filtered and
 * cut into a page per request. It runs on the ingest worker (worker/thread.ts).
 */
import { RESULTS, type Result } from "../../contract/index.ts";
import type { Order, Sort, TestsQuery } from "./query.ts";
import type { TestRow } from "./row.ts";

/** Where the rows come from: the snapshot store (metrics/serve/snapshot-store.ts). */
export interface RowSource {
  latestRows(): { revision: number; rows: Buffer } | null;
}

export interface TestsPage {
  /** The /metrics snapshot revision the rows are from; null while the replay has not caught up. */
  revision: number | null;
  /** Tests with series, and how many of them have each latest result. */
  total: number;
  byResult: Record<Result, number>;
  /** Tests the filter matched, and the pages they make. */
  matched: number;
  page: number;
  pages: number;
  rows: TestRow[];
}

/** Failing first: the order of the result sort. */
const RESULT_RANK: Record<Result, number> = { fail: 0, partial: 1, pass: 2 };

const compareStrings = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

/** By name, then namespace and cluster (when the identity mode shows them). */
const byName = (a: TestRow, b: TestRow): number =>
  compareStrings(a.test, b.test) ||
  compareStrings(a.namespace ?? "", b.namespace ?? "") ||
  compareStrings(a.cluster ?? "", b.cluster ?? "");

/** null (no RTO, no backup time) sorts after every number, whichever the order. */
function numeric(get: (r: TestRow) => number | null): (a: TestRow, b: TestRow) => number {
  return (a, b) => {
    const x = get(a);
    const y = get(b);
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return x - y;
  };
}

const COMPARE: Record<Sort, (a: TestRow, b: TestRow) => number> = {
  result: (a, b) => RESULT_RANK[a.result] - RESULT_RANK[b.result] || a.score - b.score,
  test: () => 0,
  score: (a, b) => a.score - b.score,
  rto: numeric((r) => r.rtoSeconds),
  age: numeric((r) => r.backupAgeSeconds),
  completed: (a, b) => compareStrings(a.completedAt, b.completedAt),
};

function sorted(rows: readonly TestRow[], sort: Sort, order: Order): TestRow[] {
  const compare = COMPARE[sort];
  const sign = order === "asc" ? 1 : -1;
  if (sort === "test") return [...rows].sort((a, b) => sign * byName(a, b));
  const field = sort === "rto" ? "rtoSeconds" : sort === "age" ? "backupAgeSeconds" : null;
  return [...rows].sort((a, b) => {
    const c = compare(a, b);
    if (c === 0) return byName(a, b);
    // Descending flips the values, not "no value": rows without one stay at the end.
    if (field !== null && (a[field] === null || b[field] === null)) return c;
    return sign * c;
  });
}

export interface TestsTable {
  select(query: TestsQuery): TestsPage;
}

/** What the routes read: the table itself, or the worker's answers from it (worker/client.ts). */
export interface TestsSource {
  select(query: TestsQuery): TestsPage | Promise<TestsPage>;
}

interface Decoded {
  revision: number;
  rows: TestRow[];
  /** Lower-cased names, for the filter, in the order of rows. */
  names: Map<TestRow, string>;
  byResult: Record<Result, number>;
  orders: Map<string, TestRow[]>;
}

function decode(revision: number, bytes: Buffer): Decoded {
  const rows = JSON.parse(bytes.toString()) as TestRow[];
  const byResult: Record<Result, number> = { pass: 0, fail: 0, partial: 0 };
  const names = new Map<TestRow, string>();
  for (const r of rows) {
    byResult[r.result] += 1;
    names.set(r, r.test.toLowerCase());
  }
  return { revision, rows, names, byResult, orders: new Map() };
}

const EMPTY: Record<Result, number> = { pass: 0, fail: 0, partial: 0 };

export function createTestsTable(source: RowSource): TestsTable {
  let decoded: Decoded | null = null;

  return {
    select(query) {
      const latest = source.latestRows();
      if (latest === null) {
        return { revision: null, total: 0, byResult: { ...EMPTY }, matched: 0, page: 1, pages: 1, rows: [] };
      }
      if (decoded?.revision !== latest.revision) decoded = decode(latest.revision, latest.rows);
      const key = `${query.sort} ${query.order}`;
      let order = decoded.orders.get(key);
      if (order === undefined) {
        order = sorted(decoded.rows, query.sort, query.order);
        decoded.orders.set(key, order);
      }
      const needle = query.test.toLowerCase();
      const names = decoded.names;
      const wanted = new Set<Result>(query.result.length > 0 ? query.result : RESULTS);
      const matching =
        needle === "" && wanted.size === RESULTS.length
          ? order
          : order.filter((r) => wanted.has(r.result) && (names.get(r) as string).includes(needle));
      const pages = Math.max(1, Math.ceil(matching.length / query.per));
      const page = Math.min(query.page, pages);
      return {
        revision: decoded.revision,
        total: decoded.rows.length,
        byResult: { ...decoded.byResult },
        matched: matching.length,
        page,
        pages,
        rows: matching.slice((page - 1) * query.per, page * query.per),
      };
    },
  };
}
