/**
 * A RestoreTest's status to the run it shows that no RestoreReport covers: an outright failure.
 *
 * Kymaros writes a report only for a run that reached scoring; that run's status update sets
 * lastRunAt and lastReportRef from the same instant, so lastReportRef is always
 * `<test>-<lastRunAt as YYYYMMDD-HHMMSS>`. A run that fails before scoring (restore failed,
 * backup or namespace missing, sandbox creation failed, timeout) writes no report: it sets
 * lastRunAt, lastResult "fail" and lastScore 0 (omitted, as Go's omitempty drops a zero) and
 * leaves lastReportRef on the previous report. Those fields stay when the phase moves on to
 * Idle and until the next run ends, so the rule does not look at the phase.
 *
 * The report name is formatted in the controller's time zone; Kymaros's image runs in UTC, and
 * the rule assumes it.
 */
import type { RunCompleted } from "../contract/index.ts";
import { parseRfc3339 } from "./rfc3339.ts";

export interface FailedRunOptions {
  cluster?: string | null;
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Go's `Format("20060102-150405")` of an instant, in UTC: the suffix of a report's name. */
export function reportStamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

/** The name Kymaros gives the report of a run of `test` that ended its restore at `ms`. */
export function reportNameOf(test: string, ms: number): string {
  return `${test}-${reportStamp(ms)}`;
}

/**
 * The runId of an outright failure. Unique within the test's identity (namespace, test,
 * cluster), which is what the service dedupes on; never a report's name, whose suffix after
 * `<test>-` is all digits.
 */
export function failedRunId(test: string, lastRunAt: number): string {
  return `${test}-failed-${reportStamp(lastRunAt)}`;
}

/** lastRunAt (epoch ms) when the status shows an outright failure; undefined otherwise. */
function failedAt(test: string, status: Obj): number | undefined {
  if (status.lastResult !== "fail") return undefined;
  if (status.lastScore !== undefined && status.lastScore !== null && status.lastScore !== 0) return undefined;
  const text = nonEmpty(status.lastRunAt);
  if (text === undefined) return undefined;
  let lastRunAt: number;
  try {
    lastRunAt = parseRfc3339(text, "status.lastRunAt");
  } catch {
    return undefined;
  }
  if (status.lastReportRef === reportNameOf(test, lastRunAt)) return undefined;
  return lastRunAt;
}

/**
 * The failed run a RestoreTest's status shows with no report behind it, or null. Its start is
 * unknown: startedAt = completedAt, flagged with startedAtKnown false.
 */
export function failedRunOf(restoreTest: unknown, options: FailedRunOptions = {}): RunCompleted | null {
  if (!isObj(restoreTest) || !isObj(restoreTest.metadata) || !isObj(restoreTest.status)) return null;
  const test = nonEmpty(restoreTest.metadata.name);
  const namespace = nonEmpty(restoreTest.metadata.namespace);
  if (test === undefined || namespace === undefined) return null;
  const at = failedAt(test, restoreTest.status);
  if (at === undefined) return null;
  return {
    runId: failedRunId(test, at),
    test,
    namespace,
    result: "fail",
    score: 0,
    startedAt: at,
    completedAt: at,
    startedAtKnown: false,
    rtoSeconds: null,
    backupName: null,
    backupCreatedAt: null,
    rtoTargetSeconds: null,
    cluster: options.cluster ?? null,
  };
}

/**
 * The report a RestoreTest's status names for its last run when that run reached scoring
 * (lastReportRef = `<test>-<lastRunAt>`), or undefined: what the bridge should have seen.
 */
export function lastReportOf(restoreTest: unknown): { name: string; at: number } | undefined {
  if (!isObj(restoreTest) || !isObj(restoreTest.metadata) || !isObj(restoreTest.status)) return undefined;
  const test = nonEmpty(restoreTest.metadata.name);
  const ref = nonEmpty(restoreTest.status.lastReportRef);
  const text = nonEmpty(restoreTest.status.lastRunAt);
  if (test === undefined || ref === undefined || text === undefined) return undefined;
  try {
    const at = parseRfc3339(text, "status.lastRunAt");
    return ref === reportNameOf(test, at) ? { name: ref, at } : undefined;
  } catch {
    return undefined;
  }
}
