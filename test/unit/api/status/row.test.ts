/**
 * The status page's rows against the independent model of the metrics: the values a row shows
 * are those of its series on /metrics, whatever the events' order, and the latest run's result,
 * time and RTO target are those of the model's latest run.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { apply, createState, retire } from "../../../../services/api/core/index.ts";
import { createDomainView } from "../../../../services/api/metrics/render/domain.ts";
import type { TestRow } from "../../../../services/api/status/row.ts";
import {
  factsOf,
  type RunCompleted,
  retirementFactsOf,
  type TestRetired,
} from "../../../../services/contract/index.ts";
import { labelValue } from "../../../support/exposition.ts";
import { expectedSamples, type Labels, liveRuns } from "../../../support/model.ts";
import { distinctEventsArb } from "../../../support/runs.ts";

const LABELS: Labels[] = ["test", "namespace", "cluster"];

function labelsOf(r: { test: string; namespace?: string; cluster?: string | null }, mode: Labels): string {
  const test = `test="${labelValue(r.test)}"`;
  if (mode === "test") return test;
  const ns = `${test},test_namespace="${labelValue(r.namespace ?? "")}"`;
  return mode === "namespace" ? ns : `${ns},test_cluster="${labelValue(r.cluster ?? "")}"`;
}

/** The samples a row stands for, as /metrics names them. */
function samplesOf(rows: TestRow[], mode: Labels): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) {
    const l = labelsOf(r, mode);
    for (const result of ["pass", "fail", "partial"] as const) {
      out.set(`kymaros_tests_total{${l},result="${result}"}`, r.runs[result]);
    }
    out.set(`kymaros_score{${l}}`, r.score);
    if (r.rtoSeconds !== null) out.set(`kymaros_rto_seconds{${l}}`, r.rtoSeconds);
    if (r.backupAgeSeconds !== null) out.set(`kymaros_backup_age_seconds{${l}}`, r.backupAgeSeconds);
  }
  return out;
}

const SHOWN = /^kymaros_(tests_total|score|rto_seconds|backup_age_seconds)\{/;

/** The model's latest run of each series: completedAt, then runId, namespace, cluster. */
function latestBySeries(runs: RunCompleted[], mode: Labels): Map<string, RunCompleted[]> {
  const key = (r: RunCompleted) => [r.completedAt, r.runId, r.namespace, r.cluster ?? ""] as const;
  const cmp = (a: RunCompleted, b: RunCompleted) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as never) < (y[i] as never) ? -1 : 1;
    return 0;
  };
  const out = new Map<string, RunCompleted[]>();
  for (const r of runs) out.set(labelsOf(r, mode), [...(out.get(labelsOf(r, mode)) ?? []), r]);
  for (const [k, list] of out) out.set(k, list.sort(cmp));
  return out;
}

test("every row equals its series on /metrics, and carries the latest run's result, time and target", () => {
  fc.assert(
    fc.property(distinctEventsArb, fc.constantFrom(...LABELS), ([runs, retirements], mode) => {
      const state = createState();
      const view = createDomainView(state, mode);
      for (const e of [...runs, ...retirements] as (RunCompleted | TestRetired)[]) {
        if ("runId" in e) apply(state, factsOf(e));
        else retire(state, retirementFactsOf(e));
      }
      const rows = JSON.parse(view.rows().toString()) as TestRow[];
      const expected = new Map([...expectedSamples(runs, retirements, mode)].filter(([k]) => SHOWN.test(k)));
      assert.deepEqual(samplesOf(rows, mode), expected);

      const series = latestBySeries(liveRuns(runs, retirements), mode);
      assert.equal(rows.length, series.size);
      for (const row of rows) {
        const sorted = series.get(labelsOf(row, mode)) as RunCompleted[];
        const last = sorted.at(-1) as RunCompleted;
        assert.equal(row.result, last.result);
        assert.equal(row.completedAt, new Date(last.completedAt).toISOString());
        const withRto = sorted.filter((r) => r.rtoSeconds !== null).at(-1);
        assert.equal(row.rtoTargetSeconds, withRto ? withRto.rtoTargetSeconds : null);
        assert.equal("namespace" in row, mode !== "test");
        assert.equal("cluster" in row, mode === "cluster");
      }
    }),
    { numRuns: 300 },
  );
});
