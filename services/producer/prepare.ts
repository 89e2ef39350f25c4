/**
 * An input made ready to send: type-checked, validated by the contract, encoded, keyed by
 * test. Everything that can refuse a record happens here, before anything is sent; the CLIs
 * call it too, so a record is judged once and the same way.
 */
import type { Message } from "kafkajs";
import {
  type Codec,
  CodecError,
  createCodec,
  LATEST_SCHEMA_VERSION,
  type SchemaVersion,
  type TestRetired,
  ValidationError,
  validateRetirement,
  validateRun,
  writerVersionFor,
} from "../contract/index.ts";
import { InputError, PublishError } from "./errors.ts";
import { type RetirementInput, toRetirement } from "./retirement-input.ts";
import type { RunInput, WireRun } from "./run-fields.ts";
import { checkRunShape, toWireRun } from "./run-shape.ts";

/** Per-record overhead in a Kafka record batch, counted towards the batch size. */
const RECORD_OVERHEAD_BYTES = 32;

export interface Prepared {
  message: Message;
  /** What the record adds to a batch. */
  bytes: number;
}
export type PreparedRun = Prepared & { run: WireRun };
export type PreparedRetirement = Prepared & { retirement: TestRetired };

function framed(key: string, value: Buffer): Prepared {
  const k = Buffer.from(key, "utf8");
  return { message: { key: k, value }, bytes: k.length + value.length + RECORD_OVERHEAD_BYTES };
}

/** A refusal of the input as a PublishError that names the item (`run 3: `) and the field. */
function refused(err: unknown, where: string, index: number | undefined, field?: string): never {
  if (err instanceof InputError || err instanceof ValidationError) {
    const reason = err instanceof ValidationError ? err.reason : "invalid_type";
    throw new PublishError("validation", `${where}${err.message}`, {
      index,
      field: field ?? err.field,
      reason,
      cause: err,
    });
  }
  if (err instanceof CodecError) {
    throw new PublishError("encoding", `${where}${err.message}`, {
      index,
      field,
      reason: err.reason,
      cause: err,
    });
  }
  throw err;
}

/**
 * `version` undefined: 2, or 3 when the run needs it. Throws PublishError "validation" (the field named)
 * or "encoding"; `index` names the run in messages (`run 3: `).
 */
export function prepareRunWith(
  codec: Codec,
  input: RunInput,
  version: SchemaVersion | undefined,
  index?: number,
): PreparedRun {
  const where = index === undefined ? "" : `run ${index}: `;
  let run: WireRun | undefined;
  try {
    checkRunShape(input);
    run = toWireRun(input);
    validateRun(run);
  } catch (err) {
    // An unknown start is a copy of completedAt: a refusal of it is completedAt's.
    const copied =
      err instanceof ValidationError && err.field === "startedAt" && run?.startedAtKnown === false;
    return refused(err, where, index, copied ? "completedAt" : undefined);
  }
  try {
    // Unforced: version 2 as before, or 3 for a run whose start is not known (old readers read 1 and 2).
    return { ...framed(run.test, codec.encode(run, version ?? writerVersionFor(run, 2))), run };
  } catch (err) {
    return refused(err, where, index, err instanceof CodecError ? err.field : undefined);
  }
}

export function prepareRetirementWith(
  codec: Codec,
  input: RetirementInput,
  index?: number,
): PreparedRetirement {
  const where = index === undefined ? "" : `retirement ${index}: `;
  try {
    const retirement = toRetirement(input);
    validateRetirement(retirement);
    return { ...framed(retirement.test, codec.encodeRetirement(retirement)), retirement };
  } catch (err) {
    return refused(err, where, index);
  }
}

let shared: Codec | undefined;
const sharedCodec = (): Codec => {
  shared ??= createCodec(LATEST_SCHEMA_VERSION);
  return shared;
};

/**
 * What publish() would send for a run, or the PublishError it would refuse it with, without a
 * producer: for callers that judge a whole input before sending any of it.
 */
export function prepare(run: RunInput, options: { schemaVersion?: SchemaVersion } = {}): PreparedRun {
  return prepareRunWith(sharedCodec(), run, options.schemaVersion);
}

/** prepare() for a retirement: what retire() would send, or its refusal. */
export function prepareRetirement(retirement: RetirementInput): PreparedRetirement {
  return prepareRetirementWith(sharedCodec(), retirement);
}
