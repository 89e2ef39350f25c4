/**
 * Ingest, one message: bytes -> facts (decoded and validated) -> apply (a run) or retire (a
 * retirement) on the core state. Knows nothing of Kafka clients; it sees a key and a value where
 * they lie in a buffer.
 */
import {
  CodecError,
  type EventFacts,
  type FactsReader,
  type InvalidReason,
  ValidationError,
} from "../../contract/index.ts";
import { apply, type Outcome, type RetireOutcome, retire, type State } from "../core/index.ts";

/** Why a message was refused; stable strings that label metrics and DLQ headers. */
export type RejectReason = InvalidReason | "missing_value" | "key_mismatch";

export interface Refusal {
  reason: RejectReason;
  detail: string;
}

export type IngestResult = Outcome | RetireOutcome | Refusal;

/** Whether data[start .. start + length) is the test name's UTF-8. */
function keyIsTest(data: Buffer, start: number, length: number, test: Uint8Array): boolean {
  if (length !== test.length) return false;
  for (let i = 0; i < length; i++) if (data[start + i] !== test[i]) return false;
  return true;
}

/** One message: the key at data[keyStart ..] and the value at data[valueStart ..]; -1 lengths for null. */
export function ingest(
  read: FactsReader,
  state: State,
  data: Buffer,
  keyStart: number,
  keyLength: number,
  valueStart: number,
  valueLength: number,
): IngestResult {
  if (valueLength <= 0) return { reason: "missing_value", detail: "message has no value" };
  let event: EventFacts;
  try {
    event = read(data, valueStart, valueStart + valueLength);
  } catch (err) {
    if (err instanceof CodecError || err instanceof ValidationError)
      return { reason: err.reason, detail: err.message };
    throw err;
  }
  // The key places a test in its partition: one test, one partition, one order on every replay.
  if (keyLength < 0 || !keyIsTest(data, keyStart, keyLength, event.testUtf8)) {
    return { reason: "key_mismatch", detail: `message key must be the test name "${event.test}"` };
  }
  return event.kind === "run" ? apply(state, event) : retire(state, event);
}
