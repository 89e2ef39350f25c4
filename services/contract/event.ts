/** The RunCompleted event as the code sees it, whatever schema version wrote it. */

export const RESULTS = ["pass", "fail", "partial"] as const;
export type Result = (typeof RESULTS)[number];

/**
 * Timestamps are integer milliseconds since the Unix epoch (UTC), exactly as Avro's
 * timestamp-millis stores them: no Date objects, so arithmetic on them stays exact.
 */
export interface RunCompleted {
  runId: string;
  test: string;
  namespace: string;
  result: Result;
  score: number;
  startedAt: number;
  completedAt: number;
  rtoSeconds: number | null;
  backupName: string | null;
  backupCreatedAt: number | null;
  rtoTargetSeconds: number | null;
  /** Only written by schema version 2; null when the writer was version 1. */
  cluster: string | null;
  /** Schema version 3: false when startedAt is a stand-in (= completedAt); absent means true. */
  startedAtKnown?: boolean;
}

/** Where a string's UTF-8 lies in the bytes it was read from: bytes[start .. end). */
export interface ByteSpan {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/**
 * What the service's state is made of: a RunCompleted without the free text it never keeps,
 * with the runId as its UTF-8 bytes (the dedupe set compares bytes, and replay then makes no
 * string per event) and the test name also as its UTF-8 (what the message key must be).
 */
export interface RunFacts {
  readonly kind: "run";
  /** Valid only until the reader that made these facts reads again. */
  readonly runId: ByteSpan;
  readonly test: string;
  /** Exactly test's UTF-8. */
  readonly testUtf8: Uint8Array;
  /** With test and cluster, the test's identity. */
  readonly namespace: string;
  /** "" when the run carries none (a v1 writer, or null). */
  readonly cluster: string;
  readonly result: Result;
  readonly score: number;
  readonly startedAt: number;
  readonly completedAt: number;
  readonly rtoSeconds: number | null;
  readonly backupCreatedAt: number | null;
  readonly rtoTargetSeconds: number | null;
}

/**
 * A test was deleted or renamed (schemas/test-retired.v1.avsc): its current life ends. Runs of
 * the test (same name, namespace and cluster) completed at or before retiredAt count for nothing.
 * Published on the events topic, keyed by test like its runs.
 */
export interface TestRetired {
  test: string;
  namespace: string;
  /** null where the test's runs carry no cluster (schema v1 runs, or v2 runs without one). */
  cluster: string | null;
  retiredAt: number;
  /** Free text for people (deleted, renamed, ...); never a label. */
  reason: string | null;
}

/** Any event of the topic, as the codec decodes it. */
export type DecodedEvent = { kind: "run"; run: RunCompleted } | { kind: "retired"; retirement: TestRetired };

/** What the service's state takes from a TestRetired: its identity and time, not the reason. */
export interface RetirementFacts {
  readonly kind: "retired";
  readonly test: string;
  /** Exactly test's UTF-8 (what the message key must be). */
  readonly testUtf8: Uint8Array;
  readonly namespace: string;
  /** "" for null, as for runs. */
  readonly cluster: string;
  readonly retiredAt: number;
}

/** What a facts reader hands over: one of the topic's events. */
export type EventFacts = RunFacts | RetirementFacts;

export type SchemaVersion = 1 | 2;
export const SCHEMA_VERSIONS: readonly SchemaVersion[] = [1, 2];
export const LATEST_SCHEMA_VERSION: SchemaVersion = 2;
