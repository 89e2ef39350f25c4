/**
 * The service's own metrics (kymaros_api_*), on prom-client, plus its default process metrics.
 * Two registries hold the same metrics, one per exposition format, since prom-client fixes the
 * format per registry; the process metrics have registries of their own, because collecting
 * them (reading /proc among others) is slow next to the rest, and the view renders them less often.
 */
import { Counter, Gauge, type OpenMetricsContentType, Registry } from "prom-client";
import { collectProcessMetrics } from "../../../http/process-metrics.ts";

/** What the Kafka gauges read at each scrape (the Kafka source). */
export interface KafkaObservation {
  connected(): boolean;
  fetchAges(): ReadonlyArray<{ partition: number; seconds: number }>;
}

export interface SelfMetrics {
  readonly text: Registry;
  readonly openMetrics: Registry<OpenMetricsContentType>;
  readonly processText: Registry;
  readonly processOpenMetrics: Registry<OpenMetricsContentType>;
  readonly events: Counter<"outcome">;
  readonly invalidEvents: Counter<"reason">;
  readonly deadLetters: Counter<"result">;
  readonly consumerLag: Gauge<"topic" | "partition">;
  readonly lastAppliedTime: Gauge;
  readonly tests: Gauge;
  readonly retiredTests: Gauge;
  readonly retirements: Counter;
  readonly nameCollisions: Gauge;
  readonly replayProgress: Gauge;
  readonly replaySeconds: Gauge;
  readonly ready: Gauge;
  readonly retentionFinite: Gauge<"topic">;
  readonly shards: Gauge<"shard">;
  readonly deadLetterPartitions: Gauge;
  readonly partitionCountChanged: Gauge<"topic">;
  readonly registryWaiting: Gauge;
  readonly registryFailures: Counter;
  readonly topicReplicationWeak: Gauge<"topic">;
  /** From now on, the Kafka gauges read `source` (of `topic`) at each scrape. */
  observeKafka(topic: string, source: KafkaObservation): void;
  readonly stateRecordsRestored: Gauge;
  readonly stateRestoreSeconds: Gauge;
  readonly stateCheckpointLag: Gauge<"partition">;
  readonly stateCheckpointAge: Gauge<"partition">;
  readonly stateBytesWritten: Counter;
  readonly stateGaps: Counter<"partition">;
}

/**
 * A counter kept in the text registry, and shown in the OpenMetrics one by a copy taken at each
 * collection. A counter object registered in both would break the text format: prom-client's
 * OpenMetrics render strips _total from the counter's own name, and the text render then prints
 * that name (kymaros_api_events{...} instead of kymaros_api_events_total{...}).
 */
function counter<T extends string>(
  config: { name: string; help: string; labelNames: readonly T[] },
  text: Registry,
  openMetrics: Registry<OpenMetricsContentType>,
): Counter<T> {
  const source = new Counter<T>({ ...config, registers: [text] });
  new Counter<T>({
    ...config,
    registers: [openMetrics],
    async collect() {
      this.reset();
      for (const { labels, value } of (await source.get()).values) this.inc(labels, value);
    },
  });
  return source;
}

