/**
 * The reducer at the heart of the service: apply(state, run) folds one valid run into
 * the state. Synchronous, deterministic, no I/O, no clock. It mutates the state it is given (no
 * copy per event), and the result depends only on the set of distinct (identity, runId) pairs and
 * retirements applied, never on their order or repetition: counters and histogram sums are
 * integer, "latest" is a total order on (completedAt, runId), and a run counts only when it
 * completed after its test's latest retirement (retire.ts undoes what a later retirement ends).
 *
 * A run whose start is not known (startedAtKnown false: a restore that failed outright) counts
 * like any other, but has no duration: the histogram does not observe it.
 *
 * Dedupe is by (identity, runId), in a compact exact set (run-ids.ts). One test's runs share a
 * partition (keyed by test), so even a runId re-published with different content resolves the
 * same way on every replay: first wins.
 */
import type { RunFacts } from "../../contract/index.ts";
import { identityOf, markRuns } from "./identity.ts";
import { NO_DURATION } from "./run-log.ts";
import { DURATION_BUCKETS_SECONDS, type Identity, isRetired, type Latest, type State } from "./state.ts";

export type Outcome = "applied" | "duplicate";

const BUCKET_BOUNDS_MS = DURATION_BUCKETS_SECONDS.map((s) => s * 1000);

/** Whether the run (just added to the dedupe set as `entry`) is later than the current latest. */
function isLater(
  state: State,
  identity: Identity,
  run: RunFacts,
  entry: number,
  current: Latest<unknown>,
): boolean {
  if (run.completedAt !== current.completedAt) return run.completedAt > current.completedAt;
  // A tie, which is rare: both runIds as strings, read back from the dedupe set.
  const { runIds } = state;
  return runIds.runId(entry, identity.name) > runIds.runId(current.entry, identity.name);
}

function latest<T>(
  state: State,
  identity: Identity,
  current: Latest<T> | null,
  run: RunFacts,
  entry: number,
  value: T,
): Latest<T> {
  if (current === null) return { completedAt: run.completedAt, entry, value };
  if (isLater(state, identity, run, entry, current)) {
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

/** Observes a duration in the identity's histogram; a run without one (NO_DURATION) is not observed. */
export function observe(identity: Identity, bucket: number, durationMs: number): void {
  if (bucket === NO_DURATION) return;
  identity.buckets[bucket] = (identity.buckets[bucket] as number) + 1;
  identity.durationSumMs += durationMs;
}

/** Folds a valid run (as the facts reader gives it) into the state. */
export function apply(state: State, run: RunFacts): Outcome {
  const identity = identityOf(state, run.test, run.namespace, run.cluster);
  const { runId } = run;
  const entry = state.runIds.add(identity.id, runId.bytes, runId.start, runId.end, run.testUtf8);
  if (entry < 0) return "duplicate";

  const durationMs = run.startedAtKnown ? run.completedAt - run.startedAt : 0;
  const bucket = run.startedAtKnown ? bucketIndex(durationMs) : NO_DURATION;
  state.runLog.set(entry, run.completedAt, durationMs, run.result, bucket);
  markRuns(state, identity);
  // A run of a past life: known (a redelivery stays a duplicate), counted nowhere.
  if (run.completedAt <= identity.retiredAt) return "applied";

  if (isRetired(identity)) state.retiredTests -= 1;
  identity.runs += 1;
  if (run.completedAt < identity.earliest) identity.earliest = run.completedAt;
  identity.results[run.result] += 1;
  observe(identity, bucket, durationMs);

  identity.score = latest(state, identity, identity.score, run, entry, run.score);
  if (run.rtoSeconds !== null) {
    identity.rtoSeconds = latest(state, identity, identity.rtoSeconds, run, entry, run.rtoSeconds);
    // This run is now the RTO's: its target goes with it (the status page shows RTO against it).
    if (identity.rtoSeconds.entry === entry) identity.rtoTargetSeconds = run.rtoTargetSeconds;
  }
  if (run.backupCreatedAt !== null) {
    // From startedAt whether or not the start is known: then it is the producer's best bound.
    const ageMs = run.startedAt - run.backupCreatedAt;
    identity.backupAgeMs = latest(state, identity, identity.backupAgeMs, run, entry, ageMs);
  }

  identity.revision += 1;
  state.revision += 1;
  return "applied";
}
