/**
 * The Kafka source: replays the events topic from its earliest offset on every start, tells
 * when it has caught up with the end offsets seen at start, then follows the topic live.
 *
 * The bookkeeping per partition (positions, the seek on join, progress, caught up) is the pure
 * PartitionTracker (partitions.ts); this file wires it to a consumer (ReaderConsumer, a seam
 * kafkajs fills in consumers.ts): the offsets at start, back-pressure and the timers.
 *
 * It reads through a consumer group of its own (a fresh id per process, never committed to),
 * whose assigner gives its one member every partition of this instance's shard: replicas never
 * split partitions between them, and a start never waits for a dead member's session, since no
 * one else is in that group. The offsets committed in the shared dead-letter group
 * (dead-letter-group.ts) are read at start and handed back by start(), so that the dead-letter
 * group is seeded with them before the first batch is handed over.
 */
import type { Admin } from "kafkajs";
import { ConfigError } from "../../config/errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { SelfMetrics } from "../metrics/serve/self.ts";
import { recordedCount } from "../shard/partition-count.ts";
import { describeShard, ownsPartition, type Shard, shardPartitions, shardProblem } from "../shard/shard.ts";
import { Freshness, type PartitionAge } from "./freshness.ts";
import { type PartitionOffsets, PartitionTracker } from "./partitions.ts";
import { retrying } from "./retry.ts";

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
}

/** Resolves once the batch is handled, dead letters included; batches of a partition resolve in order. */
export type BatchHandler = (batch: SourceBatch) => Promise<void>;

/** A batch as the consumer fetched it. */
export interface FetchedBatch extends SourceBatch {
  firstOffset(): string | null;
  lastOffset(): string;
  highWatermark: string;
}

export interface BatchControl {
  /** A rebalance made the batch obsolete: it must not be handled. */
  isStale(): boolean;
  heartbeat(): Promise<void>;
}

/** What the consumer tells the source. */
export interface ReaderEvents {
  /** The group (re)joined and gave this member these partitions of the topic. */
  joined(partitions: readonly number[], durationMs: number): void;
  /** A heartbeat: the group coordinator answered. */
  contact(): void;
  /** A fetch from broker `nodeId` answered. */
  fetched(nodeId: number): void;
  /** The consumer crashed; `restart` when the client restarts it by itself. */
  crashed(error: Error, restart: boolean): void;
}

/** The part of a consumer the source uses (consumers.ts builds it on kafkajs). */
export interface ReaderConsumer {
  connect(): Promise<void>;
  /** Subscribes to the topic from its beginning and hands each fetched batch to `eachBatch`. */
  run(eachBatch: (batch: FetchedBatch, control: BatchControl) => Promise<void>): Promise<void>;
  seek(partition: number, offset: number): void;
  disconnect(): Promise<void>;
}

export type ReaderFactory = (
  settings: { groupId: string; topic: string },
  events: ReaderEvents,
) => ReaderConsumer;

/** What the source asks of the admin client (the caller connects and disconnects it). */
export type SourceAdmin = Pick<
  Admin,
  "fetchTopicOffsets" | "fetchOffsets" | "deleteGroups" | "fetchTopicMetadata"
>;

/** What start() read: where the replay begins, and what the dead-letter group had committed. */
export interface ReplayStart {
  /** This shard's partitions as they stood at start. */
  offsets: PartitionOffsets[];
  /** The dead-letter group's committed offset per partition: below it, an earlier run dead-lettered. */
  committedAtStart: Map<number, number>;
  /** The partition count the dead-letter group's commits recorded (the topic's when none did). */
  partitionCount: number;
}

const MAX_IN_FLIGHT = 4;

export interface SourceOptions {
  consumers: ReaderFactory;
  admin: SourceAdmin;
  topic: string;
  /** The dead-letter group, whose committed offsets are read at start. */
  groupId: string;
  /** This process's own reader group (never committed to; deleted at a clean stop). */
  readerGroupId: string;
  shard: Shard;
  handle: BatchHandler;
  /** Everything before `next` in the partition was handled (for the dead-letter group to commit). */
  onHandled: (partition: number, next: number) => void;
  onCaughtUp: () => void;
  onFatal: (error: Error) => void;
  logger: Logger;
  metrics: SelfMetrics;
  /** Where a partition is read on from instead of its log start (the state changelog's checkpoints). */
  resumeFrom?: ReadonlyMap<number, number>;
  /** Without a fetch or heartbeat for this long, the source counts as disconnected. */
  contactTimeoutMs?: number;
  now?: () => number;
}

