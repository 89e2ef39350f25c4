/**
 * The one way a kafkajs client is built, for the service, the producer SDK (and so the CLIs)
 * and the bridge's probe: KYMAROS_KAFKA_* settings, TLS and SASL, the caller's retry and
 * timeouts, and kafkajs's log in the caller's Logger (one record shape per process).
 */
import { Kafka, type RetryOptions } from "kafkajs";
import type { Logger } from "../log/logger.ts";
import { type KafkaSettings, kafkaSecurity, securityWarnings } from "./kafka.ts";
import { type ClientLogLevel, KAFKAJS_LEVEL, kafkaLogCreator } from "./kafka-log.ts";

export interface KafkaClientOptions {
  /** Where the client's log and the security warnings go. */
  log: Logger;
  /** From which kafkajs level its entries reach `log` ("off": none). */
  clientLog: ClientLogLevel;
  retry: RetryOptions;
  timeouts?: { connectionMs?: number; requestMs?: number };
  /** kafkajs warnings the caller causes on purpose: logged at debug. */
  expectedWarnings?: readonly string[];
}

export function createKafkaClient(settings: KafkaSettings, options: KafkaClientOptions): Kafka {
  for (const warning of securityWarnings(settings)) options.log.warn(warning);
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    // TLS and SASL from KYMAROS_KAFKA_*; the password only ever goes to kafkajs.
    ...kafkaSecurity(settings),
    // Absent: kafkajs's defaults.
    connectionTimeout: options.timeouts?.connectionMs,
    requestTimeout: options.timeouts?.requestMs,
    retry: options.retry,
    logLevel: KAFKAJS_LEVEL[options.clientLog],
    logCreator: kafkaLogCreator(options.log, options.expectedWarnings),
  });
}
