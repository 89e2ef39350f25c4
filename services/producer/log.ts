/**
 * kafkajs logs as JSON lines on stderr, warnings and errors only: stdout stays the CLIs' own
 * output (NDJSON of --dry-run, results), and a library user's stdout stays theirs.
 */
import { type LogEntry, type logCreator, logLevel } from "kafkajs";

export type LineWriter = (line: string) => void;

export const writeToStderr: LineWriter = (line) => {
  process.stderr.write(line);
};

/**
 * kafkajs warns whenever an idempotent producer has a retry limit. The limit is deliberate:
 * a publish that cannot get through fails with a PublishError instead of retrying forever, and
 * a resend after such a failure is harmless because consumers dedupe on runId (design §2).
 */
const EXPECTED_WARNINGS = ["Limiting retries for the idempotent producer may invalidate EoS guarantees"];

export function jsonLogCreator(write: LineWriter = writeToStderr): logCreator {
  return () =>
    ({ namespace, level, label, log }: LogEntry) => {
      if (level > logLevel.WARN) return;
      if (level === logLevel.WARN && EXPECTED_WARNINGS.includes(log.message)) return;
      const { timestamp, logger, message, ...extra } = log;
      write(`${JSON.stringify({ time: timestamp, level: label, logger, namespace, message, ...extra })}\n`);
    };
}