export interface KafkaSource {
  /** Connects and reads the offsets; refuses a shard the topic cannot hold. Nothing is fetched yet. */
  start(): Promise<ReplayStart>;
  /** Replays, then follows the topic; resolves once the consumer runs. */
  follow(): Promise<void>;
  stop(): Promise<void>;
  caughtUp(): boolean;
  connected(): boolean;
  /** Per partition of the shard, the seconds since a fetch last answered for it. */
  fetchAges(): PartitionAge[];
}

/** The partition count changed: reported, never silent, since a test's runs may now lie in two partitions (and shards). */
function partitionCountChanged(options: SourceOptions, from: number, to: number): void {
  const { topic, logger, metrics } = options;
  metrics.partitionCountChanged.set({ topic }, 1);
  logger.error(
    "the events topic's partition count changed: a test's runs may lie in two partitions, and its series be split between shards",
    { topic, from, to },
  );
}

/** The offsets of this shard's partitions and the dead-letter group's commits. */
async function readStart(options: SourceOptions): Promise<ReplayStart> {
  const { admin, topic, logger } = options;
  // Right after a topic is created its leaders may not be known everywhere yet, and a fresh
  // broker loads its group coordinator for a while: both answer with retriable errors.
  const ends = await retrying(logger, "fetch the topic's offsets", () => admin.fetchTopicOffsets(topic));
  const committed = await retrying(logger, "fetch the group's committed offsets", () =>
    admin.fetchOffsets({ groupId: options.groupId, topics: [topic] }),
  );
  const problem = shardProblem(options.shard, ends.length);
  if (problem !== null) throw new ConfigError("KYMAROS_TOTAL_SHARDS", `${problem} (topic ${topic})`);
  const mine = new Set(
    shardPartitions(
      options.shard,
      ends.map((e) => e.partition),
    ),
  );
  const commits = committed[0]?.partitions ?? [];
  const recorded = recordedCount(commits.map((c) => c.metadata));
  if (recorded !== null && recorded !== ends.length) partitionCountChanged(options, recorded, ends.length);
  return {
    offsets: ends
      .filter(({ partition }) => mine.has(partition))
      .map(({ partition, low, high }) => ({
        partition,
        // Never before the log start: a checkpoint behind it is a gap (restore-state.ts says so).
        low: Math.min(Number(high), Math.max(Number(low), options.resumeFrom?.get(partition) ?? 0)),
        high: Number(high),
      }))
      .sort((a, b) => a.partition - b.partition),
    committedAtStart: new Map(
      commits.filter((c) => mine.has(c.partition)).map((c) => [c.partition, Number(c.offset)] as const),
    ),
    partitionCount: recorded ?? ends.length,
  };
}

/** A source's state while it runs: what the functions below share. */
interface Reader {
  readonly options: SourceOptions;
  readonly tracker: PartitionTracker;
  readonly now: () => number;
  readonly inFlight: Set<Promise<void>>;
  readonly freshness: Freshness;
  consumer: ReaderConsumer | undefined;
  lastContact: number;
  stopping: boolean;
  startedAt: number;
  partitionCount: number;
}

const connectedNow = (r: Reader): boolean => r.now() - r.lastContact < (r.options.contactTimeoutMs ?? 6_000);

function checkCaughtUp(r: Reader): void {
  const { tracker, options } = r;
  if (tracker.caughtUp) return;
  const { done, total } = tracker.progress();
  options.metrics.replayProgress.set(total === 0 ? 1 : done / total);
  if (!tracker.catchUp()) return;
  const seconds = (r.now() - r.startedAt) / 1000;
  options.metrics.replaySeconds.set(seconds);
  options.logger.info("replay caught up", { events: total, seconds });
  options.onCaughtUp();
}

function readerEvents(r: Reader): ReaderEvents {
  const { options } = r;
  return {
    joined(partitions, durationMs) {
      r.lastContact = r.now();
      options.logger.info("joined consumer group", {
        groupId: options.readerGroupId,
        shard: describeShard(options.shard),
        partitions,
        joinMs: durationMs,
      });
      // Positions are ours: every join resumes after what was handed over, never before.
      for (const partition of partitions) {
        const offset = r.tracker.seekOffset(partition);
        if (offset !== undefined) r.consumer?.seek(partition, offset);
      }
    },
    contact() {
      r.lastContact = r.now();
    },
    fetched(nodeId) {
      r.lastContact = r.now();
      r.freshness.fetched(nodeId, r.lastContact);
    },
    crashed(error, restart) {
      if (!restart && !r.stopping) options.onFatal(error);
    },
  };
}

