/**
 * The SDK's log: by default the JSON-lines logger (`{time, level, msg, ...}`, as the service
 * and the bridge write) on stderr, so that stdout stays the CLIs' own output (NDJSON of
 * --dry-run, results) and a library user's stdout stays theirs. The CLIs pass on none of the
 * Kafka client's log unless --verbose or KYMAROS_LOG_LEVEL=debug: they report a failure in one
 * line of their own.
 */
import type { ClientLogLevel } from "../config/kafka-log.ts";
import { createLogger, type Logger } from "../log/logger.ts";

export { CLIENT_LOG_LEVELS, type ClientLogLevel } from "../config/kafka-log.ts";

export type LineWriter = (line: string) => void;

export const writeToStderr: LineWriter = (line) => {
  process.stderr.write(line);
};

/** JSON lines on `write` (stderr by default); debug lines only when the client's log is at debug. */
export function stderrLogger(clientLog: ClientLogLevel, write: LineWriter = writeToStderr): Logger {
  return createLogger(clientLog === "debug" ? "debug" : "info", write);
}

/**
 * kafkajs warns whenever an idempotent producer has a retry limit. The limit is deliberate:
 * a publish that cannot get through fails with a PublishError instead of retrying forever, and
 * a resend after such a failure is harmless because consumers dedupe on runId.
 */
export const EXPECTED_CLIENT_WARNINGS: readonly string[] = [
  "Limiting retries for the idempotent producer may invalidate EoS guarantees",
];
