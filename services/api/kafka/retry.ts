/** Retries with exponential backoff, for the Kafka calls a broker hiccup must not turn fatal. */

export interface RetryOptions {
  firstDelayMs: number;
  maxDelayMs: number;
  /** Whether to try again after this error, given the delay before the next try. */
  shouldRetry: (error: unknown, delayMs: number) => boolean;
  onRetry: (error: unknown, delayMs: number) => void;
}

export async function withRetry<T>(call: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (let delay = o.firstDelayMs; ; delay = Math.min(delay * 2, o.maxDelayMs)) {
    try {
      return await call();
    } catch (err) {
      if (!o.shouldRetry(err, delay)) throw err;
      o.onRetry(err, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Kafka's own judgement: kafkajs marks transient protocol errors retriable. */
export function isRetriable(error: unknown): boolean {
  return (error as { retriable?: boolean } | null)?.retriable === true;
}
