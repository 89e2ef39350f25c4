/**
 * An independent model of the metrics: computed from the set of distinct events in the most
 * direct way (filter, sort and pick), to check the incremental core against. A test's identity
 * is (test, namespace, cluster); its latest retirement ends every run completed at or before it;
 * the series merge identities by name unless asked to keep namespaces (and clusters) apart. A
 * run whose start is not known counts and can be the latest, but the histogram never sees it.
 */
import type { RunCompleted, TestRetired } from "../../services/contract/index.ts";
import { labelValue, type Samples } from "./exposition.ts";

const BOUNDS = [60, 120, 240, 480, 960, 1920, 3840, 7680];

export type Labels = "test" | "namespace" | "cluster";

const identityOf = (e: { test: string; namespace: string; cluster: string | null }) =>
  JSON.stringify([e.test, e.namespace, e.cluster ?? ""]);

/** Later run: completedAt, then runId, then namespace, then cluster. */
function later(a: RunCompleted, b: RunCompleted): number {
  const keys = (r: RunCompleted) => [r.runId, r.namespace, r.cluster ?? ""];
  if (a.completedAt !== b.completedAt) return a.completedAt - b.completedAt;
  const [ka, kb] = [keys(a), keys(b)];
  for (let i = 0; i < ka.length; i++) {
    if ((ka[i] as string) < (kb[i] as string)) return -1;
    if ((ka[i] as string) > (kb[i] as string)) return 1;
  }
  return 0;
}

/** First occurrence of each (identity, runId) wins, as on a replay of one partition. */
export function distinctRuns(log: readonly RunCompleted[]): RunCompleted[] {
  const seen = new Map<string, RunCompleted>();
  for (const run of log) {
    const key = JSON.stringify([identityOf(run), run.runId]);
    if (!seen.has(key)) seen.set(key, run);
  }
  return [...seen.values()];
}

/** The runs that count: those completed after their identity's latest retirement. */
export function liveRuns(log: readonly RunCompleted[], retirements: readonly TestRetired[]): RunCompleted[] {
  const retiredAt = new Map<string, number>();
  for (const r of retirements) {
    const id = identityOf(r);
    retiredAt.set(id, Math.max(retiredAt.get(id) ?? Number.NEGATIVE_INFINITY, r.retiredAt));
  }
  return distinctRuns(log).filter((run) => run.completedAt > (retiredAt.get(identityOf(run)) ?? -Infinity));
}

function labelsOf(run: RunCompleted, labels: Labels): string {
  const test = `test="${labelValue(run.test)}"`;
  if (labels === "test") return test;
  const ns = `${test},test_namespace="${labelValue(run.namespace)}"`;
  return labels === "namespace" ? ns : `${ns},test_cluster="${labelValue(run.cluster ?? "")}"`;
}

/** Expected samples, with values as numbers. */
export function expectedSamples(
  log: readonly RunCompleted[],
  retirements: readonly TestRetired[] = [],
  labels: Labels = "test",
): Map<string, number> {
  const out = new Map<string, number>();
  const bySeries = new Map<string, RunCompleted[]>();
  for (const run of liveRuns(log, retirements)) {
    const l = labelsOf(run, labels);
    bySeries.set(l, [...(bySeries.get(l) ?? []), run]);
  }
  for (const [l, runs] of bySeries) {
    for (const result of ["pass", "fail", "partial"]) {
      out.set(`kymaros_tests_total{${l},result="${result}"}`, runs.filter((r) => r.result === result).length);
    }
    const sorted = [...runs].sort(later);
    const latest = sorted.at(-1) as RunCompleted;
    out.set(`kymaros_score{${l}}`, latest.score);
    const withRto = sorted.filter((r) => r.rtoSeconds !== null).at(-1);
    if (withRto) out.set(`kymaros_rto_seconds{${l}}`, withRto.rtoSeconds as number);
    const withBackup = sorted.filter((r) => r.backupCreatedAt !== null).at(-1);
    if (withBackup) {
      out.set(
        `kymaros_backup_age_seconds{${l}}`,
        (withBackup.startedAt - (withBackup.backupCreatedAt as number)) / 1000,
      );
    }
    // A run whose start is not known has no duration: counted above, observed nowhere here.
    const durations = runs.filter((r) => r.startedAtKnown !== false).map((r) => r.completedAt - r.startedAt);
    for (const bound of BOUNDS) {
      out.set(
        `kymaros_test_duration_seconds_bucket{${l},le="${bound}"}`,
        durations.filter((d) => d <= bound * 1000).length,
      );
    }
    out.set(`kymaros_test_duration_seconds_bucket{${l},le="+Inf"}`, durations.length);
    out.set(`kymaros_test_duration_seconds_count{${l}}`, durations.length);
    out.set(`kymaros_test_duration_seconds_sum{${l}}`, durations.reduce((a, b) => a + b, 0) / 1000);
  }
  return out;
}

/** The rendered samples as numbers (Go's float syntax, which Number() also reads). */
export function numericSamples(samples: Samples): Map<string, number> {
  return new Map([...samples].map(([k, v]) => [k, v === "+Inf" ? Number.POSITIVE_INFINITY : Number(v)]));
}
