/**
 * The state changelog's producer: idempotent, acks from every replica, one request at a time,
 * each under the broker's default message.max.bytes (records of one partition travel as one
 * record batch), retried until sent or stopping.
 */
import type { Kafka } from "kafkajs";
import type { Logger } from "../../log/logger.ts";
import type { RawMessage } from "../worker/protocol.ts";
import { withRetry } from "./retry.ts";

const MAX_REQUEST_BYTES = 900 * 1024;

export interface StateProducer {
  send(partition: number, records: RawMessage[]): Promise<void>;
  close(): Promise<void>;
}

function chunks(records: RawMessage[]): RawMessage[][] {
  const out: RawMessage[][] = [];
  let current: RawMessage[] = [];
  let size = 0;
  for (const r of records) {
    const bytes = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 64;
    if (current.length > 0 && size + bytes > MAX_REQUEST_BYTES) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(r);
    size += bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export async function createStateProducer(
  kafka: Kafka,
  stateTopic: string,
  logger: Logger,
): Promise<StateProducer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let closed = false;
  return {
    async send(partition, records) {
      for (const chunk of chunks(records)) {
        await withRetry(
          () =>
            producer.send({
              topic: stateTopic,
              acks: -1,
              messages: chunk.map((r) => ({ key: r.key, value: r.value, partition })),
            }),
          {
            firstDelayMs: 500,
            maxDelayMs: 10_000,
            shouldRetry: () => !closed,
            onRetry: (err, delay) =>
              logger.warn("state changelog not sent yet; retrying", { inMs: delay, error: err }),
          },
        );
      }
    },
    close() {
      closed = true;
      return producer.disconnect();
    },
  };
}
