/** A batch of messages through ingest: what was applied, duplicated, and refused (and why). */
import type { Codec } from "../../contract/index.ts";
import type { State } from "../core/index.ts";
import { ingest, type RejectReason } from "./ingest.ts";

export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
}

export interface Reject {
  /** Position of the message in its batch. */
  index: number;
  reason: RejectReason;
  detail: string;
}

export interface BatchResult {
  applied: number;
  duplicate: number;
  rejects: Reject[];
}

export function ingestBatch(codec: Codec, state: State, messages: readonly RawMessage[]): BatchResult {
  const result: BatchResult = { applied: 0, duplicate: 0, rejects: [] };
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as RawMessage;
    const r = ingest(codec, state, m.key, m.value);
    if (r.outcome === "invalid") result.rejects.push({ index: i, reason: r.reason, detail: r.detail });
    else result[r.outcome] += 1;
  }
  return result;
}
