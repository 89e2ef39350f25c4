/**
 * An independent model of the metrics: computed from the set of distinct runs in the most
 * direct way (sort and pick), to check the incremental core against.
 */
import type { RunCompleted } from "../../services/contract/index.ts";
import { labelValue, type Samples } from "./exposition.ts";

const BOUNDS = [60, 120, 240, 480, 960, 1920, 3840, 7680];

function later(a: RunCompleted, b: RunCompleted): number {
  if (a.completedAt !== b.completedAt) return a.completedAt - b.completedAt;
  return a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}

/** First occurrence of each (test, runId) wins, as on a replay of one partition. */
export function distinctRuns(log: readonly RunCompleted[]): RunCompleted[] {
  const seen = new Map<string, RunCompleted>();
  for (const run of log) {
    const key = JSON.stringify([run.test, run.runId]);
    if (!seen.has(key)) seen.set(key, run);
  }
  return [...seen.values()];
}

/** Expected samples, with values as numbers. */
export function expectedSamples(log: readonly RunCompleted[]): Map<string, number> {
  const out = new Map<string, number>();
  const byTest = new Map<string, RunCompleted[]>();
  for (const run of distinctRuns(log)) byTest.set(run.test, [...(byTest.get(run.test) ?? []), run]);
  for (const [test, runs] of byTest) {
    const l = `test="${labelValue(test)}"`;
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
    const durations = runs.map((r) => r.completedAt - r.startedAt);
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
