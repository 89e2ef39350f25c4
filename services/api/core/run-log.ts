/**
 * Per dedupe entry (State.runIds numbers them), what recounting a test's life needs: when the
 * run completed, its result, its histogram bucket (NO_DURATION for none) and its duration.
 * Needed only when a retirement arrives after runs on both sides of it (reordering); typed
 * arrays, 13 bytes per run, outside the garbage collector's work.
 */
import { RESULTS, type Result } from "../../contract/index.ts";

/** Durations that do not fit 32 bits of milliseconds (over 49 days) are kept aside: rare. */
const LONG = 0xffffffff;
/** The bucket of a run that has no duration (its start is not known): it is observed nowhere. */
export const NO_DURATION = 15;

function grown<T extends Float64Array | Uint32Array | Uint8Array>(
  array: T,
  make: (n: number) => T,
  min: number,
): T {
  const next = make(Math.max(min, array.length * 2));
  next.set(array);
  return next;
}

export class RunLog {
  #completedAt = new Float64Array(1 << 10);
  #durationMs = new Uint32Array(1 << 10);
  /** result index * 16 + bucket index (or NO_DURATION). */
  #kind = new Uint8Array(1 << 10);
  #longDurations = new Map<number, number>();

  set(entry: number, completedAt: number, durationMs: number, result: Result, bucket: number): void {
    if (entry >= this.#completedAt.length) {
      this.#completedAt = grown(this.#completedAt, (n) => new Float64Array(n), entry + 1);
      this.#durationMs = grown(this.#durationMs, (n) => new Uint32Array(n), entry + 1);
      this.#kind = grown(this.#kind, (n) => new Uint8Array(n), entry + 1);
    }
    this.#completedAt[entry] = completedAt;
    if (durationMs >= LONG) {
      this.#durationMs[entry] = LONG;
      this.#longDurations.set(entry, durationMs);
    } else {
      this.#durationMs[entry] = durationMs;
    }
    this.#kind[entry] = RESULTS.indexOf(result) * 16 + bucket;
  }

  completedAt(entry: number): number {
    return this.#completedAt[entry] as number;
  }

  durationMs(entry: number): number {
    const d = this.#durationMs[entry] as number;
    return d === LONG ? (this.#longDurations.get(entry) as number) : d;
  }

  result(entry: number): Result {
    return RESULTS[(this.#kind[entry] as number) >> 4] as Result;
  }

  bucket(entry: number): number {
    return (this.#kind[entry] as number) & 15;
  }
}
