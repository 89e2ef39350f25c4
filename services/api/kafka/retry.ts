/** Retries with exponential backoff, for the Kafka calls a broker hiccup must not turn fatal. */
import type { Logger } from "../../log/logger.ts";

export interface RetryOptions {
  firstDelayMs: number;
  maxDelayMs: number;
  /** Whether to try again after this error, given the delay before the next try. */
  shouldRetry: (error: unknown, delayMs: number) => boolean;
  onRetry: (error: unknown, delayMs: number) => void;
}

export async function withRetry<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let delay = options.firstDelayMs; ; delay = Math.min(delay * 2, options.maxDelayMs)) {
    try {
      return await call();
    } catch (err) {
      if (!options.shouldRetry(err, delay)) throw err;
      options.onRetry(err, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Kafka's own judgement: kafkajs marks transient protocol errors retriable. */
function isRetriable(error: unknown): boolean {
  return (error as { retriable?: boolean } | null)?.retriable === true;
}

/** Retries a call while it fails with an error Kafka marks retriable, up to a deadline. */
export function retrying<T>(
  logger: Pick<Logger, "info">,
  what: string,
  call: () => Promise<T>,
  deadlineMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  return withRetry(call, {
    firstDelayMs: 200,
    maxDelayMs: 5000,
    shouldRetry: (err, delay) => isRetriable(err) && Date.now() + delay <= deadline,
    onRetry: (err, delay) => logger.info(`retrying: ${what}`, { error: err, inMs: delay }),
  });
}
