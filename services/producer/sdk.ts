/**
 * The producer SDK: publish RunCompleted events, and TestRetired when a test is deleted or
 * renamed, the way the service expects them: validated, Avro single-object encoded, keyed by
 * test name, acknowledged by every in-sync replica on an idempotent producer with one request
 * in flight, so a test's events stay in order in their partition. Records are judged in
 * prepare.ts, cut in batches.ts and sent through connection.ts.
 */
import { ConfigError, type Env } from "../config/errors.ts";
import { type KafkaSettings, readKafkaSettings } from "../config/kafka.ts";
import { createKafkaClient } from "../config/kafka-client.ts";
import type { ClientLogLevel } from "../config/kafka-log.ts";
import { readRegistrySettings } from "../config/registry.ts";
import { checkTopic, readTopic } from "../config/topic.ts";
import {
  createCodec,
  LATEST_SCHEMA_VERSION,
  type SchemaVersion,
  type TestRetired,
} from "../contract/index.ts";
import type { Logger } from "../log/logger.ts";
import { batches } from "./batches.ts";
import { type Connection, openConnection } from "./connection.ts";
import { PublishError, type PublishResult, type RetireResult } from "./errors.ts";
import { EXPECTED_CLIENT_WARNINGS, type LineWriter, stderrLogger } from "./log.ts";
import type { Placement } from "./placements.ts";
import { type Prepared, prepareRetirementWith, prepareRunWith } from "./prepare.ts";
import { registryConnection } from "./registry-connection.ts";
import type { RetirementInput } from "./retirement-input.ts";
import type { RunInput, WireRun } from "./run-fields.ts";

export const DEFAULT_CLIENT_ID = "kymaros-producer";
/** A batch stays well under the broker's default 1 MiB message.max.bytes even in one partition. */
export const DEFAULT_MAX_BATCH_BYTES = 512 * 1024;
export const DEFAULT_MAX_BATCH_RECORDS = 5000;

export interface ProducerOptions {
  /** Where KYMAROS_KAFKA_* and KYMAROS_TOPIC are read; process.env by default. */
  env?: Env;
  /** Overrides of the KYMAROS_KAFKA_* settings. */
  kafka?: Partial<KafkaSettings>;
  /** Overrides KYMAROS_TOPIC (default kymaros.run-completed). */
  topic?: string;
  /** Writer schema for publishes that do not say; the codec's choice (the latest) by default. */
  schemaVersion?: SchemaVersion;
  /**
   * Attempts after the first (>= 1) before a publish fails with kind "kafka": default 8, about
   * 45 s of backoff. A broker failover takes 9-20 s before kafkajs sends to the new leader (the
   * controller moves a dead broker's leaderships after its 9 s session), so a leader's crash, or
   * two, delays publishes but fails none; an unreachable cluster fails after that long.
   */
  retries?: number;
  /** kafkajs timeouts, in milliseconds. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Off by default: a missing topic is an error, not a topic with the broker's defaults. */
  allowAutoTopicCreation?: boolean;
  /**
   * Where the Kafka client's log and the SDK's own warnings go. By default JSON lines
   * (`{time, level, msg, ...}`) on stderr, so that stdout stays the caller's.
   */
  logger?: Logger;
  /** @deprecated Pass `logger`. The stream of the default logger. */
  logWriter?: LineWriter;
  /** How much of kafkajs's log to pass on: "warn" (warnings and errors) by default; "off" for none. */
  clientLogLevel?: ClientLogLevel;
}

export interface PublishOptions {
  schemaVersion?: SchemaVersion;
}

export interface PublishManyOptions extends PublishOptions {
  maxBatchBytes?: number;
  maxBatchRecords?: number;
  /** Called after each acknowledged batch with the running count. */
  onProgress?: (acknowledged: number, total: number) => void;
}

export type SendManyOptions = Omit<PublishManyOptions, "schemaVersion">;