export function createSelfMetrics(): SelfMetrics {
  const text = new Registry();
  const openMetrics = new Registry<OpenMetricsContentType>();
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const registers = [text, openMetrics];
  const processText = new Registry();
  const processOpenMetrics = new Registry<OpenMetricsContentType>();
  processOpenMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectProcessMetrics(processText);
  collectProcessMetrics(processOpenMetrics);
  let observed: { topic: string; source: KafkaObservation } | undefined;
  new Gauge({
    name: "kymaros_api_kafka_connected",
    help: "1 while the consumer hears from Kafka (a fetch or a heartbeat within the last 6 s); the view serves on meanwhile, as of what it has read.",
    registers,
    collect() {
      this.set(observed?.source.connected() ? 1 : 0);
    },
  });
  new Gauge({
    name: "kymaros_api_kafka_fetch_age_seconds",
    help: "Seconds since a fetch last answered for the partition (from its leader, or with its records): how stale the view of it may be.",
    labelNames: ["topic", "partition"],
    registers,
    collect() {
      this.reset();
      if (!observed) return;
      for (const { partition, seconds } of observed.source.fetchAges()) {
        this.set({ topic: observed.topic, partition }, seconds);
      }
    },
  });

  return {
    text,
    openMetrics,
    processText,
    processOpenMetrics,
    events: counter(
      {
        name: "kymaros_api_events_total",
        help: "Messages consumed (RunCompleted and TestRetired), by outcome: applied (runs, and retirements that moved a retirement time), duplicate (runId already counted, or a retirement no later than the known one) or invalid.",
        labelNames: ["outcome"],
      },
      text,
      openMetrics,
    ),
    invalidEvents: counter(
      {
        name: "kymaros_api_invalid_events_total",
        help: "Messages that were not applied and went to the dead-letter topic, by reason.",
        labelNames: ["reason"],
      },
      text,
      openMetrics,
    ),
    deadLetters: counter(
      {
        name: "kymaros_api_dead_letters_total",
        help: "Dead letters by result: published by this instance, skipped because an earlier run or another replica published them, or deferred to the replica that owns their partition.",
        labelNames: ["result"],
      },
      text,
      openMetrics,
    ),
    consumerLag: new Gauge({
      name: "kymaros_api_consumer_lag",
      help: "Messages between the consumer's position and the end of the partition.",
      labelNames: ["topic", "partition"],
      registers,
    }),
    lastAppliedTime: new Gauge({
      name: "kymaros_api_last_applied_event_timestamp_seconds",
      help: "Unix time at which the service last applied an event.",
      registers,
    }),
    tests: new Gauge({
      name: "kymaros_api_tests",
      help: "Number of distinct tests (name, namespace, cluster) in the state.",
      registers,
    }),
    retiredTests: new Gauge({
      name: "kymaros_api_retired_tests",
      help: "Tests retired with no run since: they have no series.",
      registers,
    }),
    retirements: counter(
      {
        name: "kymaros_api_retirements_applied_total",
        help: "TestRetired events that moved a test's retirement time (not duplicates nor superseded ones).",
        labelNames: [],
      },
      text,
      openMetrics,
    ),
    nameCollisions: new Gauge({
      name: "kymaros_api_test_name_collisions",
      help: "Test names whose runs come from more than one namespace or cluster.",
      registers,
    }),
    replayProgress: new Gauge({
      name: "kymaros_api_replay_progress_ratio",
      help: "Share of the log, as it stood at start, replayed so far (1 once caught up).",
      registers,
    }),
    replaySeconds: new Gauge({
      name: "kymaros_api_replay_duration_seconds",
      help: "How long the replay at start took, from the Kafka source's start to caught up (0 until then).",
      registers,
    }),
    ready: new Gauge({
      name: "kymaros_api_ready",
      help: "1 once the start's replay caught up with the log (what /readyz answers); a broker outage after that leaves it 1.",
      registers,
    }),
    retentionFinite: new Gauge({
      name: "kymaros_api_topic_retention_finite",
      help: "1 when the events topic's retention is finite: old runs then live on only in the state changelog, saved before retention deleted them.",
      labelNames: ["topic"],
      registers,
    }),
    shards: new Gauge({
      name: "kymaros_api_shards",
      help: "How many shards split the events topic; the label is this instance's shard.",
      labelNames: ["shard"],
      registers,
    }),
    deadLetterPartitions: new Gauge({
      name: "kymaros_api_dead_letter_partitions",
      help: "Partitions whose dead letters this instance writes (one replica of the shard per partition).",
      registers,
    }),
    partitionCountChanged: new Gauge({
      name: "kymaros_api_partition_count_changed",
      help: "1 when the events topic's partition count changed since offsets were committed: a test's runs may lie in two partitions, and so in two shards.",
      labelNames: ["topic"],
      registers,
    }),
    registryWaiting: new Gauge({
      name: "kymaros_api_schema_registry_waiting_partitions",
      help: "Partitions held back because the schema registry does not answer: their messages wait, uncommitted and in order, until it does.",
      registers,
    }),
    registryFailures: counter(
      {
        name: "kymaros_api_schema_registry_failures_total",
        help: "Schema-registry requests that failed (unreachable, timed out, 5xx or refused credentials) and are retried.",
        labelNames: [],
      },
      text,
      openMetrics,
    ),
    stateRecordsRestored: new Gauge({
      name: "kymaros_api_state_records_restored",
      help: "State changelog records read at start (this shard's partitions).",
      registers,
    }),
    stateRestoreSeconds: new Gauge({
      name: "kymaros_api_state_restore_duration_seconds",
      help: "How long reading and loading the state changelog took at start.",
      registers,
    }),
    stateCheckpointLag: new Gauge({
      name: "kymaros_api_state_checkpoint_lag",
      help: "Events applied beyond the partition's last checkpoint written (on the replica that writes the partition's changelog).",
      labelNames: ["partition"],
      registers,
    }),
    stateCheckpointAge: new Gauge({
      name: "kymaros_api_state_checkpoint_age_seconds",
      help: "Seconds since the partition's last checkpoint was written by this replica, while events wait for one (0 when none waits).",
      labelNames: ["partition"],
      registers,
    }),
    stateBytesWritten: counter(
      {
        name: "kymaros_api_state_changelog_bytes_written_total",
        help: "Bytes of state changelog records written (keys and values).",
        labelNames: [],
      },
      text,
      openMetrics,
    ),
    topicReplicationWeak: new Gauge({
      name: "kymaros_api_topic_replication_weak",
      help: "1 when a topic of the service has fewer than 3 replicas or min.insync.replicas below 2 on a cluster of 3 brokers or more: one broker's loss could lose acknowledged runs.",
      labelNames: ["topic"],
      registers,
    }),
    observeKafka(topic, source) {
      observed = { topic, source };
    },
    stateGaps: counter(
      {
        name: "kymaros_api_state_gaps_total",
        help: "Starts at which the events topic's log start lay beyond the partition's checkpoint: events were deleted before the changelog held them.",
        labelNames: ["partition"],
      },
      text,
      openMetrics,
    ),
  };
}

/** Adds one batch's outcomes: a handful of prom-client calls per batch, none per message. */
export function recordBatch(
  metrics: SelfMetrics,
  applied: number,
  duplicate: number,
  refusedByReason: Record<string, number>,
): void {
  if (applied > 0) metrics.events.inc({ outcome: "applied" }, applied);
  if (duplicate > 0) metrics.events.inc({ outcome: "duplicate" }, duplicate);
  let refused = 0;
  for (const [reason, n] of Object.entries(refusedByReason)) {
    metrics.invalidEvents.inc({ reason }, n);
    refused += n;
  }
  if (refused > 0) metrics.events.inc({ outcome: "invalid" }, refused);
}
