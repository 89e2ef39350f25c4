/**
 * The ledger group: every instance (all replicas of all shards) joins the consumer group
 * KYMAROS_GROUP_ID, whose leader gives each partition to one member of the shard that reads it
 * (shard/assignment.ts). That member alone writes the partition's dead letters and commits its
 * offsets there, so N replicas write one copy, and a committed offset keeps the meaning it has
 * always had: everything before it was dead-lettered.
 *
 * Nothing here holds up readiness: the reader (source.ts, its own throwaway group) replays and
 * serves whatever this group is doing; refusals meanwhile wait in the ledger (shard/ledger.ts).
 * The group fetches only what arrives after it joined (each partition is sought to its end), so
 * its reads are the live events of the shard, again.
 */
import { type Admin, type Consumer, type Kafka, PartitionAssigners } from "kafkajs";
import type { Logger } from "../../log/logger.ts";
import type { SelfMetrics } from "../metrics/serve/self.ts";
import { decodeOwned, shardAssigner } from "../shard/assigners.ts";
import { ledgerPlan, readerPlan } from "../shard/assignment.ts";
import type { DeadLetterLedger } from "../shard/ledger.ts";
import { countMetadata } from "../shard/partition-count.ts";
import type { Shard } from "../shard/shard.ts";
import type { DeadLetter, DeadLetterSink } from "./dead-letters.ts";

export const LEDGER_ASSIGNER = "KymarosShardLedger";
/** A member that stops heartbeating loses its partitions after this long. */
export const LEDGER_SESSION_MS = 10_000;

export interface LedgerGroupOptions {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  groupId: string;
  shard: Shard;
  ledger: DeadLetterLedger;
  sink: DeadLetterSink;
  logger: Logger;
  metrics: SelfMetrics;
  /** Written as each commit's metadata: the partition count the ledger was started with. */
  partitionCount: () => number;
  onFatal: (error: Error) => void;
}

export interface LedgerGroup {
  /** Joins in the background (never awaited by the start: a dead member's session may hold it). */
  start(): void;
  /** The batch's refusals: written now where this instance owns their partition; resolves with how many. */
  send(letters: DeadLetter[]): Promise<number>;
  handled(partition: number, next: number): void;
  stop(): Promise<void>;
}

export function createLedgerGroup(o: LedgerGroupOptions): LedgerGroup {
  const { topic, ledger, logger, metrics } = o;
  let consumer: Consumer | undefined;
  let stopping = false;
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
    const next = writing.then(() => o.sink.send(letters));
    writing = next.catch(() => {});
    return next;
  }

  async function refreshCommitted(): Promise<void> {
    const committed = await o.admin.fetchOffsets({ groupId: o.groupId, topics: [topic] });
    for (const { partition, offset } of committed[0]?.partitions ?? []) {
      ledger.learnCommitted(partition, Number(offset));
    }
  }

  async function commitDue(): Promise<void> {
    const due = ledger.takeDue(Date.now());
    if (due.length === 0 || !consumer) return;
    const metadata = countMetadata(o.partitionCount());
    try {
      await consumer.commitOffsets(
        due.map(({ partition, offset }) => ({ topic, partition, offset: String(offset), metadata })),
      );
      ledger.confirm(Date.now());
      for (const { partition, offset } of due) ledger.learnCommitted(partition, offset);
    } catch (err) {
      // A rebalance took the partitions (a later owner commits), or the broker is away (a later
      // commit covers it): the cost is a few dead letters written twice, never one lost.
      logger.debug("ledger commit failed", { error: err });
    }
  }

  async function adopt(memberId: string): Promise<void> {
    const description = await (consumer as Consumer).describeGroup();
    const me = description.members.find((m) => m.memberId === memberId);
    const owned = me ? decodeOwned(me.memberAssignment, topic) : null;
    if (owned === null) return; // a newer rebalance is under way; its join comes next
    await refreshCommitted();
    const gained = ledger.assign(owned, Date.now());
    metrics.deadLetterPartitions.set(owned.length);
    logger.info("dead-letter partitions", { groupId: o.groupId, owned, gained });
    for (const partition of gained) {
      const published = await write(ledger.takePending(partition, Date.now()));
      if (published > 0) metrics.deadLetters.inc({ result: "published" }, published);
      ledger.resume(partition, Date.now());
    }
  }

  async function seekToEnd(c: Consumer, partitions: number[]): Promise<void> {
    const ends = new Map((await o.admin.fetchTopicOffsets(topic)).map((e) => [e.partition, e.high]));
    for (const partition of partitions) {
      const high = ends.get(partition);
      if (high !== undefined) c.seek({ topic, partition, offset: high });
    }
  }

  return {
    start() {
      const c = o.kafka.consumer({
        groupId: o.groupId,
        allowAutoTopicCreation: false,
        // Round robin second: the protocol of the versions before shards, which read through
        // this group. While one of them is still in it (a rolling upgrade), the group agrees on
        // round robin, this member owns nothing (its assignment carries no ownership) and keeps
        // its refusals; once they left, the group turns to the ledger's assigner.
        partitionAssigners: [
          shardAssigner(LEDGER_ASSIGNER, o.shard, { fetch: readerPlan, own: ledgerPlan }),
          PartitionAssigners.roundRobin,
        ],
        sessionTimeout: LEDGER_SESSION_MS,
        heartbeatInterval: 1_000,
        // It reads only the live events, and only to keep heartbeating: small fetches.
        maxBytesPerPartition: 64 * 1024,
        maxWaitTimeInMs: 1_000,
      });
      consumer = c;
      c.on(c.events.GROUP_JOIN, ({ payload }) => {
        ledger.revokeAll();
        metrics.deadLetterPartitions.set(0);
        const partitions = payload.memberAssignment[topic] ?? [];
        void seekToEnd(c, partitions)
          .then(() => adopt(payload.memberId))
          .catch((err: unknown) => logger.warn("ledger group: assignment not adopted", { error: err }));
      });
      c.on(c.events.HEARTBEAT, () => ledger.confirm(Date.now()));
      c.on(c.events.CRASH, ({ payload }) => {
        if (!payload.restart && !stopping) o.onFatal(payload.error);
      });
      timers.push(setInterval(() => void commitDue(), 1_000).unref());
      timers.push(
        setInterval(() => {
          metrics.deadLetterPartitions.set(ledger.ownedPartitions(Date.now()).length);
          void refreshCommitted().catch((err: unknown) =>
            logger.debug("ledger offsets refresh failed", { error: err }),
          );
          if (ledger.dropped > 0) {
            logger.warn("pending dead letters dropped (their owner should write them)", {
              dropped: ledger.dropped,
            });
            ledger.dropped = 0;
          }
        }, 5_000).unref(),
      );
      void (async () => {
        await c.connect();
        await c.subscribe({ topic, fromBeginning: false });
        await c.run({ autoCommit: false, eachBatch: async () => {} });
      })().catch((err: Error) => {
        if (!stopping) o.onFatal(err);
      });
    },

    async send(letters) {
      const routed = ledger.route(letters, Date.now());
      if (routed.skipped > 0) metrics.deadLetters.inc({ result: "skipped" }, routed.skipped);
      if (routed.deferred > 0) metrics.deadLetters.inc({ result: "deferred" }, routed.deferred);
      for (const l of routed.write) wrote.add(l.partition);
      return write(routed.write);
    },

    handled(partition, next) {
      ledger.handled(partition, next, Date.now());
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
