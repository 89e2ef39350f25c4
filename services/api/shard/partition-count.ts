/**
 * Has the events topic's partition count changed since the dead-letter group first committed? Events are keyed
 * by test and partitioned by the hash of the key modulo the partition count, so adding
 * partitions moves a test's later runs to another partition, and possibly to another shard: its
 * series would then be split, each shard serving part of its runs. The dead-letter group's commits
 * carry the count they were made under ("partitions=<n>", carried forward from the first), so
 * a start can tell. The log keeps the split runs for ever: the report persists until the topic
 * is rewritten or the dead-letter group reset.
 */
const RECORD = /^partitions=(\d+)$/;

export const countMetadata = (count: number): string => `partitions=${count}`;

/** The count recorded in the commits' metadata (the smallest, if they disagree), or null. */
export function recordedCount(metadata: ReadonlyArray<string | null>): number | null {
  let found: number | null = null;
  for (const m of metadata) {
    const match = RECORD.exec(m ?? "");
    if (match) found = Math.min(found ?? Number.POSITIVE_INFINITY, Number(match[1]));
  }
  return found;
}
