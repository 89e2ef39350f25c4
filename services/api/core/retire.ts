/**
 * retire(state, retirement): a test's current life begins after its latest retirement. Runs
 * completed at or before it count for nothing, and a test with no run after it has no series.
 * Still a function of the set of distinct events: a retirement that arrives after runs of the
 * new life (reordering) takes out exactly the runs at or before it.
 */
import type { RetirementFacts } from "../../contract/index.ts";
import { observe } from "./apply.ts";
import { identityOf } from "./identity.ts";
import { type Identity, isRetired, type State } from "./state.ts";

/** "retired" when the test's retirement time moved; "duplicate" when an equal or later one was known. */
export type RetireOutcome = "retired" | "duplicate";

function clearLife(t: Identity): void {
  t.results.pass = 0;
  t.results.fail = 0;
  t.results.partial = 0;
  t.buckets.fill(0);
  t.durationSumMs = 0;
  t.runs = 0;
  t.earliest = Number.POSITIVE_INFINITY;
}

/**
 * Counts again, from the run log, the runs of `t` after its retirement: the rare case of a
 * retirement landing among the life's runs. One pass over the dedupe entries.
 */
function recount(state: State, t: Identity): void {
  clearLife(t);
  const { runIds, runLog } = state;
  for (let e = 0; e < runIds.size; e++) {
    if (runIds.testId(e) !== t.id) continue;
    const completedAt = runLog.completedAt(e);
    if (completedAt <= t.retiredAt) continue;
    t.results[runLog.result(e)] += 1;
    observe(t, runLog.bucket(e), runLog.durationMs(e));
    t.runs += 1;
    if (completedAt < t.earliest) t.earliest = completedAt;
  }
}

export function retire(state: State, r: RetirementFacts): RetireOutcome {
  const t = identityOf(state, r.test, r.namespace, r.cluster);
  if (r.retiredAt <= t.retiredAt) return "duplicate";
  const wasRetired = isRetired(t);
  t.retiredAt = r.retiredAt;
  if (t.runs > 0 && t.earliest <= r.retiredAt) {
    if (t.score.completedAt <= r.retiredAt) {
      // Every counted run is of the past life: the usual case, a retirement after the last run.
      clearLife(t);
      t.score = { completedAt: Number.NEGATIVE_INFINITY, entry: -1, value: 0 };
    } else {
      recount(state, t);
    }
    // The latest run that carries an RTO (a backup) is the life's unless it is of the past one;
    // then no run of the life carries one.
    if (t.rtoSeconds !== null && t.rtoSeconds.completedAt <= r.retiredAt) {
      t.rtoSeconds = null;
      t.rtoTargetSeconds = null;
    }
    if (t.backupAgeMs !== null && t.backupAgeMs.completedAt <= r.retiredAt) t.backupAgeMs = null;
    t.revision += 1;
    state.revision += 1;
  }
  if (!wasRetired && isRetired(t)) state.retiredTests += 1;
  return "retired";
}
