/** The kafkajs client, logging through our structured logger instead of its own console output. */
import { Kafka, type LogEntry, logLevel } from "kafkajs";
import { type KafkaSettings, kafkaSecurity, securityWarnings } from "../../config/kafka.ts";
import { isTransientBrokerAnswer } from "../../config/kafka-log.ts";
import type { Logger } from "../../log/logger.ts";

export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  for (const warning of securityWarnings(settings)) logger.warn(warning);
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    // TLS and SASL from KYMAROS_KAFKA_*; the password only ever goes to kafkajs.
    ...kafkaSecurity(settings),
    // kafkajs reports each reconnect attempt at error level; its info level is group chatter,
    // and the broker's "not yet" answers it retries (a first start) are no fault.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...fields } = log;
        const line = `kafka: ${message}`;
        if (level <= logLevel.ERROR && !isTransientBrokerAnswer(log)) logger.warn(line, fields);
        else logger.debug(line, fields);
      },
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
  });
}
