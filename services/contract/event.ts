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
}

/** Free-text fields the service only checks, never keeps. */
export const UNKEPT_FIELDS = ["namespace", "backupName", "cluster"] as const;

/** Where a string's UTF-8 lies in the bytes it was read from: bytes[start .. end). */
export interface ByteSpan {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** What the service's state is made of: a RunCompleted without the free text it never keeps. */
export type RunFacts = Omit<RunCompleted, (typeof UNKEPT_FIELDS)[number]> & {
  /**
   * Set by a reader that reads in place when every byte of the runId is below 0x80: the core
   * then dedupes those bytes, and no string is made. Valid only until that reader's next read.
   */
  readonly runIdAscii?: ByteSpan | null;
  /**
   * Set by a reader that reads in place: where the test name's UTF-8 lies, valid as long as
   * runIdAscii. Left null when those bytes are ill-formed UTF-8 (the name is then their lossy
   * decoding, whose UTF-8 is other bytes).
   */
  readonly testBytes?: ByteSpan | null;
};

export type SchemaVersion = 1 | 2;
export const SCHEMA_VERSIONS: readonly SchemaVersion[] = [1, 2];
export const LATEST_SCHEMA_VERSION: SchemaVersion = 2;
