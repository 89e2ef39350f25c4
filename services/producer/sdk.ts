/**
 * The producer SDK: publish RunCompleted events, and TestRetired when a test is deleted or
 * renamed, the way the service expects them (design §1, §8): validated, Avro single-object
 * encoded, keyed by test name, acknowledged by every in-sync replica (acks=-1) on an idempotent
 * producer with one request in flight, so a test's events stay in order in their partition.
 */

import { Kafka, type Message, Partitioners, type Producer, type RecordMetadata } from "kafkajs";
import { ConfigError, type Env } from "../config/errors.ts";
import { type KafkaSettings, kafkaSecurity, readKafkaSettings, securityWarnings } from "../config/kafka.ts";
import { checkTopic, readTopic } from "../config/topic.ts";
import {
  type Codec,
  CodecError,
  createCodec,
  LATEST_SCHEMA_VERSION,
  type RunCompleted,
  type SchemaVersion,
  type TestRetired,
  ValidationError,
  validateRetirement,
  validateRun,
  writerVersionFor,
} from "../contract/index.ts";
import { InputError, PublishError, type PublishResult, type RetireResult } from "./errors.ts";
import {
  type ClientLogLevel,
  jsonLogCreator,
  KAFKAJS_LEVEL,
  type LineWriter,
  warningLine,
  writeToStderr,
} from "./log.ts";
import { type RetirementInput, toRetirement } from "./retirement-input.ts";
import { checkRunShape } from "./run-shape.ts";

export const DEFAULT_CLIENT_ID = "kymaros-producer";
/** A batch stays well under the broker's default 1 MiB message.max.bytes even in one partition. */
export const DEFAULT_MAX_BATCH_BYTES = 512 * 1024;
export const DEFAULT_MAX_BATCH_RECORDS = 5000;
/** Per-record overhead in a Kafka record batch, counted towards the batch size. */
const RECORD_OVERHEAD_BYTES = 32;

