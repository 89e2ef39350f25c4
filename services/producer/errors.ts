/** The errors of the producer SDK and CLIs: each says what was refused and where. */

/** A value that does not parse (a timestamp, a duration, a field of an input record). */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    /** The field at fault, in the input's own naming (`score`, `status.rto.measured`). */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** What went wrong with a publish: the run itself, its encoding, or the broker. */
export type PublishErrorKind = "validation" | "encoding" | "kafka";

/** Where a record landed once the broker acknowledged it (acks=-1: every in-sync replica). */
export interface PublishResult {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kept as the decimal string kafkajs reports. */
  offset: string;
  runId: string;
  test: string;
}

/** Where a TestRetired landed, and which test (identity) it retired. */
export interface RetireResult {
  topic: string;
  partition: number;
  offset: string;
  test: string;
  namespace: string;
  cluster: string | null;
  retiredAt: number;
}

export interface PublishErrorDetails {
  /** Index of the run at fault in a publishMany call. */
  index?: number;
  /** Field of the run at fault (validation and some encoding errors). */
  field?: string;
  /** The contract's reason (ValidationReason / CodecErrorReason) when there is one. */
  reason?: string;
  /**
   * The records the broker acknowledged before a Kafka failure, in input order: always a
   * prefix of the input, since batches go out one after another. Empty for validation and
   * encoding errors, which are raised before anything is sent.
   */
  acknowledged?: PublishResult[] | RetireResult[];
  cause?: unknown;
}

export class PublishError extends Error {
  override readonly name = "PublishError";
  readonly index: number | undefined;
  readonly field: string | undefined;
  readonly reason: string | undefined;
  readonly acknowledged: PublishResult[] | RetireResult[];

  constructor(
    readonly kind: PublishErrorKind,
    message: string,
    details: PublishErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.index = details.index;
    this.field = details.field;
    this.reason = details.reason;
    this.acknowledged = details.acknowledged ?? [];
  }
}
