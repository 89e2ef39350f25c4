/**
 * Exponential backoff with full jitter, for the retries against the API server and Kafka:
 * jitter keeps several bridges (or a restarted one) from retrying in step.
 */
export interface Backoff {
  /** The next wait in milliseconds; each call doubles the ceiling up to the cap. */
  next(): number;
  reset(): void;
}

export function createBackoff(baseMs: number, capMs: number, random: () => number = Math.random): Backoff {
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
      attempt += 1;
      // At least half the ceiling, so a retry never spins.
      return Math.round(ceiling / 2 + (random() * ceiling) / 2);
    },
    reset() {
      attempt = 0;
    },
  };
}

/** Resolves after ms, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
