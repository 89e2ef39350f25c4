import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  failedRunId,
  failedRunOf,
  lastReportOf,
  reportNameOf,
} from "../../../services/kymaros/restore-test.ts";

/** A RestoreTest as Kymaros's controller leaves it; status fields as Go's omitempty writes them. */
function restoreTest(status: Record<string, unknown>, name = "nightly", namespace = "shop"): unknown {
  return {
    apiVersion: "restore.kymaros.io/v1alpha1",
    kind: "RestoreTest",
    metadata: { name, namespace, uid: "u-1", finalizers: ["kymaros.io/sandbox-cleanup"] },
    spec: { schedule: { cron: "0 3 * * *" } },
    status,
  };
}

// 2026-04-26T03:05:12Z
const PREVIOUS = Date.UTC(2026, 3, 25, 3, 5, 12);
const FAILED = Date.UTC(2026, 3, 26, 3, 5, 12);

describe("failedRunOf: a RestoreTest's outright failure (no report) to a run", () => {
  test("Failed phase, lastResult fail, lastScore omitted, lastReportRef on the previous report", () => {
    const run = failedRunOf(
      restoreTest({
        phase: "Failed",
        lastRunAt: "2026-04-26T03:05:12Z",
        lastResult: "fail",
        lastReportRef: "nightly-20260425-030512",
      }),
      { cluster: "eu-1" },
    );
    assert.deepEqual(run, {
      runId: "nightly-failed-20260426-030512",
      test: "nightly",
      namespace: "shop",
      result: "fail",
      score: 0,
      startedAt: FAILED,
      completedAt: FAILED,
      startedAtKnown: false,
      rtoSeconds: null,
      backupName: null,
      backupCreatedAt: null,
      rtoTargetSeconds: null,
      cluster: "eu-1",
    });
  });

  test("the same failure after the move to Idle, with nextRunAt, is the same run", () => {
    const failed = { lastRunAt: "2026-04-26T03:05:12Z", lastResult: "fail", lastScore: 0 };
    const a = failedRunOf(restoreTest({ phase: "Failed", ...failed }));
    const b = failedRunOf(restoreTest({ phase: "Idle", nextRunAt: "2026-04-27T03:00:00Z", ...failed }));
    assert.ok(a);
    assert.deepEqual(b, a);
    assert.equal(a.cluster, null);
  });

  test("a first run that fails (no report ever) is a failure", () => {
    const run = failedRunOf(
      restoreTest({ phase: "Failed", lastRunAt: "2026-04-26T03:05:12Z", lastResult: "fail" }),
    );
    assert.equal(run?.runId, "nightly-failed-20260426-030512");
  });

  test("a run that reached scoring (lastReportRef from the same instant) is not, even at score 0", () => {
    for (const phase of ["Completed", "Idle"]) {
      assert.equal(
        failedRunOf(
          restoreTest({
            phase,
            lastRunAt: "2026-04-26T03:05:12Z",
            lastResult: "fail",
            lastReportRef: "nightly-20260426-030512",
          }),
        ),
        null,
      );
    }
  });

  test("pass, partial, a non-zero score, no lastRunAt, no status or no name: nothing", () => {
    const at = "2026-04-26T03:05:12Z";
    for (const status of [
      { phase: "Idle", lastRunAt: at, lastResult: "pass", lastScore: 95, lastReportRef: "x" },
      { phase: "Idle", lastRunAt: at, lastResult: "partial", lastScore: 60 },
      { phase: "Idle", lastRunAt: at, lastResult: "fail", lastScore: 40 },
      { phase: "Failed", lastResult: "fail" },
      { phase: "Failed", lastRunAt: "yesterday", lastResult: "fail" },
      {},
    ]) {
      assert.equal(failedRunOf(restoreTest(status)), null, JSON.stringify(status));
    }
    assert.equal(failedRunOf({ metadata: { name: "t", namespace: "n" } }), null);
    assert.equal(failedRunOf({ metadata: { namespace: "n" }, status: { lastResult: "fail" } }), null);
    assert.equal(failedRunOf(null), null);
  });

  test("lastReportOf names the report of a scored run, and nothing for a failure", () => {
    assert.deepEqual(
      lastReportOf(
        restoreTest({
          phase: "Idle",
          lastRunAt: "2026-04-25T03:05:12Z",
          lastReportRef: "nightly-20260425-030512",
        }),
      ),
      { name: "nightly-20260425-030512", at: PREVIOUS },
    );
    assert.equal(
      lastReportOf(
        restoreTest({
          phase: "Idle",
          lastRunAt: "2026-04-26T03:05:12Z",
          lastReportRef: "nightly-20260425-030512",
        }),
      ),
      undefined,
    );
  });

  test("property: a failure is published unless lastReportRef is the report of that very instant", () => {
    const second = fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2099, 11, 31) / 1000 });
    fc.assert(
      fc.property(second, second, fc.boolean(), (runSec, refSec, phaseIdle) => {
        const lastRunAt = runSec * 1000;
        const iso = new Date(lastRunAt).toISOString().replace(".000Z", "Z");
        const ref = reportNameOf("t", refSec * 1000);
        const run = failedRunOf(
          restoreTest(
            { phase: phaseIdle ? "Idle" : "Failed", lastRunAt: iso, lastResult: "fail", lastReportRef: ref },
            "t",
          ),
        );
        if (runSec === refSec) return run === null;
        return (
          run !== null &&
          run.completedAt === lastRunAt &&
          run.startedAt === lastRunAt &&
          run.runId === failedRunId("t", lastRunAt) &&
          run.runId !== ref
        );
      }),
    );
  });

  test("reportNameOf formats like Go's 20060102-150405 in UTC", () => {
    assert.equal(reportNameOf("db", Date.UTC(2026, 0, 2, 3, 4, 5)), "db-20260102-030405");
    assert.equal(reportNameOf("db", Date.UTC(2026, 11, 31, 23, 59, 59, 999)), "db-20261231-235959");
  });
});
