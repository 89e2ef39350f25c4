/**
 * The Kafka source: replays the events topic from its earliest offset on every start, tells
 * when it has caught up with the end offsets seen at start, then follows the topic live.
 *
 * Positions are ours, not the group's: on every group join each partition is sought to the next
 * offset this process needs, so a restart of the kafkajs runner or a rebalance never skips or
 * re-reads a range. Group offsets are committed only past the committed offset found at start,
 * which makes that offset mean "everything before it was handled, dead letters included" and
 * lets a replay tell which bad messages an earlier run already dead-lettered.
 */
import type { Admin, Consumer, Kafka } from "kafkajs";
import type { Logger } from "../log.ts";
import type { SelfMetrics } from "../metrics/serve/self.ts";
import { isRetriable, withRetry } from "./retry.ts";
import { checkRetention, ensureTopics } from "./topics.ts";

export interface SourceMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  timestamp: string;
}

export interface SourceBatch {
  topic: string;
  partition: number;
  messages: SourceMessage[];
  /** Offsets below this were fully handled, dead letters included, by an earlier run. */
  handledBefore: number;
}

/** Resolves once the batch is handled, dead letters included; batches of a partition resolve in order. */
export type BatchHandler = (batch: SourceBatch) => Promise<void>;

const MAX_IN_FLIGHT = 4;

export interface SourceOptions {
  kafka: Kafka;
  topic: string;
  dlqTopic: string;
  groupId: string;
  logger: Logger;
  metrics: SelfMetrics;
  handle: BatchHandler;
  onCaughtUp: () => void;
  onFatal: (error: Error) => void;
  /** Without a fetch or heartbeat for this long, the source counts as disconnected. */
  contactTimeoutMs?: number;
}

export interface KafkaSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  caughtUp(): boolean;
  connected(): boolean;
}

interface PartitionState {
  /** The next offset to apply. */
  position: number;
  /** The next offset not yet handed to the handler (ahead of position while batches are in flight). */
  dispatched: number;
  low: number;
  endAtStart: number;
  committedAtStart: number;
  pendingCommit: number | null;
}

