/** Why a message or an event was refused. The reasons are stable: they label metrics and DLQ headers. */
export type CodecErrorReason =
  | "too_large"
  | "bad_magic"
  | "unknown_fingerprint"
  | "truncated"
  | "trailing_bytes"
  | "undecodable"
  | "schema_violation"
  // Schema-registry framing (registry-framing.ts):
  | "unsupported_framing"
  | "registry_not_configured"
  | "unknown_schema_id"
  | "incompatible_schema";

export class CodecError extends Error {
  override readonly name = "CodecError";
  constructor(
    readonly reason: CodecErrorReason,
    message: string,
    /** The event's field at fault, where one is (a field the forced writer version lacks). */
    readonly field?: string,
  ) {
    super(message);
  }
}

export type ValidationReason =
  | "empty_run_id"
  | "empty_test"
  | "score_out_of_range"
  | "timestamp_out_of_range"
  | "completed_before_started"
  | "invalid_number"
  | "oversized_field";

export class ValidationError extends Error {
  override readonly name = "ValidationError";
  constructor(
    readonly reason: ValidationReason,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export type InvalidReason = CodecErrorReason | ValidationReason;
