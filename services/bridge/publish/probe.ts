/**
 * Does Kafka answer and does the topic exist? One admin client, kept connected, asks for the
 * topic's metadata. The producer SDK connects only when it publishes, so this is how the bridge
 * knows it could publish before it has anything to.
 */
import { Kafka, logLevel } from "kafkajs";
import { type KafkaSettings, kafkaSecurity } from "../../config/kafka.ts";
import { jsonLogCreator } from "../../producer/log.ts";

export interface KafkaProbe {
  probe(): Promise<void>;
  close(): Promise<void>;
}

export function createKafkaProbe(settings: KafkaSettings, topic: string): KafkaProbe {
  const kafka = new Kafka({
    brokers: settings.brokers,
    clientId: settings.clientId,
    ...kafkaSecurity(settings),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 1 },
    logLevel: logLevel.NOTHING,
    logCreator: jsonLogCreator(),
  });
  const admin = kafka.admin();
  let connected = false;
  return {
    async probe() {
      try {
        if (!connected) {
          await admin.connect();
          connected = true;
        }
        await admin.fetchTopicMetadata({ topics: [topic] });
      } catch (err) {
        // A fresh connection next time: the old one may be half dead.
        connected = false;
        await admin.disconnect().catch(() => undefined);
        throw err;
      }
    },
    async close() {
      await admin.disconnect().catch(() => undefined);
    },
  };
}
