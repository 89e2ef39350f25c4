/**
 * The reducer at the heart of the service: apply(state, run) folds one valid run into
 * the state. Synchronous, deterministic, no I/O, no clock. It mutates the state it is given (a
 * copy per event would cost more than all the rest of ingest), and the result depends only on the
 * set of distinct (identity, runId) pairs and retirements applied, never on their order or
 * repetition: counters and histogram sums are integer, "latest" is a total order on
 * (completedAt, runId), and a run counts only when it completed after its test's latest
 * retirement (retire.ts undoes what a later retirement ends).
 *
 * Dedupe is by (identity, runId), in a compact exact set (run-ids.ts). One test's runs share a
 * partition (keyed by test), so even a runId re-published with different content resolves the
 * same way on every replay: first wins.
 */
import type { RunFacts } from "../../contract/index.ts";
import { identity, markRuns } from "./identity.ts";
import { DURATION_BUCKETS_SECONDS, isRetired, type Latest, type State, type TestState } from "./state.ts";

export type Outcome = "applied" | "duplicate";

const BUCKET_BOUNDS_MS = DURATION_BUCKETS_SECONDS.map((s) => s * 1000);

/** Whether the run (just added to the dedupe set as `entry`) is later than the current latest. */
function isLater(
  state: State,
  test: TestState,
  run: RunFacts,
  entry: number,
  current: Latest<unknown>,
): boolean {
  if (run.completedAt !== current.completedAt) return run.completedAt > current.completedAt;
  // A tie, which is rare: both runIds as strings, read back from the dedupe set.
  return state.runIds.runId(entry, test.test) > state.runIds.runId(current.entry, test.test);
}

function latest<T>(
  state: State,
  test: TestState,
  current: Latest<T> | null,
  run: RunFacts,
  entry: number,
  value: T,
): Latest<T> {
  if (current === null) return { completedAt: run.completedAt, entry, value };
  if (isLater(state, test, run, entry, current)) {
    current.completedAt = run.completedAt;
    current.entry = entry;
    current.value = value;
  }
  return current;
}

export function bucketIndex(durationMs: number): number {
  for (let i = 0; i < BUCKET_BOUNDS_MS.length; i++) {
    if (durationMs <= (BUCKET_BOUNDS_MS[i] as number)) return i;
  }
  return BUCKET_BOUNDS_MS.length;
}

/** Folds a valid run (as the facts reader gives it) into the state. */
export function apply(state: State, run: RunFacts): Outcome {
  const test = identity(state, run.test, run.namespace, run.cluster);
  const { runId } = run;
  const entry = state.runIds.add(test.id, runId.bytes, runId.start, runId.end, run.testUtf8);
  if (entry < 0) return "duplicate";

  const durationMs = run.completedAt - run.startedAt;
  const bucket = bucketIndex(durationMs);
  state.runLog.set(entry, run.completedAt, durationMs, run.result, bucket);
  markRuns(state, test);
  // A run of a past life: known (a redelivery stays a duplicate), counted nowhere.
  if (run.completedAt <= test.retiredAt) return "applied";

  if (isRetired(test)) state.retiredTests -= 1;
  test.runs += 1;
  if (run.completedAt < test.earliest) test.earliest = run.completedAt;
  test.results[run.result] += 1;
  test.buckets[bucket] = (test.buckets[bucket] as number) + 1;
  test.durationSumMs += durationMs;

  test.score = latest(state, test, test.score, run, entry, run.score);
  if (run.rtoSeconds !== null) {
    test.rtoSeconds = latest(state, test, test.rtoSeconds, run, entry, run.rtoSeconds);
  }
  if (run.backupCreatedAt !== null) {
    test.backupAgeMs = latest(state, test, test.backupAgeMs, run, entry, run.startedAt - run.backupCreatedAt);
  }

  test.revision += 1;
  state.revision += 1;
  return "applied";
}
