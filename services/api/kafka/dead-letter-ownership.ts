/**
 * Who writes a dead letter, for one instance (pure: no Kafka, no clock of its own). Every replica
 * of a shard reads and refuses the same bad messages; only the replica that owns a partition
 * in the shared dead-letter group writes that partition's dead letters and commits its offsets
 * there, and a committed offset keeps its meaning: everything before it was dead-lettered.
 *
 * A replica that does not own a partition keeps its refusals (pending) until the owner's
 * committed offset passes them, so that whoever owns the partition next writes what the last
 * owner had not. Ownership is a lease: it holds only while the dead-letter group answered recently,
 * so a replica cut off from the group stops writing before the group gives its partitions to
 * another (within the session timeout).
 *
 * It is the one place that knows "below the group's committed offset, an earlier run (or
 * another replica) dead-lettered it": route() skips those letters before it looks at ownership,
 * so it must learn the commits found at start before the first batch's refusals reach it.
 */
import type { DeadLetter } from "./dead-letters.ts";

export interface Routed {
  /** To write now, in order. */
  write: DeadLetter[];
  /** Below the group's committed offset: an earlier run or another replica wrote them. */
  skipped: number;
  /** Kept until this instance owns their partition or the owner commits past them. */
  deferred: number;
}

export interface OwnershipOptions {
  /** How long a confirmation from the dead-letter group keeps ownership valid. */
  leaseMs: number;
  /** Pending letters kept per partition at most; the oldest go first (logged by the caller). */
  maxPendingPerPartition: number;
}

const offsetOf = (l: DeadLetter): number => Number(l.offset);

export class DeadLetterOwnership {
  private owned = new Set<number>();
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private readonly committed = new Map<number, number>();
  private readonly pending = new Map<number, DeadLetter[]>();
  private readonly due = new Map<number, number>();
  /** Per partition, the offset before which this instance has handled everything. */
  private readonly handledHere = new Map<number, number>();
  /** Pending letters dropped because a partition's buffer was full. */
  dropped = 0;

  constructor(private readonly options: OwnershipOptions) {}

  /** The group answered (a heartbeat, a commit): ownership holds for another lease. */
  confirm(now: number): void {
    this.confirmedAt = now;
  }

  /** A new assignment from the dead-letter group. Returns the partitions gained. */
  assign(partitions: readonly number[], now: number): number[] {
    const gained = partitions.filter((p) => !this.owned.has(p));
    this.owned = new Set(partitions);
    for (const p of this.due.keys()) if (!this.owned.has(p)) this.due.delete(p);
    this.confirm(now);
    return gained;
  }

  /** A rebalance started: write nothing until the next assignment. */
  revokeAll(): void {
    this.owned = new Set();
    this.due.clear();
  }

  owns(partition: number, now: number): boolean {
    return this.owned.has(partition) && now - this.confirmedAt < this.options.leaseMs;
  }

  ownedPartitions(now: number): number[] {
    return [...this.owned].filter((p) => this.owns(p, now)).sort((a, b) => a - b);
  }

  committedOffset(partition: number): number {
    return this.committed.get(partition) ?? -1;
  }

  /** What the dead-letter group holds for a partition (never moves it back). */
  learnCommitted(partition: number, offset: number): void {
    if (offset > this.committedOffset(partition)) this.committed.set(partition, offset);
    const kept = this.pending.get(partition)?.filter((l) => offsetOf(l) >= this.committedOffset(partition));
    if (kept === undefined) return;
    if (kept.length === 0) this.pending.delete(partition);
    else this.pending.set(partition, kept);
  }

  /** A batch's refusals, all of one partition or several. */
  route(letters: readonly DeadLetter[], now: number): Routed {
    const routed: Routed = { write: [], skipped: 0, deferred: 0 };
    for (const letter of letters) {
      if (offsetOf(letter) < this.committedOffset(letter.partition)) {
        routed.skipped += 1;
      } else if (this.owns(letter.partition, now)) {
        routed.write.push(letter);
      } else {
        routed.deferred += 1;
        const kept = this.pending.get(letter.partition) ?? [];
        kept.push(letter);
        if (kept.length > this.options.maxPendingPerPartition) {
          kept.shift();
          this.dropped += 1;
        }
        this.pending.set(letter.partition, kept);
      }
    }
    return routed;
  }

  /** The pending letters of a partition just gained, at or past its committed offset. */
  takePending(partition: number, now: number): DeadLetter[] {
    if (!this.owns(partition, now)) return [];
    const kept = (this.pending.get(partition) ?? []).filter(
      (l) => offsetOf(l) >= this.committedOffset(partition),
    );
    this.pending.delete(partition);
    return kept;
  }

  /** The offset before which this instance has handled everything of the partition, if any. */
  handledOffset(partition: number): number | undefined {
    return this.handledHere.get(partition);
  }

  /** Everything before `next` in the partition was handled here: commit it if we own it. */
  handled(partition: number, next: number, now: number): void {
    this.handledHere.set(partition, Math.max(next, this.handledHere.get(partition) ?? -1));
    if (!this.owns(partition, now) || next <= this.committedOffset(partition)) return;
    this.due.set(partition, Math.max(next, this.due.get(partition) ?? -1));
  }

  /**
   * A gained partition's pending letters are written: what this instance handled before it
   * owned the partition is now dead-lettered too, and due to be committed (else the next
   * owner would write those letters again).
   */
  resume(partition: number, now: number): void {
    const next = this.handledHere.get(partition);
    if (next !== undefined) this.handled(partition, next, now);
  }

  /** The commits due, once: the caller commits them, then reports each with learnCommitted(). */
  takeDue(now: number): Array<{ partition: number; offset: number }> {
    const out: Array<{ partition: number; offset: number }> = [];
    for (const [partition, offset] of this.due) {
      if (this.owns(partition, now)) out.push({ partition, offset });
    }
    this.due.clear();
    return out.sort((a, b) => a.partition - b.partition);
  }
}
