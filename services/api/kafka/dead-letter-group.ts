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

/** A dead-letter group's state while it runs: what the functions below share. */
interface Member {
  readonly options: DeadLetterGroupOptions;
  readonly now: () => number;
  consumer: GroupConsumer | undefined;
  stopping: boolean;
  /** Each commit's metadata: the partition count recorded (see partition-count.ts). */
  metadata: string;
  /**
   * Partitions with letters written since their last commit: committed as soon as the batch is
   * handled, not at the next tick, which narrows the window in which a crash leaves letters
   * written but not committed (the next owner would write them again).
   */
  readonly wrote: Set<number>;
  /** Writes in order: a gained partition's pending letters before the next batch's. */
  writing: Promise<unknown>;
}

function write(m: Member, letters: DeadLetter[]): Promise<number> {
  if (letters.length === 0) return m.writing.then(() => 0);
  const next = m.writing.then(() => m.options.sink.send(letters));
  m.writing = next.catch(() => {});
  return next;
}

async function refreshCommitted({ options }: Member): Promise<void> {
  const committed = await options.admin.fetchOffsets({ groupId: options.groupId, topics: [options.topic] });
  for (const { partition, offset } of committed[0]?.partitions ?? []) {
    options.ownership.learnCommitted(partition, Number(offset));
  }
}

async function commitDue(m: Member): Promise<void> {
  const { ownership, logger } = m.options;
  const due = ownership.takeDue(m.now());
  if (due.length === 0 || !m.consumer) return;
  try {
    await m.consumer.commit(
      due.map(({ partition, offset }) => ({ partition, offset: String(offset), metadata: m.metadata })),
    );
    ownership.confirm(m.now());
    for (const { partition, offset } of due) ownership.learnCommitted(partition, offset);
  } catch (err) {
    // A rebalance took the partitions (a later owner commits), or the broker is away (a later
    // commit covers it): the cost is a few dead letters written twice, never one lost.
    logger.debug("dead-letter commit failed", { error: err });
  }
}

/** After a join: seek to the live end, learn what this member owns, write a gained partition's pending letters. */
async function adopt(
  m: Member,
  c: GroupConsumer,
  memberId: string,
  partitions: readonly number[],
): Promise<void> {
  const { options, now } = m;
  const { ownership, metrics } = options;
  const ends = new Map(
    (await options.admin.fetchTopicOffsets(options.topic)).map((e) => [e.partition, e.high]),
  );
  for (const partition of partitions) {
    const high = ends.get(partition);
    if (high !== undefined) c.seek(partition, high);
  }
  const owned = await c.owned(memberId);
  if (owned === null) return; // a newer rebalance is under way; its join comes next
  await refreshCommitted(m);
  const gained = ownership.assign(owned, now());
  metrics.deadLetterPartitions.set(owned.length);
  options.logger.info("dead-letter partitions", { groupId: options.groupId, owned, gained });
  for (const partition of gained) {
    const published = await write(m, ownership.takePending(partition, now()));
    if (published > 0) metrics.deadLetters.inc({ result: "published" }, published);
    ownership.resume(partition, now());
    // A gained partition's changelog is written from what was applied before it was owned.
    const next = ownership.handledOffset(partition);
    if (next !== undefined) options.ownerApplied?.(partition, next);
  }
}

function tick(m: Member): void {
  const { ownership, metrics, logger } = m.options;
  metrics.deadLetterPartitions.set(ownership.ownedPartitions(m.now()).length);
  void refreshCommitted(m).catch((err: unknown) =>
    logger.debug("dead-letter group offsets refresh failed", { error: err }),
  );
  if (ownership.dropped > 0) {
    logger.warn("pending dead letters dropped (their owner should write them)", {
      dropped: ownership.dropped,
    });
    ownership.dropped = 0;
  }
}

function groupEvents(m: Member): GroupEvents {
  const { ownership, metrics, logger, onFatal } = m.options;
  return {
    joined(memberId, partitions) {
      ownership.revokeAll();
      metrics.deadLetterPartitions.set(0);
      const c = m.consumer;
      if (!c) return;
      void adopt(m, c, memberId, partitions).catch((err: unknown) =>
        logger.warn("dead-letter group: assignment not adopted", { error: err }),
      );
    },
    heartbeat: () => ownership.confirm(m.now()),
    crashed(error, restart) {
      if (!restart && !m.stopping) onFatal(error);
    },
  };
}

export function createDeadLetterGroup(options: DeadLetterGroupOptions): DeadLetterGroup {
  const { ownership, metrics } = options;
  const m: Member = {
    options,
    now: options.now ?? Date.now,
    consumer: undefined,
    stopping: false,
    metadata: "",
    wrote: new Set(),
    writing: Promise.resolve(),
  };
  const timers: NodeJS.Timeout[] = [];

  return {
    start(at) {
      for (const [partition, offset] of at.committedAtStart) ownership.learnCommitted(partition, offset);
      m.metadata = countMetadata(at.partitionCount);
      m.consumer = options.consumers({ groupId: options.groupId, topic: options.topic }, groupEvents(m));
      timers.push(setInterval(() => void commitDue(m), 1_000).unref());
      timers.push(setInterval(() => tick(m), 5_000).unref());
      m.consumer.run().catch((err: Error) => {
        if (!m.stopping) options.onFatal(err);
      });
    },

    async send(letters) {
      const routed = ownership.route(letters, m.now());
      if (routed.skipped > 0) metrics.deadLetters.inc({ result: "skipped" }, routed.skipped);
      if (routed.deferred > 0) metrics.deadLetters.inc({ result: "deferred" }, routed.deferred);
      for (const l of routed.write) m.wrote.add(l.partition);
      return write(m, routed.write);
    },

    handled(partition, next) {
      ownership.handled(partition, next, m.now());
      if (options.ownerApplied && ownership.owns(partition, m.now())) options.ownerApplied(partition, next);
      if (m.wrote.delete(partition)) void commitDue(m);
    },

    async stop() {
      m.stopping = true;
      for (const t of timers) clearInterval(t);
      await m.writing;
      await commitDue(m);
      await m.consumer?.disconnect();
    },
  };
}