export function createKafkaSource(o: SourceOptions): KafkaSource {
  const { kafka, topic, logger, metrics } = o;
  const contactTimeoutMs = o.contactTimeoutMs ?? 6_000;
  const partitions = new Map<number, PartitionState>();
  let admin: Admin | undefined;
  let consumer: Consumer | undefined;
  let caughtUp = false;
  let lastContact = 0;
  let stopping = false;
  let startedAt = 0;
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();

  function progress(): { done: number; total: number } {
    let done = 0;
    let total = 0;
    for (const p of partitions.values()) {
      total += p.endAtStart - p.low;
      done += Math.min(p.position, p.endAtStart) - p.low;
    }
    return { done, total };
  }

  function checkCaughtUp(): void {
    if (caughtUp) return;
    const { done, total } = progress();
    metrics.replayProgress.set(total === 0 ? 1 : done / total);
    for (const p of partitions.values()) if (p.position < p.endAtStart) return;
    caughtUp = true;
    const seconds = (Date.now() - startedAt) / 1000;
    metrics.replaySeconds.set(seconds);
    logger.info("replay caught up", { events: total, seconds });
    o.onCaughtUp();
  }

  async function commitPending(): Promise<void> {
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const [partition, p] of partitions) {
      if (p.pendingCommit === null) continue;
      offsets.push({ topic, partition, offset: String(p.pendingCommit) });
      p.pendingCommit = null;
    }
    if (offsets.length === 0 || !consumer) return;
    try {
      await consumer.commitOffsets(offsets);
    } catch (err) {
      // Not fatal: a later commit covers it; the cost is re-dead-lettering a few messages.
      logger.debug("offset commit failed", { error: err });
    }
  }

  async function refreshLag(): Promise<void> {
    if (!admin || !connectedNow()) return;
    try {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        const p = partitions.get(partition);
        if (p) metrics.consumerLag.set({ topic, partition }, Math.max(0, Number(high) - p.position));
      }
    } catch (err) {
      logger.debug("lag refresh failed", { error: err });
    }
  }

  function connectedNow(): boolean {
    return Date.now() - lastContact < contactTimeoutMs;
  }

  /** Retries a call while it fails with an error Kafka marks retriable, up to a deadline. */
  function retrying<T>(what: string, call: () => Promise<T>, deadlineMs = 60_000): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    return withRetry(call, {
      firstDelayMs: 200,
      maxDelayMs: 5000,
      shouldRetry: (err, delay) => isRetriable(err) && Date.now() + delay <= deadline,
      onRetry: (err, delay) => logger.info(`retrying: ${what}`, { error: err, inMs: delay }),
    });
  }

  async function loadOffsets(a: Admin): Promise<void> {
    // Right after a topic is created its leaders may not be known everywhere yet, and a fresh
    // broker loads its group coordinator for a while: both answer with retriable errors.
    const ends = await retrying("fetch the topic's offsets", () => a.fetchTopicOffsets(topic));
    const committed = await retrying("fetch the group's committed offsets", () =>
      a.fetchOffsets({ groupId: o.groupId, topics: [topic] }),
    );
    const committedByPartition = new Map(
      (committed[0]?.partitions ?? []).map((c) => [c.partition, Number(c.offset)] as const),
    );
    for (const { partition, low, high } of ends) {
      partitions.set(partition, {
        position: Number(low),
        dispatched: Number(low),
        low: Number(low),
        endAtStart: Number(high),
        committedAtStart: committedByPartition.get(partition) ?? -1,
        pendingCommit: null,
      });
    }
  }

  return {
    async start() {
      startedAt = Date.now();
      consumer = kafka.consumer({
        groupId: o.groupId,
        allowAutoTopicCreation: false,
        // Small fetches: a batch's objects die young instead of being promoted to the old
        // generation, which keeps the heap (and RSS) small at no cost in throughput.
        maxBytesPerPartition: 512 * 1024,
        maxBytes: 3072 * 1024,
        maxWaitTimeInMs: 500,
        // A crashed instance holds its partitions until its session expires: keep that short.
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
      });
      const c = consumer;
      c.on(c.events.GROUP_JOIN, ({ payload }) => {
        lastContact = Date.now();
        logger.info("joined consumer group", {
          groupId: o.groupId,
          partitions: payload.memberAssignment[topic] ?? [],
          joinMs: payload.duration,
        });
        for (const partition of payload.memberAssignment[topic] ?? []) {
          const p = partitions.get(partition);
          if (p) c.seek({ topic, partition, offset: String(p.dispatched) });
        }
      });
      c.on(c.events.FETCH, () => {
        lastContact = Date.now();
      });
      c.on(c.events.HEARTBEAT, () => {
        lastContact = Date.now();
      });
      c.on(c.events.CRASH, ({ payload }) => {
        if (!payload.restart && !stopping) o.onFatal(payload.error);
      });
      // The consumer's connection and the admin's questions do not depend on each other: they
      // overlap, which takes a few round trips off every start.
      const connecting = c.connect();
      connecting.catch(() => {}); // awaited below; a failure before then must not go unhandled
      admin = kafka.admin();
      await admin.connect();
      await ensureTopics(admin, topic, o.dlqTopic, logger);
      const a = admin;
      const [retention] = await Promise.all([
        retrying("describe the topic's configuration", () => checkRetention(a, topic)),
        loadOffsets(a),
      ]);
      metrics.retentionFinite.set({ topic }, retention.finite ? 1 : 0);
      if (retention.finite) {
        logger.warn("events topic retention is finite: runs older than it will vanish from the metrics", {
          topic,
          ...retention,
        });
      }
      const { total } = progress();
      logger.info("replay starting", { topic, partitions: partitions.size, events: total });

      await connecting;
      await c.subscribe({ topic, fromBeginning: true });

      timers.push(setInterval(() => void commitPending(), 1000).unref());
      timers.push(setInterval(() => void refreshLag(), 5000).unref());
      timers.push(
        setInterval(() => {
          if (caughtUp) return;
          const { done, total: all } = progress();
          logger.info("replay progress", { done, total: all, ratio: all === 0 ? 1 : done / all });
        }, 5000).unref(),
      );
      checkCaughtUp();

      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        // The handler runs beside the fetches: a few batches may be in flight while kafkajs
        // fetches the next, so the broker's latency and the handler's work overlap.
        eachBatch: async ({ batch, isStale, heartbeat }) => {
          if (isStale() || batch.messages.length === 0) return;
          let p = partitions.get(batch.partition);
          if (p === undefined) {
            // A partition added after start: follow it from its first batch.
            const first = Number(batch.firstOffset());
            p = {
              position: first,
              dispatched: first,
              low: first,
              endAtStart: first,
              committedAtStart: -1,
              pendingCommit: null,
            };
            partitions.set(batch.partition, p);
          }
          const part = p;
          const partition = batch.partition;
          const next = Number(batch.lastOffset()) + 1;
          part.dispatched = next;
          const highWatermark = Number(batch.highWatermark);
          // The callback below must not capture `batch`: its messages would live until it runs.
          const done = o
            .handle({
              topic: batch.topic,
              partition,
              messages: batch.messages,
              handledBefore: part.committedAtStart,
            })
            .then(() => {
              part.position = Math.max(part.position, next);
              if (part.position > part.committedAtStart) part.pendingCommit = part.position;
              metrics.consumerLag.set({ topic, partition }, Math.max(0, highWatermark - part.position));
              lastContact = Date.now();
              checkCaughtUp();
            });
          inFlight.add(done);
          void done
            .finally(() => inFlight.delete(done))
            .catch((err: Error) => {
              if (!stopping) o.onFatal(err);
            });
          // Back-pressure: no more than MAX_IN_FLIGHT batches ahead of the handler.
          while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
          await heartbeat();
        },
      });
    },

    async stop() {
      stopping = true;
      for (const t of timers) clearInterval(t);
      // Finish the batches in hand, then commit what they covered.
      await Promise.allSettled([...inFlight]);
      await commitPending();
      // disconnect() waits for the batch in hand, then leaves the group.
      await consumer?.disconnect();
      await admin?.disconnect();
    },

    caughtUp: () => caughtUp,
    connected: connectedNow,
  };
}