/** Publishes runs and retires tests. */
export interface EventProducer {
  readonly topic: string;
  /**
   * Validates, encodes and sends one run; resolves once the broker acknowledged it. A run
   * without startedAt (or null) is one whose start is not known (see RunInput).
   */
  publish(run: RunInput, options?: PublishOptions): Promise<PublishResult>;
  /**
   * Validates and encodes every run first (nothing is sent if one is refused: PublishError
   * naming its index and field), then sends them in order, in batches. Results are in input order.
   */
  publishMany(runs: readonly RunInput[], options?: PublishManyOptions): Promise<PublishResult[]>;
  /**
   * Retires a test: publishes a TestRetired for (test, namespace, cluster) at `retiredAt`, keyed
   * by test. Once the service has it, the test's runs completed at or before retiredAt count for
   * nothing, and the test has no series until a later run starts a new life. Refuses (a
   * PublishError of kind "validation", nothing sent) an empty test, names over 253 characters,
   * a reason over 1024, or a retiredAt outside 1970-9999. Resolves once the broker acknowledged
   * it. Retiring twice is harmless: only the latest retiredAt counts.
   */
  retire(retirement: RetirementInput): Promise<RetireResult>;
  /** retire() for many, all validated before any is sent, in order, in batches. */
  retireMany(retirements: readonly RetirementInput[], options?: SendManyOptions): Promise<RetireResult[]>;
  /** Waits for the publishes in flight, then disconnects. Idempotent. */
  close(): Promise<void>;
}

/** The broker's answers a publisher can act on, and what to do about each. */
const KAFKA_HINTS: Record<string, (topic: string) => string> = {
  UNKNOWN_TOPIC_OR_PARTITION: (t) => `does topic ${t} exist? Topics are not created on publish`,
  NOT_ENOUGH_REPLICAS: (t) =>
    `fewer in-sync replicas of ${t} than its min.insync.replicas: brokers are down or behind; nothing was written`,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: (t) =>
    `fewer in-sync replicas of ${t} than its min.insync.replicas acknowledged the write: brokers are down or behind`,
  TOPIC_AUTHORIZATION_FAILED: (t) =>
    `this principal may not write topic ${t}: grant it Write and Describe on the topic (docs/security.md)`,
  CLUSTER_AUTHORIZATION_FAILED: () =>
    "this principal may not use an idempotent producer: grant it IdempotentWrite on the cluster (docs/security.md)",
};

/** A kafkajs error in one line, with a hint for the broker answers a publisher can act on. */
export function describeKafkaError(err: unknown, topic?: string): string {
  if (!(err instanceof Error)) return String(err);
  // kafkajs wraps the broker's error (retries exhausted) in a KafkaJSNonRetriableError.
  let inner: unknown = err;
  while (inner instanceof Error && !("type" in inner) && inner.cause !== undefined) inner = inner.cause;
  const type = inner instanceof Error && "type" in inner ? String(inner.type) : undefined;
  const hint = type === undefined ? undefined : KAFKA_HINTS[type];
  return hint === undefined ? err.message : `${err.message} (${hint(topic ?? "KYMAROS_TOPIC")})`;
}

const runResult = ({ run }: { run: WireRun }, p: Placement): PublishResult => ({
  ...p,
  runId: run.runId,
  test: run.test,
});

const retireResult = ({ retirement: r }: { retirement: TestRetired }, p: Placement): RetireResult => ({
  ...p,
  test: r.test,
  namespace: r.namespace,
  cluster: r.cluster,
  retiredAt: r.retiredAt,
});

interface Resolved {
  topic: string;
  connection: Connection;
}

/** Settings, topic and retries read and checked; the client built (not connected yet). */
function resolve(options: ProducerOptions): Resolved {
  const env = options.env ?? process.env;
  const read = readKafkaSettings(env, DEFAULT_CLIENT_ID);
  const given = options.kafka ?? {};
  const settings: KafkaSettings = {
    brokers: given.brokers ?? read.brokers,
    clientId: given.clientId ?? read.clientId,
    tls: given.tls ?? read.tls,
    sasl: given.sasl ?? read.sasl,
  };
  if (settings.brokers.length === 0) throw new ConfigError("brokers", "no broker given");
  const topic = options.topic === undefined ? readTopic(env) : checkTopic(options.topic, "topic");
  const retries = options.retries ?? 8;
  if (!Number.isInteger(retries) || retries < 1) {
    // kafkajs refuses an idempotent producer that may not retry at all.
    throw new ConfigError("retries", `${retries} must be an integer >= 1`);
  }
  const retry = { retries, initialRetryTime: 500, maxRetryTime: 10_000 };
  const clientLog = options.clientLogLevel ?? "warn";
  const kafka = createKafkaClient(settings, {
    log: options.logger ?? stderrLogger(clientLog, options.logWriter),
    clientLog,
    retry,
    timeouts: {
      connectionMs: options.connectionTimeoutMs ?? 3000,
      requestMs: options.requestTimeoutMs ?? 30_000,
    },
    expectedWarnings: EXPECTED_CLIENT_WARNINGS,
  });
  const connection = openConnection(kafka, {
    topic,
    retry,
    allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
  });
  // KYMAROS_SCHEMA_REGISTRY_URL set: registry-framed (00 + id); otherwise single-object as ever.
  const registry = readRegistrySettings(env);
  return { topic, connection: registry ? registryConnection(connection, registry, topic) : connection };
}

