/** RestoreReports and RestoreTests as Kymaros writes them, for kubectl in the bridge tests. */
import { stringify } from "yaml";
import type { RunCompleted } from "../../services/contract/index.ts";
import type { LocalKube } from "./kube.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** The report of a run: without status while it runs, with it once it ended. */
export function reportOf(run: RunCompleted, withStatus: boolean): Record<string, unknown> {
  const report: Record<string, unknown> = {
    apiVersion: "restore.kymaros.io/v1alpha1",
    kind: "RestoreReport",
    metadata: { name: run.runId, namespace: run.namespace },
    spec: { testRef: run.test },
  };
  if (withStatus) {
    report.status = {
      result: run.result,
      score: run.score,
      startedAt: iso(run.startedAt),
      completedAt: iso(run.completedAt),
      ...(run.rtoSeconds === null
        ? {}
        : { rto: { measured: `${run.rtoSeconds}s`, target: `${run.rtoTargetSeconds}s` } }),
      ...(run.backupName === null
        ? {}
        : { backup: { name: run.backupName, createdAt: iso(run.backupCreatedAt as number) } }),
    };
  }
  return report;
}

/** Kymaros's finalizer on every RestoreTest it reconciles. */
export const KYMAROS_FINALIZER = "kymaros.io/sandbox-cleanup";

/** A RestoreTest as a user applies it (Kymaros's required spec), optionally with its finalizer. */
export function restoreTestOf(name: string, namespace: string, finalizer = false): Record<string, unknown> {
  return {
    apiVersion: "restore.kymaros.io/v1alpha1",
    kind: "RestoreTest",
    metadata: { name, namespace, ...(finalizer ? { finalizers: [KYMAROS_FINALIZER] } : {}) },
    spec: {
      backupSource: { provider: "velero", backupName: "daily", namespaces: [{ name: namespace }] },
      schedule: { cron: "0 3 * * *" },
      sandbox: { namespacePrefix: "kymaros-test", ttl: "1h0m0s", networkIsolation: "strict" },
      historyLimit: 10,
    },
  };
}

/** Go's metav1.Time: whole seconds, UTC. */
export const goTime = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/**
 * Writes a RestoreTest's status as Kymaros's failTest leaves it: Failed, lastRunAt = the
 * failure, lastResult fail, lastScore 0 (omitted by Go's omitempty), lastReportRef unchanged.
 */
export async function failRestoreTest(
  kube: LocalKube,
  name: string,
  namespace: string,
  at: number,
  lastReportRef?: string,
): Promise<void> {
  const status = {
    phase: "Failed",
    lastRunAt: goTime(at),
    lastResult: "fail",
    // Kymaros writes the whole status (an Update): a zero lastScore is omitted, so the earlier
    // score is gone. In a merge patch, null deletes.
    lastScore: null,
    ...(lastReportRef === undefined ? {} : { lastReportRef }),
  };
  await kube.kubectlOk([
    "patch",
    "restoretest.restore.kymaros.io",
    name,
    "-n",
    namespace,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status }),
  ]);
}

/** A multi-document YAML stream for kubectl -f -. */
export const docs = (objects: Record<string, unknown>[]) =>
  objects.map((o) => `---\n${stringify(o)}`).join("");

/** Creates the reports as Kymaros does: the objects, then their status once the runs end. */
export async function finishRuns(kube: LocalKube, runs: readonly RunCompleted[]): Promise<void> {
  await kube.kubectlOk(["create", "-f", "-"], docs(runs.map((r) => reportOf(r, false))));
  await kube.kubectlOk(
    ["replace", "--subresource=status", "-f", "-"],
    docs(runs.map((r) => reportOf(r, true))),
  );
}
