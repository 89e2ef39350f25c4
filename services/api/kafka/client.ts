/** The service's kafkajs client, logging through its structured logger. */
import type { Kafka } from "kafkajs";
import type { KafkaSettings } from "../../config/kafka.ts";
import { createKafkaClient } from "../../config/kafka-client.ts";
import type { Logger } from "../../log/logger.ts";

export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  return createKafkaClient(settings, {
    log: logger,
    // kafkajs reports each reconnect attempt at error level (a warning here); its warn and info
    // levels are group chatter.
    clientLog: "error",
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
  });
}
