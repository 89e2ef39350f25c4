/**
 * The Kafka source: replays the events topic from its earliest offset on every start, tells
 * when it has caught up with the end offsets seen at start, then follows the topic live.
 *
 * The bookkeeping per partition (positions, the seek on join, progress, caught up) is the pure
 * PartitionTracker (partitions.ts); this file wires it to kafkajs: topic setup, the consumer,
 * back-pressure and the timers.
 *
 * It reads through a consumer group of its own (a fresh id per process, never committed to),
 * whose assigner gives its one member every partition of this instance's shard: replicas never
 * split partitions between them, and a start never waits for a dead member's session, since no
 * one else is in that group. The offsets committed in the shared group (the ledger, see
 * ledger-group.ts, which commits what this source reports handled) mean "everything before was
 * handled, dead letters included"; they are read at start so a replay tells which bad messages
 * an earlier run already dead-lettered.
 */
import type { Admin, Consumer, Kafka } from "kafkajs";
import { ConfigError } from "../../config/errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { SelfMetrics } from "../metrics/serve/self.ts";
import { shardAssigner } from "../shard/assigners.ts";
import { readerPlan } from "../shard/assignment.ts";
import { recordedCount } from "../shard/partition-count.ts";
import { describeShard, ownsPartition, type Shard, shardProblem } from "../shard/shard.ts";
import { PartitionTracker } from "./partitions.ts";
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
  /** The ledger group, whose committed offsets say what was dead-lettered. */
  groupId: string;
  /** This process's own reader group (never committed to; deleted at a clean stop). */
  readerGroupId: string;
  shard: Shard;
  /** Everything before `next` in the partition was handled (for the ledger to commit). */
  onHandled: (partition: number, next: number) => void;
  logger: Logger;
  metrics: SelfMetrics;
  handle: BatchHandler;
  onCaughtUp: () => void;
  /** The topic exists, this shard fits it and the offsets are known: the replay begins. */
  onReplayStarting?: () => void;
  onFatal: (error: Error) => void;
  /** Without a fetch or heartbeat for this long, the source counts as disconnected. */
  contactTimeoutMs?: number;
}

export interface KafkaSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  caughtUp(): boolean;
  connected(): boolean;
  /** The partition count the ledger's commits record (the first known; see partition-count.ts). */
  recordedPartitionCount(): number;
}

/** Retries a call while it fails with an error Kafka marks retriable, up to a deadline. */
function retrying<T>(logger: Logger, what: string, call: () => Promise<T>, deadlineMs = 60_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  return withRetry(call, {
    firstDelayMs: 200,
    maxDelayMs: 5000,
    shouldRetry: (err, delay) => isRetriable(err) && Date.now() + delay <= deadline,
    onRetry: (err, delay) => logger.info(`retrying: ${what}`, { error: err, inMs: delay }),
  });
}

/** The events topic's retention: checked, exported, and warned about when it would lose runs. */
async function prepareRetention(admin: Admin, options: SourceOptions): Promise<void> {
  const { topic, logger, metrics } = options;
  const retention = await retrying(logger, "describe the topic's configuration", () =>
    checkRetention(admin, topic),
  );
  metrics.retentionFinite.set({ topic }, retention.finite ? 1 : 0);
  if (retention.finite) {
    logger.warn("events topic retention is finite: runs older than it will vanish from the metrics", {
      topic,
      ...retention,
    });
  }
}

/**
 * The offsets of this shard's partitions and the ledger's committed offsets, into the tracker.
 * Refuses a shard the topic cannot hold; answers the partition count the ledger's commits
 * recorded (or the topic's, when none did).
 */
async function loadOffsets(admin: Admin, options: SourceOptions, tracker: PartitionTracker): Promise<number> {
  const { topic, logger } = options;
  // Right after a topic is created its leaders may not be known everywhere yet, and a fresh
  // broker loads its group coordinator for a while: both answer with retriable errors.
  const ends = await retrying(logger, "fetch the topic's offsets", () => admin.fetchTopicOffsets(topic));
  const committed = await retrying(logger, "fetch the group's committed offsets", () =>
    admin.fetchOffsets({ groupId: options.groupId, topics: [topic] }),
  );
  const problem = shardProblem(options.shard, ends.length);
  if (problem !== null) throw new ConfigError("KYMAROS_TOTAL_SHARDS", `${problem} (topic ${topic})`);
  tracker.load(
    ends
      .filter(({ partition }) => ownsPartition(options.shard, partition))
      .map(({ partition, low, high }) => ({ partition, low: Number(low), high: Number(high) })),
    new Map((committed[0]?.partitions ?? []).map((c) => [c.partition, Number(c.offset)] as const)),
  );
  const recorded = recordedCount((committed[0]?.partitions ?? []).map((c) => c.metadata));
  if (recorded !== null && recorded !== ends.length) partitionCountChanged(options, recorded, ends.length);
  return recorded ?? ends.length;
}

/** Reported, never silent: a test's runs may now lie in two partitions (and shards). */
function partitionCountChanged(options: SourceOptions, from: number, to: number): void {
  const { topic, logger, metrics } = options;
  metrics.partitionCountChanged.set({ topic }, 1);
  logger.error(
    "the events topic's partition count changed: a test's runs may lie in two partitions, and its series be split between shards",
    { topic, from, to },
  );
}

