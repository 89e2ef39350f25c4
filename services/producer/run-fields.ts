/**
 * RunCompleted's fields as a producer takes them, in schema order: the one table from which
 * the SDK's type check (run-shape.ts), the NDJSON and flag parser, the NDJSON writer
 * (run-input.ts) and the CLI's help derive. The Avro schemas stay the contract's; this is
 * what a caller may give.
 */
import type { RunCompleted } from "../contract/index.ts";

/**
 * - string: a string
 * - result: pass, fail or partial
 * - score: an integer
 * - timestamp: epoch milliseconds (RFC 3339 or epoch milliseconds in text input)
 * - seconds: a number of seconds
 */
export type FieldKind = "string" | "result" | "score" | "timestamp" | "seconds";

export interface FieldSpec {
  name: keyof RunCompleted;
  kind: FieldKind;
  /** Refused when missing or null; otherwise null (or leaving it out) means "not given". */
  required: boolean;
  /**
   * May be left out of an SDK input altogether, not only set to null: cluster (older callers
   * built runs for schema version 1) and startedAt (a run whose start is not known).
   */
  omittable?: true;
}

export const RUN_FIELDS: readonly FieldSpec[] = [
  { name: "runId", kind: "string", required: true },
  { name: "test", kind: "string", required: true },
  { name: "namespace", kind: "string", required: true },
  { name: "result", kind: "result", required: true },
  { name: "score", kind: "score", required: true },
  { name: "startedAt", kind: "timestamp", required: false, omittable: true },
  { name: "completedAt", kind: "timestamp", required: true },
  { name: "rtoSeconds", kind: "seconds", required: false },
  { name: "backupName", kind: "string", required: false },
  { name: "backupCreatedAt", kind: "timestamp", required: false },
  { name: "rtoTargetSeconds", kind: "seconds", required: false },
  { name: "cluster", kind: "string", required: false, omittable: true },
];

export const RUN_FIELD_NAMES: readonly string[] = RUN_FIELDS.map((f) => f.name);

/**
 * A run as the SDK and the CLIs take it. Without startedAt (or with null) the run's start is
 * not known: the event then carries startedAt = completedAt and startedAtKnown = false, and the
 * service does not observe a duration for it. A RunCompleted is a RunInput.
 */
export type RunInput = Omit<RunCompleted, "startedAt" | "cluster"> & {
  startedAt?: number | null;
  cluster?: string | null;
  /** false: the start is not known, whatever startedAt says. Absent: known if startedAt is given. */
  startedAtKnown?: boolean;
};

/** The event the SDK encodes for an input: startedAtKnown is set only when the start is not known. */
export type WireRun = RunCompleted & { startedAtKnown?: false };
