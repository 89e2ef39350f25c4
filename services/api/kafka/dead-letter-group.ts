/**
 * The dead-letter group: every instance (all replicas of all shards) joins the consumer group
 * KYMAROS_GROUP_ID, whose leader gives each partition to one member of the shard that reads it
 * (shard/assignment.ts). That member alone writes the partition's dead letters and commits its
 * offsets there, so N replicas write one copy, and a committed offset keeps the meaning it has
 * always had: everything before it was dead-lettered. Who writes what is decided by the pure
 * DeadLetterOwnership (dead-letter-ownership.ts); this file wires it to a consumer of the group
 * (GroupConsumer, a seam kafkajs fills in consumers.ts), the sink and the timers.
 *
 * Nothing here holds up readiness: the reader (source.ts, its own throwaway group) replays and
 * serves whatever this group is doing; refusals meanwhile wait in the ownership's pending list.
 * The group fetches only what arrives after it joined (each partition is sought to its end), so
 * its reads are the live events of the shard, again.
 */
import type { Admin } from "kafkajs";
import type { Logger } from "../../log/logger.ts";
import type { SelfMetrics } from "../metrics/serve/self.ts";
import { countMetadata } from "../shard/partition-count.ts";
import type { DeadLetterOwnership } from "./dead-letter-ownership.ts";
import type { DeadLetter, DeadLetterSink } from "./dead-letters.ts";

/** A member that stops heartbeating loses its partitions after this long. */
export const GROUP_SESSION_MS = 10_000;

/** What the group's consumer tells the dead-letter group. */
export interface GroupEvents {
  /** The group (re)joined: this member fetches these partitions; what it owns comes with owned(). */
  joined(memberId: string, partitions: readonly number[]): void;
  heartbeat(): void;
  /** The consumer crashed; `restart` when the client restarts it by itself. */
  crashed(error: Error, restart: boolean): void;
}

export interface GroupCommit {
  partition: number;
  offset: string;
  metadata: string;
}

/** The part of a consumer of the group that this file uses (consumers.ts builds it on kafkajs). */
export interface GroupConsumer {
  /** Connects, subscribes to the topic's live end and fetches (only so that it heartbeats). */
  run(): Promise<void>;
  seek(partition: number, offset: string): void;
  commit(offsets: GroupCommit[]): Promise<void>;
  /** The partitions the group's leader gave this member to own, or null while a newer rebalance is under way. */
  owned(memberId: string): Promise<number[] | null>;
  disconnect(): Promise<void>;
}

export type GroupConsumerFactory = (
  settings: { groupId: string; topic: string },
  events: GroupEvents,
) => GroupConsumer;

/** What the dead-letter group asks of the admin client (the caller connects and disconnects it). */
export type GroupAdmin = Pick<Admin, "fetchOffsets" | "fetchTopicOffsets">;

/**
 * Where a partition's owner learns that everything before `next` was applied and its dead
 * letters written: the place for a per-partition writer that only the owner may run (a
 * changelog, say). Called in each partition's order; never on a replica that does not own it.
 */
export type OwnerApplied = (partition: number, next: number) => void;

export interface DeadLetterGroupOptions {
  consumers: GroupConsumerFactory;
  admin: GroupAdmin;
  topic: string;
  groupId: string;
  ownership: DeadLetterOwnership;
  sink: DeadLetterSink;
  logger: Logger;
  metrics: SelfMetrics;
  onFatal: (error: Error) => void;
  ownerApplied?: OwnerApplied;
  now?: () => number;
}

/** What the reader found at start (source.ts's ReplayStart). */
export interface GroupStart {
  /** The group's committed offsets then: the letters below them were written by an earlier run. */
  committedAtStart: ReadonlyMap<number, number>;
  /** Written as each commit's metadata (see partition-count.ts). */
  partitionCount: number;
}

export interface DeadLetterGroup {
  /**
   * Learns the commits found at start (so letters below them are skipped from the first batch
   * on), then joins in the background: never awaited, since a dead member's session may hold it.
   */
  start(at: GroupStart): void;
  /** The batch's refusals: written now where this instance owns their partition; resolves with how many. */
  send(letters: DeadLetter[]): Promise<number>;
  handled(partition: number, next: number): void;
  stop(): Promise<void>;
}

