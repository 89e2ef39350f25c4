/** Raw Kafka access for the suite: topics, a plain publisher of bytes, and the encoding of runs. */
import { type IHeaders, Kafka, logLevel, type Producer } from "kafkajs";
import { createCodec, type RunCompleted } from "../../../services/contract/index.ts";
import { type Event, isRun } from "./events.ts";
import type { Random } from "./random.ts";

export function kafkaFor(brokers: readonly string[], clientId: string): Kafka {
  return new Kafka({
    brokers: [...brokers],
    clientId,
    logLevel: process.env.RELIABILITY_KAFKA_LOG ? logLevel.WARN : logLevel.NOTHING,
    connectionTimeout: 2000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
  });
}

/** An events topic as the service would create it (6 partitions, infinite retention), plus its DLQ. */
export async function createTopics(kafka: Kafka, topic: string, dlqTopic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 6,
          configEntries: [
            { name: "retention.ms", value: "-1" },
            { name: "retention.bytes", value: "-1" },
          ],
        },
        { topic: dlqTopic, numPartitions: 1, configEntries: [{ name: "retention.ms", value: "-1" }] },
      ],
    });
  } catch {
    // waitForLeaders can trip over metadata that is still settling (e.g. right after deletions):
    // what counts is that both topics end up with leaders.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic, dlqTopic] });
        if (topics.every((t) => t.partitions.every((p) => p.leader >= 0))) break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // Tidying only.
  } finally {
    await admin.disconnect();
  }
}

/** Messages in a topic now: the sum over partitions of high - low. */
export async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

const codec = createCodec();

/** A run as a message: single-object encoded (v1 or v2 writer at random), keyed by its test. */
export function runMessage(run: RunCompleted, random: Random): RawMessage {
  const version = run.cluster === null && random.chance(0.3) ? 1 : 2;
  return { key: Buffer.from(run.test, "utf8"), value: codec.encode(run, version) };
}

/** A run's message, or a retirement's (keyed by test too). */
export function eventMessage(event: Event, random: Random): RawMessage {
  if (isRun(event)) return runMessage(event, random);
  return { key: Buffer.from(event.test, "utf8"), value: codec.encodeRetirement(event) };
}

export interface Publisher {
  /** Sends in order, in batches under the broker's message size limit; resolves once acknowledged. */
  send(messages: readonly RawMessage[]): Promise<void>;
  close(): Promise<void>;
}

const MAX_BATCH_BYTES = 480 * 1024;
const MAX_BATCH_RECORDS = 5000;

export async function createPublisher(
  kafka: Kafka,
  topic: string,
  options: { idempotent?: boolean; retries?: number } = {},
): Promise<Publisher> {
  const producer: Producer = kafka.producer({
    idempotent: options.idempotent ?? true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: { retries: options.retries ?? 5 },
  });
  await producer.connect();
  return {
    async send(messages) {
      let batch: RawMessage[] = [];
      let bytes = 0;
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const t = Date.now();
        await producer.send({ topic, acks: -1, messages: batch });
        if (process.env.RELIABILITY_KAFKA_LOG && Date.now() - t > 500) {
          process.stderr.write(
            `slow batch: ${batch.length} messages, ${bytes} bytes, ${Date.now() - t} ms\n`,
          );
        }
        batch = [];
        bytes = 0;
      };
      for (const m of messages) {
        const size = (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64;
        if (batch.length > 0 && (bytes + size > MAX_BATCH_BYTES || batch.length >= MAX_BATCH_RECORDS))
          await flush();
        batch.push(m);
        bytes += size;
      }
      await flush();
    },
    close: () => producer.disconnect(),
  };
}

/**
 * Publishes fresh runs at a steady rate until stopped; `acked` holds, in send order, every run
 * the broker acknowledged. A failed send is retried (the same runs) until it goes through.
 */
export interface LivePublisher {
  readonly acked: RunCompleted[];
  failures(): number;
  stop(): Promise<void>;
}

export function startLivePublisher(
  publisher: Publisher,
  make: () => RunCompleted,
  random: Random,
  eventsPerSecond: number,
): LivePublisher {
  const acked: RunCompleted[] = [];
  let stopped = false;
  let failures = 0;
  const tickMs = 50;
  const perTick = Math.max(1, Math.round((eventsPerSecond * tickMs) / 1000));
  const loop = (async () => {
    const start = Date.now();
    let sent = 0;
    while (!stopped) {
      const runs = Array.from({ length: perTick }, make);
      const messages = runs.map((r) => runMessage(r, random));
      for (;;) {
        try {
          await publisher.send(messages);
          break;
        } catch {
          failures += 1;
          // Sent runs stay the truth: retried until acknowledged, even if stop() is waiting.
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      acked.push(...runs);
      sent += runs.length;
      const due = start + (sent / eventsPerSecond) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    acked,
    failures: () => failures,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
