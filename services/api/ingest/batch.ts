/** A batch of messages through ingest: what was applied, duplicated, and refused (and why). */
import type { FactsReader } from "../../contract/index.ts";
import type { State } from "../core/index.ts";
import { ingest, type RejectReason } from "./ingest.ts";

export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * A batch as ingest reads it: keys and values end to end in one buffer, and per message four
 * numbers: key start, key length, value start, value length (a length of -1 for null). No
 * object per message: the fields are read where they lie.
 */
export interface PackedMessages {
  data: Buffer;
  index: Int32Array;
}

export interface Reject {
  /** Position of the message in its batch. */
  index: number;
  reason: RejectReason;
  detail: string;
}

export interface BatchResult {
  /** Runs and retirements applied. */
  applied: number;
  /** Of them, retirements that moved a test's retirement time. */
  retired: number;
  duplicate: number;
  rejects: Reject[];
}

export function ingestBatch(read: FactsReader, state: State, batch: PackedMessages): BatchResult {
  const result: BatchResult = { applied: 0, retired: 0, duplicate: 0, rejects: [] };
  const { data, index } = batch;
  for (let i = 0; i < index.length >> 2; i++) {
    const at = i << 2;
    const r = ingest(
      read,
      state,
      data,
      index[at] as number,
      index[at + 1] as number,
      index[at + 2] as number,
      index[at + 3] as number,
    );
    if (r === "applied") result.applied += 1;
    else if (r === "retired") {
      result.applied += 1;
      result.retired += 1;
    } else if (r === "duplicate") result.duplicate += 1;
    else result.rejects.push({ index: i, reason: r.reason, detail: r.detail });
  }
  return result;
}