export function createDeadLetterGroup(options: DeadLetterGroupOptions): DeadLetterGroup {
  const { topic, ownership, logger, metrics } = options;
  const now = options.now ?? Date.now;
  let consumer: GroupConsumer | undefined;
  let stopping = false;
  let metadata = "";
  const timers: NodeJS.Timeout[] = [];
  /**
   * Partitions with letters written since their last commit: committed as soon as the batch is
   * handled, not at the next tick, which narrows the window in which a crash leaves letters
   * written but not committed (the next owner would write them again).
   */
  const wrote = new Set<number>();
  /** Writes in order: a gained partition's pending letters before the next batch's. */
  let writing: Promise<unknown> = Promise.resolve();

  function write(letters: DeadLetter[]): Promise<number> {
    if (letters.length === 0) return writing.then(() => 0);
    const next = writing.then(() => options.sink.send(letters));
    writing = next.catch(() => {});
    return next;
  }

  async function refreshCommitted(): Promise<void> {
    const committed = await options.admin.fetchOffsets({ groupId: options.groupId, topics: [topic] });
    for (const { partition, offset } of committed[0]?.partitions ?? []) {
      ownership.learnCommitted(partition, Number(offset));
    }
  }

  async function commitDue(): Promise<void> {
    const due = ownership.takeDue(now());
    if (due.length === 0 || !consumer) return;
    try {
      await consumer.commit(
        due.map(({ partition, offset }) => ({ partition, offset: String(offset), metadata })),
      );
      ownership.confirm(now());
      for (const { partition, offset } of due) ownership.learnCommitted(partition, offset);
    } catch (err) {
      // A rebalance took the partitions (a later owner commits), or the broker is away (a later
      // commit covers it): the cost is a few dead letters written twice, never one lost.
      logger.debug("dead-letter commit failed", { error: err });
    }
  }

  async function adopt(c: GroupConsumer, memberId: string, partitions: readonly number[]): Promise<void> {
    const ends = new Map((await options.admin.fetchTopicOffsets(topic)).map((e) => [e.partition, e.high]));
    for (const partition of partitions) {
      const high = ends.get(partition);
      if (high !== undefined) c.seek(partition, high);
    }
    const owned = await c.owned(memberId);
    if (owned === null) return; // a newer rebalance is under way; its join comes next
    await refreshCommitted();
    const gained = ownership.assign(owned, now());
    metrics.deadLetterPartitions.set(owned.length);
    logger.info("dead-letter partitions", { groupId: options.groupId, owned, gained });
    for (const partition of gained) {
      const published = await write(ownership.takePending(partition, now()));
      if (published > 0) metrics.deadLetters.inc({ result: "published" }, published);
      ownership.resume(partition, now());
    }
  }

  function tick(): void {
    metrics.deadLetterPartitions.set(ownership.ownedPartitions(now()).length);
    void refreshCommitted().catch((err: unknown) =>
      logger.debug("dead-letter group offsets refresh failed", { error: err }),
    );
    if (ownership.dropped > 0) {
      logger.warn("pending dead letters dropped (their owner should write them)", {
        dropped: ownership.dropped,
      });
      ownership.dropped = 0;
    }
  }

  const events = (c: () => GroupConsumer): GroupEvents => ({
    joined(memberId, partitions) {
      ownership.revokeAll();
      metrics.deadLetterPartitions.set(0);
      void adopt(c(), memberId, partitions).catch((err: unknown) =>
        logger.warn("dead-letter group: assignment not adopted", { error: err }),
      );
    },
    heartbeat: () => ownership.confirm(now()),
    crashed(error, restart) {
      if (!restart && !stopping) options.onFatal(error);
    },
  });

  return {
    start(at) {
      for (const [partition, offset] of at.committedAtStart) ownership.learnCommitted(partition, offset);
      metadata = countMetadata(at.partitionCount);
      const c = options.consumers(
        { groupId: options.groupId, topic },
        events(() => c),
      );
      consumer = c;
      timers.push(setInterval(() => void commitDue(), 1_000).unref());
      timers.push(setInterval(tick, 5_000).unref());
      c.run().catch((err: Error) => {
        if (!stopping) options.onFatal(err);
      });
    },

    async send(letters) {
      const routed = ownership.route(letters, now());
      if (routed.skipped > 0) metrics.deadLetters.inc({ result: "skipped" }, routed.skipped);
      if (routed.deferred > 0) metrics.deadLetters.inc({ result: "deferred" }, routed.deferred);
      for (const l of routed.write) wrote.add(l.partition);
      return write(routed.write);
    },

    handled(partition, next) {
      ownership.handled(partition, next, now());
      if (options.ownerApplied && ownership.owns(partition, now())) options.ownerApplied(partition, next);
      if (wrote.delete(partition)) void commitDue();
    },

    async stop() {
      stopping = true;
      for (const t of timers) clearInterval(t);
      await writing;
      await commitDue();
      await consumer?.disconnect();
    },
  };
}
