/**
 * The tests table's query, as the page's links and the JSON API take it: filter by name and
 * result, sort, page. A bad value is refused with a line naming the parameter, never guessed.
 */
import { RESULTS, type Result } from "../../contract/index.ts";
import { MAX_NAME_LENGTH } from "../../contract/validate.ts";

export const SORTS = ["result", "test", "score", "rto", "age", "completed"] as const;
export type Sort = (typeof SORTS)[number];
export type Order = "asc" | "desc";

export interface TestsQuery {
  /** Case-insensitive substring of the test name; "" matches all. */
  test: string;
  /** The latest results shown; empty means all. */
  result: readonly Result[];
  sort: Sort;
  order: Order;
  /** 1-based. */
  page: number;
  per: number;
}

export const DEFAULT_QUERY: TestsQuery = {
  test: "",
  result: [],
  sort: "result",
  order: "asc",
  page: 1,
  per: 100,
};
export const MAX_PER_PAGE = 1000;
/** Longer filters are refused: no test name is longer (the contract's limit). */
export const MAX_FILTER = MAX_NAME_LENGTH;

export class QueryError extends Error {}

function positive(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  if (!/^[1-9][0-9]{0,8}$/.test(value) || Number(value) > max) {
    throw new QueryError(`${name} must be a whole number from 1 to ${max}`);
  }
  return Number(value);
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined || value === "") return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new QueryError(`${name} must be one of ${allowed.join(", ")}`);
  }
  return value as T;
}

/** `get` reads one query parameter (Hono's c.req.query). */
export function parseQuery(get: (name: string) => string | undefined): TestsQuery {
  const test = get("test") ?? "";
  if (test.length > MAX_FILTER) throw new QueryError(`test must be at most ${MAX_FILTER} characters`);
  const result = (get("result") ?? "")
    .split(",")
    .filter((r) => r !== "")
    .map((r) => oneOf("result", r, RESULTS, "pass"));
  return {
    test,
    result: [...new Set(result)],
    sort: oneOf("sort", get("sort"), SORTS, DEFAULT_QUERY.sort),
    order: oneOf("order", get("order"), ["asc", "desc"] as const, DEFAULT_QUERY.order),
    page: positive("page", get("page"), 1, 1e9),
    per: positive("per", get("per"), DEFAULT_QUERY.per, MAX_PER_PAGE),
  };
}

/** The query string of `q` with `change` applied, defaults left out: the page's links keep the rest. */
export function queryString(q: TestsQuery, change: Partial<TestsQuery> = {}): string {
  const next = { ...q, ...change };
  const params = new URLSearchParams();
  if (next.test !== "") params.set("test", next.test);
  if (next.result.length > 0) params.set("result", next.result.join(","));
  if (next.sort !== DEFAULT_QUERY.sort) params.set("sort", next.sort);
  if (next.order !== DEFAULT_QUERY.order) params.set("order", next.order);
  if (next.page !== 1) params.set("page", String(next.page));
  if (next.per !== DEFAULT_QUERY.per) params.set("per", String(next.per));
  const s = params.toString();
  return s === "" ? "" : `?${s}`;
}