/** Sends prepared records in order, in batches; a Kafka failure says how many were acknowledged. */
async function sendAll<T extends Prepared, R>(
  { topic, connection }: Resolved,
  prepared: readonly T[],
  result: (item: T, placement: Placement) => R,
  noun: string,
  opts: SendManyOptions,
): Promise<R[]> {
  const maxBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const maxRecords = opts.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
  const results: R[] = [];
  for (const { start, items } of batches(prepared, maxBytes, maxRecords)) {
    try {
      const landed = await connection.send(items.map((p) => p.message));
      results.push(...items.map((item, i) => result(item, landed[i] as Placement)));
    } catch (err) {
      throw new PublishError(
        "kafka",
        `publishing to ${topic} failed at ${noun} ${start} (${results.length} of ${prepared.length} ${noun}s acknowledged): ${describeKafkaError(err, topic)}`,
        { index: start, acknowledged: results as PublishResult[] | RetireResult[], cause: err },
      );
    }
    opts.onProgress?.(results.length, prepared.length);
  }
  return results;
}

/** One prepared event, sent alone; a Kafka failure names `what`. */
async function sendOne<P extends Prepared, R>(
  { topic, connection }: Resolved,
  prepared: P,
  toResult: (p: P, at: Placement) => R,
  what: string,
): Promise<R> {
  try {
    const [placement] = await connection.send([prepared.message]);
    return toResult(prepared, placement as Placement);
  } catch (err) {
    const message = `publishing ${what} to ${topic} failed: ${describeKafkaError(err, topic)}`;
    throw new PublishError("kafka", message, { cause: err });
  }
}

export function createProducer(options: ProducerOptions = {}): EventProducer {
  const link = resolve(options);
  const codec = createCodec(options.schemaVersion ?? LATEST_SCHEMA_VERSION);
  const versionOf = (opts: PublishOptions) => opts.schemaVersion ?? options.schemaVersion;
  let closing: Promise<void> | undefined;
  const inFlight = new Set<Promise<unknown>>();

  function track<T>(work: Promise<T>): Promise<T> {
    inFlight.add(work);
    return work.finally(() => inFlight.delete(work));
  }
  function refuseWhenClosing(): void {
    if (closing) throw new PublishError("kafka", "the producer is closed");
  }

  return {
    topic: link.topic,
    async publish(run, opts = {}) {
      refuseWhenClosing();
      const prepared = prepareRunWith(codec, run, versionOf(opts));
      return track(sendOne(link, prepared, runResult, `run ${prepared.run.runId}`));
    },
    async publishMany(runs, opts = {}) {
      refuseWhenClosing();
      const prepared = runs.map((run, index) => prepareRunWith(codec, run, versionOf(opts), index));
      return track(sendAll(link, prepared, runResult, "run", opts));
    },
    async retire(retirement) {
      refuseWhenClosing();
      const prepared = prepareRetirementWith(codec, retirement);
      return track(
        sendOne(link, prepared, retireResult, `the retirement of test ${prepared.retirement.test}`),
      );
    },
    async retireMany(retirements, opts = {}) {
      refuseWhenClosing();
      const prepared = retirements.map((r, index) => prepareRetirementWith(codec, r, index));
      return track(sendAll(link, prepared, retireResult, "retirement", opts));
    },
    close() {
      closing ??= Promise.allSettled([...inFlight]).then(() => link.connection.close());
      return closing;
    },
  };
}
