import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { RunCompleted } from "../../../services/contract/index.ts";
import { convertReports, reportItems, reportToRun } from "../../../services/kymaros/restore-report.ts";
import { InputError } from "../../../services/producer/errors.ts";

const fixture: unknown = JSON.parse(
  readFileSync(new URL("../../fixtures/restorereports.json", import.meta.url), "utf8"),
);

/** The fixture's items with the fields the tests read. */
function fixtureItems(): Array<{ metadata: { name: string }; status?: Record<string, unknown> }> {
  return (fixture as { items: Array<{ metadata: { name: string }; status?: Record<string, unknown> }> })
    .items;
}

/** The events the fixture's convertible reports stand for, worked out by hand. */
const EXPECTED_RUNS: RunCompleted[] = [
  {
    runId: "checkout-nightly-20261124-030000",
    test: "checkout-nightly",
    namespace: "shop",
    result: "pass",
    score: 97,
    startedAt: 1795489200000, // 2026-11-24T03:00:00Z
    completedAt: 1795490050000, // +14m10s
    rtoSeconds: 695, // 11m35s
    backupName: "velero-daily-20261124",
    backupCreatedAt: 1795482000000, // 2026-11-24T01:00:00Z
    rtoTargetSeconds: 900, // 15m
    cluster: null,
  },
  {
    runId: "checkout-nightly-20261125-030000",
    test: "checkout-nightly", // testRef given as {name, namespace}
    namespace: "shop",
    result: "fail", // "Fail"
    score: 40,
    startedAt: 1795575600000, // 2026-11-25T03:00:00Z
    completedAt: 1795579530000, // 04:05:30Z
    rtoSeconds: 3723.5, // 1h2m3.5s
    backupName: "velero-daily-20261125",
    backupCreatedAt: 1795564800000, // creationTimestamp 01:00:00+01:00 = 00:00:00Z
    rtoTargetSeconds: 3600, // 1h
    cluster: null,
  },
  {
    runId: "cart-weekly-20261123-040000",
    test: "cart-weekly",
    namespace: "shop",
    result: "partial", // "PARTIAL"
    score: 70,
    startedAt: 1795406400250, // 2026-11-23T04:00:00.250Z
    completedAt: 1795407600750, // 04:20:00.75Z
    rtoSeconds: 0.25, // 250ms
    backupName: null,
    backupCreatedAt: null,
    rtoTargetSeconds: null, // no target
    cluster: null,
  },
  {
    runId: "invoices-hourly-20261126-070000",
    test: "invoices-hourly",
    namespace: "billing",
    result: "pass",
    score: 88,
    startedAt: 1795676400000, // 02:00:00-05:00 = 07:00:00Z
    completedAt: 1795676699999, // 02:04:59.999-05:00
    rtoSeconds: null, // no status.rto
    backupName: "velero-hourly-20261126-0600",
    backupCreatedAt: null,
    rtoTargetSeconds: null,
    cluster: null,
  },
  {
    runId: "ledger-daily-20261126-020000",
    test: "ledger-daily",
    namespace: "billing",
    result: "fail",
    score: 0,
    startedAt: 1795658400000, // 2026-11-26T02:00:00Z
    completedAt: 1795658442000, // +42s
    rtoSeconds: 0, // 0s
    backupName: "velero-daily-20261126",
    backupCreatedAt: 1795653000000, // 00:30:00Z
    rtoTargetSeconds: 1800, // 30m
    cluster: null,
  },
  {
    runId: "etcd-snapshot-20261126-000000",
    test: "etcd-snapshot",
    namespace: "platform",
    result: "pass",
    score: 95,
    startedAt: 1795651200000, // 2026-11-26T00:00:00Z
    completedAt: 1795651380000, // +3m
    rtoSeconds: 120.123, // 2m0.123456789s, to the millisecond
    backupName: "etcd-20261125-2300",
    backupCreatedAt: 1795647600000, // 2026-11-25T23:00:00Z
    rtoTargetSeconds: 300, // 5m
    cluster: null,
  },
  {
    runId: "etcd-snapshot-20261124-000000",
    test: "etcd-snapshot",
    namespace: "platform",
    result: "pass", // "Pass"
    score: 99,
    startedAt: 1795478400000, // 2026-11-24T00:00:00Z
    completedAt: 1795478550000, // +2m30s
    rtoSeconds: 90, // 1m30s
    backupName: "etcd-20261123-2300",
    backupCreatedAt: 1795474800000, // 2026-11-23T23:00:00Z
    rtoTargetSeconds: 300,
    cluster: null,
  },
];

