/**
 * The dead-letter producer: the original bytes and key, with why and where from in headers.
 * Sends are awaited before the batch's offsets are committed, so a dead letter is never lost.
 */
import type { Kafka, Message, Producer } from "kafkajs";
import type { Logger } from "../../log/logger.ts";
import { retrying, withRetry } from "./retry.ts";

export const DLQ_HEADERS = {
  reason: "kymaros.dlq.reason",
  detail: "kymaros.dlq.detail",
  topic: "kymaros.source.topic",
  partition: "kymaros.source.partition",
  offset: "kymaros.source.offset",
  timestamp: "kymaros.source.timestamp",
  /** Present when the value was cut to fit the DLQ: the original length in bytes. */
  truncatedFrom: "kymaros.dlq.truncated-from",
} as const;

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
  detail: string;
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
}

/**
 * Well under the broker's default 1 MiB max.message.bytes per request: a burst of small bad
 * messages grows by its headers on the way to the DLQ and must not become one oversized batch.
 */
export const MAX_CHUNK_BYTES = 512 * 1024;
/** A single letter larger than this is cut, and says so in a header. */
export const MAX_LETTER_VALUE_BYTES = 768 * 1024;
/** Framing of one record in a batch: its length, attributes, deltas and the varint lengths. */
const RECORD_OVERHEAD_BYTES = 64;
const HEADER_NAME_BYTES = Object.values(DLQ_HEADERS).reduce((n, name) => n + name.length, 0);

/** An upper bound of a letter's bytes in a record batch (headers included). */
function letterBytes(l: DeadLetter): number {
  const headerValues =
    l.reason.length +
    Buffer.byteLength(l.detail) +
    l.topic.length +
    10 +
    l.offset.length +
    l.timestamp.length;
  return (
    RECORD_OVERHEAD_BYTES + HEADER_NAME_BYTES + headerValues + (l.key?.length ?? 0) + (l.value?.length ?? 0)
  );
}

/** Consecutive runs of letters of at most MAX_CHUNK_BYTES each (a lone bigger letter alone). */
export function chunkLetters(letters: readonly DeadLetter[]): DeadLetter[][] {
  const chunks: DeadLetter[][] = [];
  let current: DeadLetter[] = [];
  let size = 0;
  for (const letter of letters) {
    const bytes = letterBytes(letter);
    if (current.length > 0 && size + bytes > MAX_CHUNK_BYTES) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(letter);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface DeadLetterSink {
  /** Resolves with how many it wrote (a sink may leave some to another writer). */
  send(letters: DeadLetter[]): Promise<number>;
  close(): Promise<void>;
}

function toMessage(l: DeadLetter): Message {
  const cut = l.value !== null && l.value.length > MAX_LETTER_VALUE_BYTES;
  return {
    key: l.key !== null && l.key.length > MAX_LETTER_VALUE_BYTES ? l.key.subarray(0, 1024) : l.key,
    value: cut ? (l.value as Buffer).subarray(0, MAX_LETTER_VALUE_BYTES) : l.value,
    headers: {
      [DLQ_HEADERS.reason]: l.reason,
      [DLQ_HEADERS.detail]: l.detail,
      [DLQ_HEADERS.topic]: l.topic,
      [DLQ_HEADERS.partition]: String(l.partition),
      [DLQ_HEADERS.offset]: l.offset,
      [DLQ_HEADERS.timestamp]: l.timestamp,
      ...(cut ? { [DLQ_HEADERS.truncatedFrom]: String(l.value?.length) } : {}),
    },
  };
}

export async function createDeadLetterSink(
  kafka: Kafka,
  dlqTopic: string,
  logger: Logger,
): Promise<DeadLetterSink> {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await retrying(logger, "connect the dead-letter producer", () => producer.connect());
  let closed = false;

  /** A broker outage must not take the service down: retry until sent (or shutting down). */
  function sendChunk(chunk: DeadLetter[]): Promise<unknown> {
    return withRetry(() => producer.send({ topic: dlqTopic, acks: -1, messages: chunk.map(toMessage) }), {
      firstDelayMs: 500,
      maxDelayMs: 10_000,
      shouldRetry: () => !closed,
      onRetry: (err, delay) =>
        logger.warn("dead letters not sent yet; retrying", {
          letters: chunk.length,
          inMs: delay,
          error: err,
        }),
    });
  }

  return {
    async send(letters) {
      // In order, one request at a time: the batch counts as handled once all are acknowledged.
      for (const chunk of chunkLetters(letters)) await sendChunk(chunk);
      return letters.length;
    },
    close: () => {
      closed = true;
      return producer.disconnect();
    },
  };
}
