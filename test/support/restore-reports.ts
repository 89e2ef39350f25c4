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

export function restoreTestOf(name: string, namespace: string): Record<string, unknown> {
  return {
    apiVersion: "restore.kymaros.io/v1alpha1",
    kind: "RestoreTest",
    metadata: { name, namespace },
    spec: {},
  };
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