export interface ProducerOptions {
  /** Where KYMAROS_KAFKA_* and KYMAROS_TOPIC are read; process.env by default. */
  env?: Env;
  /** Overrides of the KYMAROS_KAFKA_* settings. */
  kafka?: Partial<KafkaSettings>;
  /** Overrides KYMAROS_TOPIC (default kymaros.run-completed). */
  topic?: string;
  /** Writer schema for publishes that do not say; by default 2, or 3 for a run whose start is not known. */
  schemaVersion?: SchemaVersion;
  /** Attempts after the first (>= 1) before a publish fails with kind "kafka" (default 5, ~10 s). */
  retries?: number;
  /** kafkajs timeouts, in milliseconds. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Off by default: a missing topic is an error, not a topic with the broker's defaults. */
  allowAutoTopicCreation?: boolean;
  /** Where kafkajs log lines (and the SDK's own warnings) go, as JSON lines; stderr by default. */
  logWriter?: LineWriter;
  /** How much of kafkajs's log to write: "warn" (warnings and errors) by default; "off" for none. */
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

export interface RunProducer {
  readonly topic: string;
  /** Validates, encodes and sends one run; resolves once the broker acknowledged it. */
  publish(run: RunCompleted, options?: PublishOptions): Promise<PublishResult>;
  /**
   * Validates and encodes every run first (nothing is sent if one is refused: PublishError
   * naming its index and field), then sends them in order, in batches. Results are in input order.
   */
  publishMany(runs: readonly RunCompleted[], options?: PublishManyOptions): Promise<PublishResult[]>;
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

export type SendManyOptions = Omit<PublishManyOptions, "schemaVersion">;

interface Prepared {
  message: Message;
  bytes: number;
}

/** Where a record landed. */
type Placement = Pick<PublishResult, "topic" | "partition" | "offset">;

/** A refusal of the input as a PublishError that names the item (`run 3: `) and the field. */
function refused(err: unknown, where: string, index: number | undefined): never {
  if (err instanceof InputError) {
    throw new PublishError("validation", `${where}${err.message}`, {
      index,
      field: err.field,
      reason: "invalid_type",
      cause: err,
    });
  }
  if (err instanceof ValidationError) {
    throw new PublishError("validation", `${where}${err.message}`, {
      index,
      field: err.field,
      reason: err.reason,
      cause: err,
    });
  }
  if (err instanceof CodecError) {
    throw new PublishError("encoding", `${where}${err.message}`, { index, reason: err.reason, cause: err });
  }
  throw err;
}

function prepareRetirement(
  codec: Codec,
  input: RetirementInput,
  index: number | undefined,
): Prepared & { retirement: TestRetired } {
  const where = index === undefined ? "" : `retirement ${index}: `;
  try {
    const retirement = toRetirement(input);
    validateRetirement(retirement);
    const key = Buffer.from(retirement.test, "utf8");
    const value = codec.encodeRetirement(retirement);
    return { message: { key, value }, retirement, bytes: key.length + value.length + RECORD_OVERHEAD_BYTES };
  } catch (err) {
    return refused(err, where, index);
  }
}

function prepare(
  codec: Codec,
  run: RunCompleted,
  version: SchemaVersion | undefined,
  index: number | undefined,
): Prepared & { run: RunCompleted } {
  const where = index === undefined ? "" : `run ${index}: `;
  try {
    checkRunShape(run);
    validateRun(run);
  } catch (err) {
    refused(err, where, index);
  }
  let value: Buffer;
  try {
    // Unforced: version 2 as before, version 3 only for a run that needs it (old readers read both).
    value = codec.encode(run, version ?? writerVersionFor(run, 2));
  } catch (err) {
    if (err instanceof CodecError) {
      throw new PublishError("encoding", `${where}${err.message}`, {
        index,
        field: err.field,
        reason: err.reason,
        cause: err,
      });
    }
    throw err;
  }
  const key = Buffer.from(run.test, "utf8");
  return { message: { key, value }, run, bytes: key.length + value.length + RECORD_OVERHEAD_BYTES };
}

/** A kafkajs error in one line, with a hint for the common missing-topic case. */
export function describeKafkaError(err: unknown, topic?: string): string {
  if (!(err instanceof Error)) return String(err);
  // kafkajs wraps the broker's error (retries exhausted) in a KafkaJSNonRetriableError.
  let inner: unknown = err;
  while (inner instanceof Error && !("type" in inner) && inner.cause !== undefined) inner = inner.cause;
  if (inner instanceof Error && "type" in inner && inner.type === "UNKNOWN_TOPIC_OR_PARTITION") {
    return `${err.message} (does topic ${topic ?? "KYMAROS_TOPIC"} exist? Topics are not created on publish)`;
  }
  return err.message;
}

export function createProducer(options: ProducerOptions = {}): RunProducer {
  const env = options.env ?? process.env;
  const settings = readKafkaSettings(env, DEFAULT_CLIENT_ID);
  const brokers = options.kafka?.brokers ?? settings.brokers;
  if (brokers.length === 0) throw new ConfigError("brokers", "no broker given");
  const clientId = options.kafka?.clientId ?? settings.clientId;
  const topic = options.topic === undefined ? readTopic(env) : checkTopic(options.topic, "topic");
  const defaultVersion = options.schemaVersion;
  const retries = options.retries ?? 5;
  if (!Number.isInteger(retries) || retries < 1) {
    // kafkajs refuses an idempotent producer that may not retry at all.
    throw new ConfigError("retries", `${retries} must be an integer >= 1`);
  }
  const retry = { retries };
  const codec = createCodec(defaultVersion ?? LATEST_SCHEMA_VERSION);

  // The partition kafkajs picks for each message object, recorded by wrapping its default
  // (Java-compatible murmur2) partitioner: how a batch's per-partition base offsets map back
  // to the records, with no second metadata lookup.
  const partitionOf = new WeakMap<Message, number>();
  const write = options.logWriter ?? writeToStderr;
  const clientLogLevel = options.clientLogLevel ?? "warn";
  const security = { tls: options.kafka?.tls ?? settings.tls, sasl: options.kafka?.sasl ?? settings.sasl };
  const kafka = new Kafka({
    brokers,
    clientId,
    ...kafkaSecurity(security),
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry,
    logLevel: KAFKAJS_LEVEL[clientLogLevel],
    logCreator: jsonLogCreator(write, clientLogLevel),
  });
  for (const warning of securityWarnings(security)) write(warningLine(warning));
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry,
    allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
    createPartitioner: () => {
      const partition = Partitioners.DefaultPartitioner();
      return (args) => {
        const chosen = partition(args);
        partitionOf.set(args.message, chosen);
        return chosen;
      };
    },
  });

  let connecting: Promise<void> | undefined;
  let connected = false;
  let closing: Promise<void> | undefined;
  const inFlight = new Set<Promise<unknown>>();

  async function ensureConnected(): Promise<void> {
    if (connected) return;
    connecting ??= producer.connect().then(
      () => {
        connected = true;
      },
      (err: unknown) => {
        connecting = undefined;
        throw err;
      },
    );
    await connecting;
  }

