/**
 * Does Kafka answer and does the topic exist? One admin client, kept connected, asks for the
 * topic's metadata. The producer SDK connects only when it publishes, so this is how the bridge
 * knows it could publish before it has anything to.
 */
import type { KafkaSettings } from "../../config/kafka.ts";
import { createKafkaClient } from "../../config/kafka-client.ts";
import { silentLogger } from "../../log/logger.ts";

export interface KafkaProbe {
  probe(): Promise<void>;
  close(): Promise<void>;
}

export function createKafkaProbe(settings: KafkaSettings, topic: string): KafkaProbe {
  // Silent: a failed probe is the bridge's readiness answer, and the producer already wrote
  // the security warnings.
  const kafka = createKafkaClient(settings, {
    log: silentLogger,
    clientLog: "off",
    retry: { retries: 1 },
    timeouts: { connectionMs: 3000, requestMs: 10_000 },
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
