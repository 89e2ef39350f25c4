/** The worker's side of the state changelog: a partition restored from packed records, and flushed into them. */
import { restorePartition } from "../changelog/restore.ts";
import type { ChangeTracker } from "../changelog/tracker.ts";
import type { State } from "../core/index.ts";
import {
  KEY_LENGTH,
  KEY_START,
  MESSAGE_FIELDS,
  type PackedBatch,
  pack,
  type RestoreOutcome,
  VALUE_LENGTH,
  VALUE_START,
} from "./protocol.ts";

function* unpacked(batch: PackedBatch) {
  const data = Buffer.from(batch.data);
  const { index } = batch;
  for (let at = 0; at < index.length; at += MESSAGE_FIELDS) {
    const keyStart = index[at + KEY_START] as number;
    const valueStart = index[at + VALUE_START] as number;
    const keyLength = index[at + KEY_LENGTH] as number;
    const valueLength = index[at + VALUE_LENGTH] as number;
    yield {
      key: data.subarray(keyStart, keyStart + Math.max(0, keyLength)),
      value: valueLength < 0 ? null : data.subarray(valueStart, valueStart + valueLength),
    };
  }
}

export function restorePacked(
  state: State,
  tracker: ChangeTracker,
  message: PackedBatch & { partition: number },
): RestoreOutcome {
  try {
    const { checkpoint, identities } = restorePartition(state, message.partition, unpacked(message));
    tracker.note(message.partition);
    tracker.markWritten(message.partition);
    return { checkpoint, identities, error: null };
  } catch (err) {
    return { checkpoint: 0, identities: 0, error: (err as Error).message };
  }
}

export function flushPartition(
  tracker: ChangeTracker,
  partition: number,
  appliedThrough: number,
): PackedBatch & { frozen: boolean } {
  return { ...pack(tracker.flush(partition, appliedThrough)), frozen: tracker.frozen(partition) };
}