  /** Sends one batch; where each record landed, in the batch's order. */
  async function sendBatch(batch: readonly Prepared[]): Promise<Placement[]> {
    await ensureConnected();
    const metadata: RecordMetadata[] = await producer.send({
      topic,
      acks: -1,
      messages: batch.map((p) => p.message),
    });
    const nextOffset = new Map<number, bigint>();
    for (const m of metadata) {
      if (m.errorCode !== 0 || m.baseOffset === undefined) {
        throw new Error(`partition ${m.partition} answered error code ${m.errorCode}`);
      }
      nextOffset.set(m.partition, BigInt(m.baseOffset));
    }
    // Records of a partition are appended in the order sent, from the batch's base offset.
    return batch.map(({ message }, i) => {
      const partition = partitionOf.get(message);
      const offset = partition === undefined ? undefined : nextOffset.get(partition);
      if (partition === undefined || offset === undefined) {
        throw new Error(`no acknowledgement for record ${i} of the batch`);
      }
      nextOffset.set(partition, offset + 1n);
      return { topic, partition, offset: offset.toString() };
    });
  }

  function track<T>(work: Promise<T>): Promise<T> {
    inFlight.add(work);
    return work.finally(() => inFlight.delete(work));
  }

  function refuseWhenClosing(): void {
    if (closing) throw new PublishError("kafka", "the producer is closed");
  }

  /** Sends prepared records in order, in batches; a Kafka failure says how many were acknowledged. */
  async function sendAll<T extends Prepared, R>(
    prepared: readonly T[],
    result: (item: T, placement: Placement) => R,
    noun: string,
    opts: SendManyOptions,
  ): Promise<R[]> {
    const maxBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    const maxRecords = opts.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    const results: R[] = [];
    let start = 0;
    while (start < prepared.length) {
      let end = start;
      let bytes = 0;
      while (end < prepared.length && end - start < maxRecords) {
        const size = (prepared[end] as Prepared).bytes;
        if (end > start && bytes + size > maxBytes) break;
        bytes += size;
        end++;
      }
      const batch = prepared.slice(start, end);
      try {
        const placements = await sendBatch(batch);
        results.push(...batch.map((item, i) => result(item, placements[i] as Placement)));
      } catch (err) {
        throw new PublishError(
          "kafka",
          `publishing to ${topic} failed at ${noun} ${start} (${results.length} of ${prepared.length} ${noun}s acknowledged): ${describeKafkaError(err, topic)}`,
          { index: start, acknowledged: results as PublishResult[] | RetireResult[], cause: err },
        );
      }
      start = end;
      opts.onProgress?.(results.length, prepared.length);
    }
    return results;
  }

  const runResult = ({ run }: { run: RunCompleted }, p: Placement): PublishResult => ({
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

  /** One prepared event, sent alone; a Kafka failure names `what`. */
  function sendOne<P extends Prepared, R>(
    prepared: P,
    toResult: (prepared: P, placement: Placement) => R,
    what: string,
  ): Promise<R> {
    return track(
      sendBatch([prepared]).then(
        ([placement]) => toResult(prepared, placement as Placement),
        (err: unknown) => {
          throw new PublishError(
            "kafka",
            `publishing ${what} to ${topic} failed: ${describeKafkaError(err, topic)}`,
            { cause: err },
          );
        },
      ),
    );
  }

  async function publishMany(
    runs: readonly RunCompleted[],
    opts: PublishManyOptions = {},
  ): Promise<PublishResult[]> {
    refuseWhenClosing();
    const version = opts.schemaVersion ?? defaultVersion;
    const prepared = runs.map((run, index) => prepare(codec, run, version, index));
    return sendAll(prepared, runResult, "run", opts);
  }

  async function retireMany(
    retirements: readonly RetirementInput[],
    opts: SendManyOptions = {},
  ): Promise<RetireResult[]> {
    refuseWhenClosing();
    const prepared = retirements.map((r, index) => prepareRetirement(codec, r, index));
    return sendAll(prepared, retireResult, "retirement", opts);
  }

  return {
    topic,

    async publish(run, opts = {}) {
      refuseWhenClosing();
      const prepared = prepare(codec, run, opts.schemaVersion ?? defaultVersion, undefined);
      return sendOne(prepared, runResult, `run ${run.runId}`);
    },

    async publishMany(runs, opts) {
      return track(publishMany(runs, opts));
    },

    async retire(retirement) {
      refuseWhenClosing();
      const prepared = prepareRetirement(codec, retirement, undefined);
      return sendOne(prepared, retireResult, `the retirement of test ${prepared.retirement.test}`);
    },

    async retireMany(retirements, opts) {
      return track(retireMany(retirements, opts));
    },

    close() {
      closing ??= (async () => {
        await Promise.allSettled([...inFlight]);
        if (connecting) {
          await connecting.catch(() => undefined);
          await producer.disconnect();
        }
      })();
      return closing;
    },
  };
}