/** Hands the batch over, and holds the fetch loop while MAX_IN_FLIGHT batches are ahead of the handler. */
async function dispatch(r: Reader, batch: FetchedBatch, control: BatchControl): Promise<void> {
  const { options, tracker, inFlight } = r;
  if (control.isStale() || batch.messages.length === 0) return;
  const partition = batch.partition;
  if (tracker.seekOffset(partition) === undefined) {
    if (!ownsPartition(options.shard, partition)) return;
    // A partition added after start (the tracker follows it from its first batch): the
    // partition count changed under a running instance.
    partitionCountChanged(options, r.partitionCount, partition + 1);
  }
  const next = Number(batch.lastOffset()) + 1;
  tracker.dispatch(partition, Number(batch.firstOffset()), next);
  r.freshness.delivered(partition, r.now());
  const highWatermark = Number(batch.highWatermark);
  // The callback below must not capture `batch`: its messages would live until it runs.
  const done = options.handle({ topic: batch.topic, partition, messages: batch.messages }).then(() => {
    tracker.handled(partition, next);
    options.onHandled(partition, next);
    options.metrics.consumerLag.set(
      { topic: options.topic, partition },
      tracker.lag(partition, highWatermark) ?? 0,
    );
    r.lastContact = r.now();
    checkCaughtUp(r);
  });
  inFlight.add(done);
  void done
    .finally(() => inFlight.delete(done))
    .catch((err: Error) => {
      if (!r.stopping) options.onFatal(err);
    });
  while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  await control.heartbeat();
}

/** Which broker leads each partition: a fetch answered by it keeps the partition fresh. */
async function refreshLeaders(r: Reader): Promise<void> {
  const { topics } = await r.options.admin.fetchTopicMetadata({ topics: [r.options.topic] });
  r.freshness.leaders(new Map((topics[0]?.partitions ?? []).map((p) => [p.partitionId, p.leader])));
}

async function refreshLag(r: Reader): Promise<void> {
  const { options } = r;
  if (!connectedNow(r)) return;
  try {
    for (const { partition, high } of await options.admin.fetchTopicOffsets(options.topic)) {
      const lag = r.tracker.lag(partition, Number(high));
      if (lag !== undefined) options.metrics.consumerLag.set({ topic: options.topic, partition }, lag);
    }
    await refreshLeaders(r);
  } catch (err) {
    options.logger.debug("lag refresh failed", { error: err });
  }
}

function logProgress(r: Reader): void {
  if (r.tracker.caughtUp) return;
  const { done, total } = r.tracker.progress();
  r.options.logger.info("replay progress", { done, total, ratio: total === 0 ? 1 : done / total });
}

export function createKafkaSource(options: SourceOptions): KafkaSource {
  const { topic, logger } = options;
  const r: Reader = {
    options,
    tracker: new PartitionTracker(),
    now: options.now ?? Date.now,
    inFlight: new Set(),
    freshness: new Freshness(Number.NEGATIVE_INFINITY),
    consumer: undefined,
    lastContact: Number.NEGATIVE_INFINITY,
    stopping: false,
    startedAt: 0,
    partitionCount: 0,
  };
  const timers: NodeJS.Timeout[] = [];

  return {
    async start() {
      r.startedAt = r.now();
      r.freshness.restart(r.startedAt);
      const c = options.consumers({ groupId: options.readerGroupId, topic }, readerEvents(r));
      r.consumer = c;
      // The consumer's connection and the admin's questions do not depend on each other: they overlap.
      const connecting = retrying(logger, "connect the consumer", () => c.connect());
      connecting.catch(() => {}); // awaited below; a failure before then must not go unhandled
      const read = await readStart(options);
      r.partitionCount = read.partitionCount;
      r.tracker.load(read.offsets);
      await refreshLeaders(r).catch((err: unknown) => logger.debug("leaders not read", { error: err }));
      logger.info("replay starting", {
        topic,
        shard: describeShard(options.shard),
        partitions: r.tracker.size,
        events: r.tracker.progress().total,
      });
      await connecting;
      return read;
    },

    async follow() {
      const c = r.consumer;
      if (!c) throw new Error("follow() before start()");
      timers.push(setInterval(() => void refreshLag(r), 5000).unref());
      timers.push(setInterval(() => logProgress(r), 5000).unref());
      checkCaughtUp(r);
      // The handler runs beside the fetches: a few batches may be in flight while the next is
      // fetched, so the broker's latency and the handler's work overlap.
      await c.run((batch, control) => dispatch(r, batch, control));
    },

    async stop() {
      r.stopping = true;
      for (const t of timers) clearInterval(t);
      // Finish the batches in hand (the dead-letter group commits what they covered).
      await Promise.allSettled([...r.inFlight]);
      // disconnect() waits for the batch in hand, then leaves the group, which is then empty
      // and of no further use.
      await r.consumer?.disconnect();
      await options.admin.deleteGroups([options.readerGroupId]).catch((err: unknown) => {
        logger.debug("reader group not deleted", { error: err });
      });
    },

    caughtUp: () => r.tracker.caughtUp,
    connected: () => connectedNow(r),
    fetchAges: () => r.freshness.ages(r.tracker.partitions(), r.now()),
  };
}
