/**
 * The Kafka source's bookkeeping per partition, pure: no client, no clock, no I/O. The source
 * tells it what happened (offsets at start, a batch handed over, a batch handled) and asks it
 * where to seek, how far the replay is and whether it caught up.
 *
 * Positions are ours, not the group's: a partition is sought, on every group join, to the next
 * offset not yet handed over, so a restart of the consumer or a rebalance never skips or
 * re-reads a range. What an earlier run dead-lettered is not known here: the dead-letter group
 * (dead-letter-group.ts) alone decides that.
 */

/** A partition's offsets at start: its first (low) and its end (high, the next to be written). */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

interface Partition {
  /** The next offset to apply: every offset below it is handled. */
  position: number;
  /** The next offset not yet handed over (ahead of position while batches are in flight). */
  dispatched: number;
  low: number;
  endAtStart: number;
}

export interface Progress {
  /** Events handled of those in the log at start. */
  done: number;
  total: number;
}

export class PartitionTracker {
  readonly #partitions = new Map<number, Partition>();
  #caughtUp = false;

  /** The partitions as they stood at start. */
  load(offsets: readonly PartitionOffsets[]): void {
    for (const { partition, low, high } of offsets) {
      this.#partitions.set(partition, { position: low, dispatched: low, low, endAtStart: high });
    }
  }

  get size(): number {
    return this.#partitions.size;
  }

  /** The partitions known at start. */
  partitions(): IterableIterator<number> {
    return this.#partitions.keys();
  }

  /** Where a partition assigned on a group join resumes; undefined for one not known at start. */
  seekOffset(partition: number): number | undefined {
    return this.#partitions.get(partition)?.dispatched;
  }

  /** A batch [first .. next) of the partition is handed over. A partition added after start is followed from its first batch. */
  dispatch(partition: number, first: number, next: number): void {
    let p = this.#partitions.get(partition);
    if (p === undefined) {
      p = { position: first, dispatched: first, low: first, endAtStart: first };
      this.#partitions.set(partition, p);
    }
    p.dispatched = next;
  }

  /** Everything of the partition below `next` is handled (batches of a partition complete in order). */
  handled(partition: number, next: number): void {
    const p = this.#partitions.get(partition);
    if (p === undefined) return;
    p.position = Math.max(p.position, next);
  }

  /** Messages between the partition's position and `high`; undefined for an unknown partition. */
  lag(partition: number, high: number): number | undefined {
    const p = this.#partitions.get(partition);
    return p === undefined ? undefined : Math.max(0, high - p.position);
  }

  /** How much of the log as it stood at start is handled. */
  progress(): Progress {
    let done = 0;
    let total = 0;
    for (const p of this.#partitions.values()) {
      total += p.endAtStart - p.low;
      done += Math.min(p.position, p.endAtStart) - p.low;
    }
    return { done, total };
  }

  /** Whether every partition reached its end at start; stays true once it was. */
  get caughtUp(): boolean {
    return this.#caughtUp;
  }

  /** Checks again: true only the one time the tracker becomes caught up. */
  catchUp(): boolean {
    if (this.#caughtUp) return false;
    for (const p of this.#partitions.values()) if (p.position < p.endAtStart) return false;
    this.#caughtUp = true;
    return true;
  }
}
