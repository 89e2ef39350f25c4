/**
 * The process scaffolding both services share: a configuration error stops the start with one
 * line naming the setting (exit 2), SIGTERM and SIGINT stop the process within one deadline,
 * a start that fails writes one JSON log line (exit 1), and the ready gauge follows /readyz.
 */
import { ConfigError } from "../config/errors.ts";
import type { Readiness } from "../http/probes.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";

/**
 * How long a stop may take before the process exits anyway: under Kubernetes's
 * terminationGracePeriodSeconds (15 s in k8s/), so the exit is ours, not a SIGKILL.
 */
export const SHUTDOWN_DEADLINE_MS = 9_000;

/** How the process ends; tests pass their own. */
export type Exit = (code: ExitCode) => void;
const processExit: Exit = (code) => process.exit(code);
const stderr = (line: string) => void process.stderr.write(line);

/** The value of `read`, or, on a ConfigError, one line naming the setting and exit 2. */
export function exitOnConfigError<T>(
  binary: string,
  read: () => T,
  exit: Exit = processExit,
  write = stderr,
): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    write(`${binary}: configuration error: ${err.message}\n`);
    exit(EXIT.config);
    throw err; // only reached when `exit` returns (a test's)
  }
}

/**
 * For `main().catch`: a ConfigError found once Kafka answered (the shards against the topic)
 * exits 2 as one found at start does; anything else is one JSON log line and exit 1.
 */
export function reportStartFailure(
  binary: string,
  err: unknown,
  exit: Exit = processExit,
  write = stderr,
): void {
  if (err instanceof ConfigError) {
    write(`${binary}: configuration error: ${err.message}\n`);
    exit(EXIT.config);
    return;
  }
  createLogger("error", write).error("start failed", { error: String(err) });
  exit(EXIT.failed);
}

export interface Lifecycle {
  /** Stops once (later calls are ignored): runs the shutdown, then exits with `code` (1 if it failed). */
  stop(reason: string, code: ExitCode): Promise<void>;
  readonly stopping: boolean;
}

export interface SignalOptions {
  logger: Logger;
  deadlineMs?: number;
  exit?: Exit;
  /** Where SIGTERM and SIGINT come from. */
  signals?: Pick<NodeJS.EventEmitter, "once">;
  /** Arms the deadline; the default timer does not keep the process alive. */
  arm?: (onDeadline: () => void, ms: number) => void;
}

const unrefTimer = (onDeadline: () => void, ms: number) => void setTimeout(onDeadline, ms).unref();

/** SIGTERM and SIGINT run `shutdown` and exit 0; a shutdown past the deadline exits 1. */
export function onSignals(shutdown: () => Promise<void>, options: SignalOptions): Lifecycle {
  const { logger } = options;
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  const exit = options.exit ?? processExit;
  let stopping = false;
  const stop = async (reason: string, code: ExitCode): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { reason });
    (options.arm ?? unrefTimer)(() => {
      logger.error("shutdown took too long; exiting", { deadlineMs });
      exit(EXIT.failed);
    }, deadlineMs);
    let result: ExitCode = code;
    try {
      await shutdown();
    } catch (err) {
      logger.error("error during shutdown", { error: err });
      result = EXIT.failed;
    }
    logger.info("stopped", { code: result });
    exit(result);
  };
  const signals = options.signals ?? process;
  for (const signal of ["SIGTERM", "SIGINT"] as const) signals.once(signal, () => void stop(signal, EXIT.ok));
  return {
    stop,
    get stopping() {
      return stopping;
    },
  };
}

/** Sets the gauge to 1 while ready, 0 otherwise, every `everyMs`. */
export function watchReadiness(
  readiness: Readiness,
  gauge: { set(value: number): void },
  everyMs = 1_000,
): NodeJS.Timeout {
  return setInterval(() => gauge.set(readiness.notReadyReason() === null ? 1 : 0), everyMs).unref();
}
