/**
 * How the Kafka client's log reaches a process's structured log. kafkajs logs every failed
 * response at error level, including the broker's answers that only mean "not yet" (a
 * coordinator still loading on a fresh broker, a leader election under way), which it retries
 * on its own. Those are normal on a first start or a broker restart; if the retries run out,
 * the operation itself fails and its caller reports that. Shared by the service, the producer
 * SDK, the CLIs and the bridge, so all of them write one record shape.
 */
import { type LogEntry, type logCreator, logLevel } from "kafkajs";
import type { Logger, LogLevel } from "../log/logger.ts";

/** How much of the Kafka client's log to pass on: nothing, or from this kafkajs level up. */
export const CLIENT_LOG_LEVELS = ["off", "error", "warn", "info", "debug"] as const;
export type ClientLogLevel = (typeof CLIENT_LOG_LEVELS)[number];

/** The kafkajs level of each (kafkajs then skips building what is below it). */
export const KAFKAJS_LEVEL: Record<ClientLogLevel, logLevel> = {
  off: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/** Broker errors that kafkajs retries and that a start or a leader change brings (their messages). */
const TRANSIENT_BROKER_ERRORS: ReadonlySet<string> = new Set([
  // GROUP_LOAD_IN_PROGRESS: also the transaction coordinator's answer to InitProducerId
  "The coordinator is loading and hence can't process requests for this group",
  "The group coordinator is not available",
  "This is not the correct coordinator for this group",
  "There is no leader for this topic-partition as we are in the middle of a leadership election",
  "This server is not the leader for that topic-partition",
]);

/** A kafkajs "Response <api>" entry carrying a broker error that it will retry by itself. */
export function isTransientBrokerAnswer(log: { message: string; error?: unknown }): boolean {
  return (
    log.message.startsWith("Response ") &&
    typeof log.error === "string" &&
    TRANSIENT_BROKER_ERRORS.has(log.error)
  );
}

/**
 * The level a kafkajs entry is logged at. The client's errors are warnings: it retries them,
 * and an operation that still fails is reported by its caller. What is no news (a retried
 * "not yet" answer, a warning the caller chose to cause) is debug detail.
 */
export function levelOf(
  level: logLevel,
  log: { message: string; error?: unknown },
  expected: readonly string[],
): LogLevel {
  if (isTransientBrokerAnswer(log) || expected.includes(log.message)) return "debug";
  if (level <= logLevel.WARN) return "warn";
  return level === logLevel.INFO ? "info" : "debug";
}

/** kafkajs's log into a Logger: `kafka: <message>`, with the entry's namespace and fields. */
export function kafkaLogCreator(log: Logger, expected: readonly string[] = []): logCreator {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _time, logger: _logger, ...fields } = entry;
      log[levelOf(level, entry, expected)](`kafka: ${message}`, { namespace, ...fields });
    };
}
