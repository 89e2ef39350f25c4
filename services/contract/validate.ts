/**
 * What makes a decoded RunCompleted trustworthy: a message that fails here is never applied (see
 * docs/design.md). One place, used by the producer SDK (refuse to publish) and by the service
 * (dead-letter instead of applying).
 */
import { ValidationError } from "./errors.ts";
import type { RunCompleted, TestRetired } from "./event.ts";

/** Timestamps must fall in [1970-01-01, 9999-12-31T23:59:59.999Z]: anything else is a unit mistake. */
export const MAX_TIMESTAMP_MS = 253402300799999;
/** Kubernetes names are at most 253 characters; ids and free text get some more room. */
export const MAX_NAME_LENGTH = 253;
export const MAX_RUN_ID_LENGTH = 512;
/** A restore longer than a year is not a measurement; it is a bug. */
export const MAX_SECONDS = 365 * 24 * 3600;
/** A retirement's reason is free text for people: a paragraph, not a document. */
export const MAX_REASON_LENGTH = 1024;

function timestamp(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_TIMESTAMP_MS) {
    throw new ValidationError(
      "timestamp_out_of_range",
      field,
      `${field}=${value} is not epoch milliseconds between 1970 and 9999`,
    );
  }
}

function seconds(field: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > MAX_SECONDS) {
    throw new ValidationError(
      "invalid_number",
      field,
      `${field}=${value} must be seconds in 0..${MAX_SECONDS}`,
    );
  }
}

function text(field: string, value: string, max: number): void {
  if (value.length > max) {
    throw new ValidationError(
      "oversized_field",
      field,
      `${field} has ${value.length} characters (max ${max})`,
    );
  }
}

function runId(value: string): void {
  if (value.length === 0) throw new ValidationError("empty_run_id", "runId", "runId is empty");
  text("runId", value, MAX_RUN_ID_LENGTH);
}

function testName(value: string): void {
  if (value.length === 0) throw new ValidationError("empty_test", "test", "test is empty");
  text("test", value, MAX_NAME_LENGTH);
}

function numbers(run: RunCompleted): void {
  if (!Number.isInteger(run.score) || run.score < 0 || run.score > 100) {
    throw new ValidationError("score_out_of_range", "score", `score=${run.score} is outside 0..100`);
  }
  timestamp("startedAt", run.startedAt);
  timestamp("completedAt", run.completedAt);
  // Also when the start is not known (startedAtKnown false): startedAt is then a bound that may
  // lie anywhere up to completedAt, not necessarily completedAt itself. Such a run has no
  // duration to bend, so any bound serves, and refusing one would dead-letter a failed run.
  if (run.completedAt < run.startedAt) {
    throw new ValidationError(
      "completed_before_started",
      "completedAt",
      `completedAt (${run.completedAt}) is before startedAt (${run.startedAt})`,
    );
  }
  if (run.rtoSeconds !== null) seconds("rtoSeconds", run.rtoSeconds);
  if (run.rtoTargetSeconds !== null) seconds("rtoTargetSeconds", run.rtoTargetSeconds);
  if (run.backupCreatedAt !== null) timestamp("backupCreatedAt", run.backupCreatedAt);
}

/** Throws ValidationError naming the first field at fault. */
export function validateRun(run: RunCompleted): void {
  runId(run.runId);
  testName(run.test);
  text("namespace", run.namespace, MAX_NAME_LENGTH);
  numbers(run);
  if (run.backupName !== null) text("backupName", run.backupName, MAX_NAME_LENGTH);
  if (run.cluster !== null) text("cluster", run.cluster, MAX_NAME_LENGTH);
}

/**
 * Throws ValidationError naming the first field at fault. The same rules as a run's: a name
 * within Kubernetes' limits, a timestamp between 1970 and 9999.
 */
export function validateRetirement(retirement: TestRetired): void {
  testName(retirement.test);
  text("namespace", retirement.namespace, MAX_NAME_LENGTH);
  if (retirement.cluster !== null) text("cluster", retirement.cluster, MAX_NAME_LENGTH);
  timestamp("retiredAt", retirement.retiredAt);
  if (retirement.reason !== null) text("reason", retirement.reason, MAX_REASON_LENGTH);
}
