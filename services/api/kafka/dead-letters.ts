/**
 * The dead-letter producer: the original bytes and key, with why and where from in headers.
 * Sends are awaited before the batch's offsets are committed, so a dead letter is never lost.
 */
import type { Kafka, Producer } from "kafkajs";

export const DLQ_HEADERS = {
  reason: "kymaros.dlq.reason",
  detail: "kymaros.dlq.detail",
  topic: "kymaros.source.topic",
  partition: "kymaros.source.partition",
  offset: "kymaros.source.offset",
  timestamp: "kymaros.source.timestamp",
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

export interface DeadLetterSink {
  send(letters: DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

export async function createDeadLetterSink(kafka: Kafka, dlqTopic: string): Promise<DeadLetterSink> {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    async send(letters) {
      if (letters.length === 0) return;
      await producer.send({
        topic: dlqTopic,
        acks: -1,
        messages: letters.map((l) => ({
          key: l.key,
          value: l.value,
          headers: {
            [DLQ_HEADERS.reason]: l.reason,
            [DLQ_HEADERS.detail]: l.detail,
            [DLQ_HEADERS.topic]: l.topic,
            [DLQ_HEADERS.partition]: String(l.partition),
            [DLQ_HEADERS.offset]: l.offset,
            [DLQ_HEADERS.timestamp]: l.timestamp,
          },
        })),
      });
    },
    close: () => producer.disconnect(),
  };
}