export function createKafkaSource(options: SourceOptions): KafkaSource {
  const { kafka, topic, logger, metrics } = options;
  const contactTimeoutMs = options.contactTimeoutMs ?? 6_000;
  const tracker = new PartitionTracker();
  let admin: Admin | undefined;
  let consumer: Consumer | undefined;
  let lastContact = 0;
  let stopping = false;
  let startedAt = 0;
  let partitionCount = 0;
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();

  function checkCaughtUp(): void {
    if (tracker.caughtUp) return;
    const { done, total } = tracker.progress();
    metrics.replayProgress.set(total === 0 ? 1 : done / total);
    if (!tracker.catchUp()) return;
    const seconds = (Date.now() - startedAt) / 1000;
    metrics.replaySeconds.set(seconds);
    logger.info("replay caught up", { events: total, seconds });
    options.onCaughtUp();
  }

  async function refreshLag(): Promise<void> {
    if (!admin || !connectedNow()) return;
    try {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        const lag = tracker.lag(partition, Number(high));
        if (lag !== undefined) metrics.consumerLag.set({ topic, partition }, lag);
      }
    } catch (err) {
      logger.debug("lag refresh failed", { error: err });
    }
  }

  function connectedNow(): boolean {
    return Date.now() - lastContact < contactTimeoutMs;
  }

  function createConsumer(): Consumer {
    const c = kafka.consumer({
      groupId: options.readerGroupId,
      allowAutoTopicCreation: false,
      partitionAssigners: [shardAssigner("KymarosShardReader", options.shard, { fetch: readerPlan })],
      // Small fetches: a batch's objects die young instead of being promoted to the old
      // generation, which keeps the heap (and RSS) small at no cost in throughput.
      maxBytesPerPartition: 512 * 1024,
      maxBytes: 3072 * 1024,
      maxWaitTimeInMs: 500,
      // Alone in its group: the session only matters to the broker's cleanup of the group.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      lastContact = Date.now();
      logger.info("joined consumer group", {
        groupId: options.readerGroupId,
        shard: describeShard(options.shard),
        partitions: payload.memberAssignment[topic] ?? [],
        joinMs: payload.duration,
      });
      for (const partition of payload.memberAssignment[topic] ?? []) {
        const offset = tracker.seekOffset(partition);
        if (offset !== undefined) c.seek({ topic, partition, offset: String(offset) });
      }
    });
    c.on(c.events.FETCH, () => {
      lastContact = Date.now();
    });
    c.on(c.events.HEARTBEAT, () => {
      lastContact = Date.now();
    });
    c.on(c.events.CRASH, ({ payload }) => {
      if (!payload.restart && !stopping) options.onFatal(payload.error);
    });
    return c;
  }

  return {
    async start() {
      startedAt = Date.now();
      const c = createConsumer();
      consumer = c;
      // The consumer's connection and the admin's questions do not depend on each other: they
      // overlap, which takes a few round trips off every start.
      const connecting = c.connect();
      connecting.catch(() => {}); // awaited below; a failure before then must not go unhandled
      const a = kafka.admin();
      admin = a;
      await a.connect();
      await ensureTopics(a, topic, options.dlqTopic, logger);
      [, partitionCount] = await Promise.all([
        prepareRetention(a, options),
        loadOffsets(a, options, tracker),
      ]);
      options.onReplayStarting?.();
      const { total } = tracker.progress();
      logger.info("replay starting", {
        topic,
        shard: describeShard(options.shard),
        partitions: tracker.size,
        events: total,
      });

      await connecting;
      await c.subscribe({ topic, fromBeginning: true });

      timers.push(setInterval(() => void refreshLag(), 5000).unref());
      timers.push(
        setInterval(() => {
          if (tracker.caughtUp) return;
          const { done, total: all } = tracker.progress();
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
          const partition = batch.partition;
          if (tracker.seekOffset(partition) === undefined) {
            if (!ownsPartition(options.shard, partition)) return;
            // A partition added after start (the tracker follows it from its first batch): the
            // partition count changed under a running instance.
            partitionCountChanged(options, partitionCount, partition + 1);
          }
          const next = Number(batch.lastOffset()) + 1;
          const handledBefore = tracker.dispatch(partition, Number(batch.firstOffset()), next);
          const highWatermark = Number(batch.highWatermark);
          // The callback below must not capture `batch`: its messages would live until it runs.
          const done = options
            .handle({ topic: batch.topic, partition, messages: batch.messages, handledBefore })
            .then(() => {
              tracker.handled(partition, next);
              options.onHandled(partition, next);
              metrics.consumerLag.set({ topic, partition }, tracker.lag(partition, highWatermark) ?? 0);
              lastContact = Date.now();
              checkCaughtUp();
            });
          inFlight.add(done);
          void done
            .finally(() => inFlight.delete(done))
            .catch((err: Error) => {
              if (!stopping) options.onFatal(err);
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
      // Finish the batches in hand (the ledger commits what they covered).
      await Promise.allSettled([...inFlight]);
      // disconnect() waits for the batch in hand, then leaves the group, which is then empty
      // and of no further use.
      await consumer?.disconnect();
      await admin?.deleteGroups([options.readerGroupId]).catch((err: unknown) => {
        logger.debug("reader group not deleted", { error: err });
      });
      await admin?.disconnect();
    },

    caughtUp: () => tracker.caughtUp,
    connected: connectedNow,
    recordedPartitionCount: () => partitionCount,
  };
}
