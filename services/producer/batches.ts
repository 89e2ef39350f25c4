/**
 * How prepared records are cut into the batches sent one after another. Pure: no Kafka.
 * Greedy and in order: a batch takes records until the next one would pass maxRecords or
 * maxBytes. A record larger than maxBytes alone still goes, alone: the broker judges it.
 */
export interface Batch<T> {
  /** The index of the batch's first record in the input. */
  start: number;
  items: T[];
}

export function batches<T extends { bytes: number }>(
  prepared: readonly T[],
  maxBytes: number,
  maxRecords: number,
): Batch<T>[] {
  const out: Batch<T>[] = [];
  let current: Batch<T> | undefined;
  let bytes = 0;
  prepared.forEach((item, i) => {
    if (current === undefined || current.items.length >= maxRecords || bytes + item.bytes > maxBytes) {
      current = { start: i, items: [] };
      out.push(current);
      bytes = 0;
    }
    current.items.push(item);
    bytes += item.bytes;
  });
  return out;
}
