/**
 * The transform between the Kafka source and the core: bytes -> decode -> validate -> apply.
 * Knows nothing of Kafka clients; it sees a key and a value.
 */
import {
  type Codec,
  CodecError,
  decodeValidFacts,
  type InvalidReason,
  type RunFacts,
  ValidationError,
} from "../../contract/index.ts";
import { apply, type Outcome, type State } from "../core/index.ts";

/** Why a message was refused; stable strings that label metrics and DLQ headers. */
export type RejectReason = InvalidReason | "missing_value" | "key_mismatch";

export type IngestResult =
  | { outcome: Outcome; run: RunFacts }
  | { outcome: "invalid"; reason: RejectReason; detail: string };

function invalid(reason: RejectReason, detail: string): IngestResult {
  return { outcome: "invalid", reason, detail };
}

/** Whether the key's bytes are the test name's UTF-8, without allocating for ASCII names. */
function keyIsTest(key: Buffer, test: string): boolean {
  if (key.length === test.length) {
    let ascii = true;
    for (let i = 0; i < key.length; i++) {
      const c = test.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      if (key[i] !== c) return false;
    }
    if (ascii) return true;
  }
  return key.equals(Buffer.from(test, "utf8"));
}

export function ingest(codec: Codec, state: State, key: Buffer | null, value: Buffer | null): IngestResult {
  if (value === null || value.length === 0) return invalid("missing_value", "message has no value");
  let run: RunFacts;
  try {
    run = decodeValidFacts(codec, value);
  } catch (err) {
    if (err instanceof CodecError || err instanceof ValidationError) return invalid(err.reason, err.message);
    throw err;
  }
  // The key places a test in its partition: one test, one partition, one order on every replay.
  if (key === null || !keyIsTest(key, run.test)) {
    return invalid("key_mismatch", `message key must be the test name "${run.test}"`);
  }
  return { outcome: apply(state, run), run };
}
