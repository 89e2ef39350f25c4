/**
 * The SDK's one kafkajs producer: connected on first send, idempotent with one request in
 * flight (a test's events stay in order in their partition), every record acknowledged by all
 * in-sync replicas (acks=-1).
 */
import { type Kafka, type Message, Partitioners, type RetryOptions } from "kafkajs";
import { acknowledged, type Placement } from "./placements.ts";

/**
 * Sends of the records a send left unacknowledged. kafkajs answers a send once every broker it
 * sent to answered; when a partition's leader died mid-send and the partition moved to a broker
 * that had already answered for others, kafkajs does not send it again and leaves it out of its
 * answer. Those records were never acknowledged: they are sent again (a copy the dead leader
 * may have written is a duplicate by runId, which the service does not count twice).
 */
const RESENDS = 3;

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
      const landed: Placement[] = [];
      let pending = messages.map((_, i) => i);
      for (let resend = 0; ; resend++) {
        const batch = pending.map((i) => messages[i] as Message);
        const metadata = await producer.send({ topic: options.topic, acks: -1, messages: batch });
        const partitions = batch.map((m) => partitionOf.get(m));
        const missing: number[] = [];
        acknowledged(options.topic, metadata, partitions).forEach((p, j) => {
          const i = pending[j] as number;
          if (p === undefined) missing.push(i);
          else landed[i] = p;
        });
        if (missing.length === 0) return landed;
        if (resend === RESENDS) throw new Error(`no acknowledgement for record ${missing[0]} of the batch`);
        pending = missing;
      }
    },
    async close() {
      if (!connecting) return;
      await connecting.catch(() => undefined);
      await producer.disconnect();
    },
  };
}