/** The reports that cannot become events, with the field at fault. */
const EXPECTED_SKIPPED = [
  { ref: "shop/cart-weekly-20261126-040000", field: "status" },
  { ref: "billing/invoices-hourly-20261126-100000", field: "status.completedAt" },
  { ref: "billing/invoices-hourly-20261126-090000", field: "status.rto.measured" },
  { ref: "billing/invoices-hourly-20261126-080000", field: "status.score" },
  { ref: "platform/etcd-snapshot-20261125-000000", field: "status.result" },
  { ref: "platform/vault-restore-20261126-010000", field: "status.completedAt" },
  { ref: "platform/vault-restore-20261125-010000", field: "spec.testRef" },
];

describe("RestoreReports to RunCompleted", () => {
  test("the hand-written timestamps are right", () => {
    assert.equal(EXPECTED_RUNS[0]?.startedAt, Date.parse("2026-11-24T03:00:00Z"));
    assert.equal(EXPECTED_RUNS[2]?.completedAt, Date.parse("2026-11-23T04:20:00.750Z"));
    assert.equal(EXPECTED_RUNS[3]?.startedAt, Date.parse("2026-11-26T07:00:00Z"));
  });

  test("the fixture converts to the expected events, in input order", () => {
    const { converted } = convertReports(fixture);
    assert.deepEqual(
      converted.map((c) => c.run),
      EXPECTED_RUNS,
    );
    assert.deepEqual(
      converted.map((c) => c.ref),
      EXPECTED_RUNS.map((r) => `${r.namespace}/${r.runId}`),
    );
  });

  test("the reports it cannot convert are set aside with the field and the reason", () => {
    const { skipped } = convertReports(fixture);
    assert.deepEqual(
      skipped.map(({ ref, field }) => ({ ref, field })),
      EXPECTED_SKIPPED,
    );
    const reason = (ref: string) => skipped.find((s) => s.ref === ref)?.reason;
    assert.match(reason("shop/cart-weekly-20261126-040000") ?? "", /no status/);
    assert.match(reason("billing/invoices-hourly-20261126-100000") ?? "", /status\.completedAt is missing/);
    assert.match(reason("billing/invoices-hourly-20261126-090000") ?? "", /"5 minutes" is not a Go duration/);
    assert.match(
      reason("billing/invoices-hourly-20261126-080000") ?? "",
      /status\.score=120 is outside 0\.\.100/,
    );
    assert.match(
      reason("platform/etcd-snapshot-20261125-000000") ?? "",
      /"error" is not one of pass, fail, partial/,
    );
    // The report's own fields and values, as written in it (the fixture's status).
    const vault = fixtureItems().find((i) => i.metadata.name === "vault-restore-20261126-010000");
    assert.equal(
      reason("platform/vault-restore-20261126-010000"),
      `status.completedAt ${String(vault?.status?.completedAt)} is before status.startedAt ${String(vault?.status?.startedAt)}`,
    );
    assert.match(reason("platform/vault-restore-20261125-010000") ?? "", /spec\.testRef is missing/);
  });

  test("every report is either converted or skipped", () => {
    const { converted, skipped } = convertReports(fixture);
    assert.equal(converted.length + skipped.length, reportItems(fixture).length);
    assert.equal(reportItems(fixture).length, 14);
  });

  test("--cluster is carried into every event", () => {
    const { converted } = convertReports(fixture, { cluster: "prod-eu-1" });
    assert.ok(converted.every((c) => c.run.cluster === "prod-eu-1"));
  });

  const base = {
    apiVersion: "kymaros.io/v1alpha1",
    kind: "RestoreReport",
    metadata: { name: "r-1", namespace: "ns" },
    spec: { testRef: "t" },
    status: {
      result: "pass",
      score: 50,
      startedAt: "2026-11-26T03:00:00Z",
      completedAt: "2026-11-26T03:10:00Z",
    },
  };
  const withStatus = (status: Record<string, unknown>) => ({
    ...base,
    status: { ...base.status, ...status },
  });
  const fieldOf = (report: unknown): string | undefined => {
    try {
      reportToRun(report);
      return undefined;
    } catch (err) {
      assert.ok(err instanceof InputError, String(err));
      return err.field;
    }
  };

  test("a single RestoreReport (kubectl get restorereport NAME -o json) is a list of one", () => {
    assert.equal(convertReports(base).converted.length, 1);
    assert.deepEqual(convertReports({ apiVersion: "v1", kind: "List", items: [] }), {
      converted: [],
      skipped: [],
    });
    assert.throws(() => reportItems({ kind: "Pod" }), InputError);
    assert.throws(() => reportItems([]), InputError);
  });

  test('rto.target "0s" (Kymaros, a test without an SLA) is no target, not a 0 s one', () => {
    const withTarget = (target: string) =>
      reportToRun({
        apiVersion: "restore.kymaros.io/v1alpha1",
        kind: "RestoreReport",
        metadata: { name: "nightly-20260426-030512", namespace: "shop" },
        spec: { testRef: "nightly" },
        status: {
          score: 80,
          result: "partial",
          startedAt: "2026-04-26T03:04:58Z",
          completedAt: "2026-04-26T03:05:12Z",
          rto: { measured: "14s", target, withinSLA: true },
          backup: { name: "rp-daily-20260425030000-x7k2qa", age: "" },
        },
      });
    assert.equal(withTarget("0s").rtoTargetSeconds, null);
    assert.equal(withTarget("0s").rtoSeconds, 14);
    assert.equal(withTarget("15m0s").rtoTargetSeconds, 900);
  });

  test("result letter case does not matter; other words are refused", () => {
    for (const result of ["pass", "Pass", "PASS", "pAsS"])
      assert.equal(reportToRun(withStatus({ result })).result, "pass");
    for (const result of ["passed", "ok", "", 1, null])
      assert.ok(fieldOf(withStatus({ result })) === "status.result");
  });

  test("each field at fault is named", () => {
    assert.equal(fieldOf({ ...base, metadata: { namespace: "ns" } }), "metadata.name");
    assert.equal(fieldOf({ ...base, metadata: { name: "r-1" } }), "metadata.namespace");
    assert.equal(fieldOf({ ...base, spec: { testRef: {} } }), "spec.testRef.name");
    assert.equal(fieldOf({ ...base, spec: { testRef: 7 } }), "spec.testRef");
    assert.equal(fieldOf(withStatus({ score: 99.5 })), "status.score");
    assert.equal(fieldOf(withStatus({ score: "99" })), "status.score");
    assert.equal(fieldOf(withStatus({ score: -1 })), "status.score");
    assert.equal(fieldOf(withStatus({ startedAt: "2026-11-26 03:00:00" })), "status.startedAt");
    assert.equal(fieldOf(withStatus({ rto: { measured: "-5m" } })), "status.rto.measured");
    assert.equal(fieldOf(withStatus({ rto: { target: "15" } })), "status.rto.target");
    assert.equal(fieldOf(withStatus({ rto: { measured: "9000h" } })), "status.rto.measured"); // over a year
    assert.equal(
      fieldOf(withStatus({ backup: { name: "b", createdAt: "yesterday" } })),
      "status.backup.createdAt",
    );
    assert.equal(fieldOf("a string"), "(item)");
    assert.equal(fieldOf(base), undefined);
  });

  test("createdAt wins over creationTimestamp; empty optional strings are absent", () => {
    const run = reportToRun(
      withStatus({
        backup: { name: "", createdAt: "2026-11-26T01:00:00Z", creationTimestamp: "2026-11-26T00:00:00Z" },
        rto: { measured: "", target: null },
      }),
    );
    assert.equal(run.backupCreatedAt, Date.parse("2026-11-26T01:00:00Z"));
    assert.equal(run.backupName, null);
    assert.equal(run.rtoSeconds, null);
    assert.equal(run.rtoTargetSeconds, null);
  });
});
