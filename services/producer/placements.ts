/**
 * Where each record of an acknowledged batch landed. Pure: kafkajs answers one base offset per
 * partition, and a partition's records are appended in the order sent, from that offset.
 */
import type { RecordMetadata } from "kafkajs";
import type { PublishResult } from "./errors.ts";

export type Placement = Pick<PublishResult, "topic" | "partition" | "offset">;

/**
 * `partitions[i]` is the partition record i of the batch was sent to (undefined if unknown).
 * A record whose partition did not answer is undefined. Throws when a partition answered an error.
 */
export function acknowledged(
  topic: string,
  metadata: readonly RecordMetadata[],
  partitions: readonly (number | undefined)[],
): (Placement | undefined)[] {
  const nextOffset = new Map<number, bigint>();
  for (const m of metadata) {
    if (m.errorCode !== 0 || m.baseOffset === undefined) {
      throw new Error(`partition ${m.partition} answered error code ${m.errorCode}`);
    }
    nextOffset.set(m.partition, BigInt(m.baseOffset));
  }
  return partitions.map((partition) => {
    const offset = partition === undefined ? undefined : nextOffset.get(partition);
    if (partition === undefined || offset === undefined) return undefined;
    nextOffset.set(partition, offset + 1n);
    return { topic, partition, offset: offset.toString() };
  });
}

/** acknowledged(), where a record with no acknowledgement is an error. */
export function placements(
  topic: string,
  metadata: readonly RecordMetadata[],
  partitions: readonly (number | undefined)[],
): Placement[] {
  return acknowledged(topic, metadata, partitions).map((p, i) => {
    if (p === undefined) throw new Error(`no acknowledgement for record ${i} of the batch`);
    return p;
  });
}
