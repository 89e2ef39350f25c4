/**
 * The reducer at the heart of the service: apply(state, run) folds one valid run into
 * the state. Synchronous, deterministic, no I/O, no clock. It mutates the state it is given (a
 * copy per event would cost more than all the rest of ingest), and the result depends only on the
 * set of distinct (test, runId) pairs applied, never on their order or repetition:
 * counters and histogram sums are integer, and "latest" is a total order on (completedAt, runId).
 *
 * Dedupe is by (test, runId), in a compact exact set (run-ids.ts). One test's runs share a
 * partition (keyed by test), so even a runId re-published with different content resolves the
 * same way on every replay: first wins.
 */
import type { RunFacts } from "../../contract/index.ts";
import { DURATION_BUCKETS_SECONDS, type Latest, type State, type TestState } from "./state.ts";

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

function bucketIndex(durationMs: number): number {
  for (let i = 0; i < BUCKET_BOUNDS_MS.length; i++) {
    if (durationMs <= (BUCKET_BOUNDS_MS[i] as number)) return i;
  }
  return BUCKET_BOUNDS_MS.length;
}

function newTest(run: RunFacts, id: number): TestState {
  return {
    test: run.test,
    id,
    results: { pass: 0, fail: 0, partial: 0 },
    buckets: new Array<number>(BUCKET_BOUNDS_MS.length + 1).fill(0),
    durationSumMs: 0,
    // Replaced by the test's first run, which apply() adds right after.
    score: { completedAt: Number.NEGATIVE_INFINITY, entry: -1, value: 0 },
    rtoSeconds: null,
    backupAgeMs: null,
    revision: 0,
  };
}

/** Folds a valid run (as the facts reader gives it) into the state. */
export function apply(state: State, run: RunFacts): Outcome {
  let test = state.tests.get(run.test);
  if (test === undefined) {
    test = newTest(run, state.tests.size);
    state.tests.set(run.test, test);
  }
  const { runId } = run;
  const entry = state.runIds.add(test.id, runId.bytes, runId.start, runId.end, run.testUtf8);
  if (entry < 0) return "duplicate";

  test.results[run.result] += 1;
  const durationMs = run.completedAt - run.startedAt;
  const bucket = bucketIndex(durationMs);
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
