/**
 * The SDK's one kafkajs producer: connected on first send, idempotent with one request in
 * flight (a test's events stay in order in their partition), every record acknowledged by all
 * in-sync replicas (acks=-1).
 */
import { type Kafka, type Message, Partitioners, type RetryOptions } from "kafkajs";
import { type Placement, placements } from "./placements.ts";

export interface Connection {
  /** Sends one batch; where each record landed, in the batch's order. */
  send(messages: readonly Message[]): Promise<Placement[]>;
  /** Disconnects if it ever connected. */
  close(): Promise<void>;
}

export interface ConnectionOptions {
  topic: string;
  retry: RetryOptions;
  allowAutoTopicCreation: boolean;
}

export function openConnection(kafka: Kafka, options: ConnectionOptions): Connection {
  // The partition kafkajs picks for each message object, recorded by wrapping its default
  // (Java-compatible murmur2) partitioner: how a batch's per-partition base offsets map back
  // to the records, with no second metadata lookup.
  const partitionOf = new WeakMap<Message, number>();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: options.retry,
    allowAutoTopicCreation: options.allowAutoTopicCreation,
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

  function connect(): Promise<void> {
    connecting ??= producer.connect().catch((err: unknown) => {
      connecting = undefined;
      throw err;
    });
    return connecting;
  }

  return {
    async send(messages) {
      await connect();
      const metadata = await producer.send({ topic: options.topic, acks: -1, messages: [...messages] });
      return placements(
        options.topic,
        metadata,
        messages.map((m) => partitionOf.get(m)),
      );
    },
    async close() {
      if (!connecting) return;
      await connecting.catch(() => undefined);
      await producer.disconnect();
    },
  };
}
