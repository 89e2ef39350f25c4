/**
 * kafkajs logs as JSON lines on stderr, from a chosen level up (warnings and errors unless told
 * otherwise): stdout stays the CLIs' own output (NDJSON of --dry-run, results), and a library
 * user's stdout stays theirs. The CLIs turn them off: they report a failure in one line of their
 * own, and show the client's log only with --verbose or KYMAROS_LOG_LEVEL=debug.
 */
import { type LogEntry, type logCreator, logLevel } from "kafkajs";
import { isTransientBrokerAnswer } from "../config/kafka-log.ts";

export type LineWriter = (line: string) => void;

export const writeToStderr: LineWriter = (line) => {
  process.stderr.write(line);
};

/** How much of the Kafka client's log to write: nothing, or from this level up. */
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

/**
 * kafkajs warns whenever an idempotent producer has a retry limit. The limit is deliberate:
 * a publish that cannot get through fails with a PublishError instead of retrying forever, and
 * a resend after such a failure is harmless because consumers dedupe on runId (docs/metrics.md,
 * "What the values are").
 */
const EXPECTED_WARNINGS = ["Limiting retries for the idempotent producer may invalidate EoS guarantees"];

export function jsonLogCreator(write: LineWriter = writeToStderr, from: ClientLogLevel = "warn"): logCreator {
  const threshold = KAFKAJS_LEVEL[from];
  return () =>
    ({ namespace, level, label, log }: LogEntry) => {
      if (level > threshold) return;
      // Below debug, what kafkajs retries by itself and what we chose is not news.
      if (threshold < logLevel.DEBUG) {
        if (level === logLevel.WARN && EXPECTED_WARNINGS.includes(log.message)) return;
        if (isTransientBrokerAnswer(log)) return;
      }
      const { timestamp, logger, message, ...extra } = log;
      write(`${JSON.stringify({ time: timestamp, level: label, logger, namespace, message, ...extra })}\n`);
    };
}

/** A warning of the SDK's own (not the client's), in the same JSON shape, whatever the level. */
export function warningLine(message: string): string {
  return `${JSON.stringify({ time: new Date().toISOString(), level: "WARN", logger: "kymaros-producer", message })}\n`;
}
