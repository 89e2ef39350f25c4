/**
 * Which partitions a shard owns. Events are keyed by test, so a test lives in one partition and
 * hence in one shard (while the partition count holds). Shard i of N owns the partitions p with
 * p % N == i: fixed by the two numbers alone, so every replica of a shard, and every restart,
 * reads the same set without asking anyone.
 */

export interface Shard {
  /** This instance's shard, 0 <= index < total. */
  index: number;
  /** How many shards split the topic; 1 means one instance (or its replicas) reads everything. */
  total: number;
}

export function ownsPartition(shard: Shard, partition: number): boolean {
  return partition % shard.total === shard.index;
}

/** The shard's partitions among the topic's, ascending. */
export function shardPartitions(shard: Shard, partitions: readonly number[]): number[] {
  return partitions.filter((p) => ownsPartition(shard, p)).sort((a, b) => a - b);
}

/**
 * Why this shard cannot run on a topic with these partitions, or null. With fewer partitions
 * than shards some shard would own none and serve nothing while looking healthy.
 */
export function shardProblem(shard: Shard, partitionCount: number): string | null {
  if (shard.index >= shard.total) return `shard ${shard.index} does not exist among ${shard.total}`;
  if (partitionCount < shard.total) {
    return `the topic has ${partitionCount} partition(s), fewer than the ${shard.total} shards: some shard would own none`;
  }
  return null;
}

export const describeShard = (shard: Shard): string => `${shard.index}/${shard.total}`;
