/**
 * kymaros-bridge finds each run's backup age in Velero, all parts real: a kube-apiserver with
 * the test CRDs and Velero's own Restore and Backup CRDs (tools/kube/velero-crds.sh), the Kafka
 * broker, the service, and the bridge with its ServiceAccount's token and the RBAC of k8s/
 * (bridge-rbac.yaml and bridge-velero-rbac.yaml). Reports name a Velero Restore, as Kymaros's
 * do; the Restore names its Backup, written with its status as Velero writes it (Velero's CRDs
 * have no status subresource). The service's kymaros_backup_age_seconds must be exactly
 * startedAt minus the Backup's completionTimestamp (else startTimestamp); with the objects gone,
 * no age, and the bridge counts it; while Velero cannot be read, the run waits.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { RunCompleted } from "../../services/contract/index.ts";
import { bridgeMetric as metricOf, startBridgeProcess, waitForExactMetrics } from "../support/bridge.ts";
import { domainSamples } from "../support/exposition.ts";
import { createTopic, testKafka, uniqueTopic } from "../support/kafka.ts";
import { installCrds, installVeleroCrds, type LocalKube, startKube } from "../support/kube.ts";
import { k8sDir } from "../support/kustomize.ts";
import { numericSamples } from "../support/model.ts";
import { docs, reportOf } from "../support/restore-reports.ts";
import { type RunningService, scrape, startService, waitFor, waitReady } from "../support/service.ts";

const BASE = Date.UTC(2026, 10, 20, 3, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

/** A run of `test` whose report names the Velero Restore `restore` (no backup time of its own). */
function runOf(test: string, i: number, restore: string): RunCompleted {
  const startedAt = BASE + i * 3_600_000;
  return {
    runId: `${test}-${i}`,
    test,
    namespace: "shop",
    result: "pass",
    score: 90 + i,
    startedAt,
    completedAt: startedAt + 95_000,
    rtoSeconds: 60,
    backupName: restore,
    backupCreatedAt: null,
    rtoTargetSeconds: 900,
    cluster: null,
  };
}

/** The report as Kymaros writes it: status.backup holds the Restore's name and an empty age. */
function kymarosReport(run: RunCompleted, withStatus: boolean): Record<string, unknown> {
  const report = reportOf({ ...run, backupName: null }, withStatus);
  if (withStatus) (report.status as Record<string, unknown>).backup = { name: run.backupName, age: "" };
  return report;
}

function backup(name: string, status: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: "velero.io/v1",
    kind: "Backup",
    metadata: { name, namespace: "velero" },
    spec: { includedNamespaces: ["shop"] },
    status: { phase: "Completed", ...status },
  };
}

function restore(name: string, backupName: string): Record<string, unknown> {
  return {
    apiVersion: "velero.io/v1",
    kind: "Restore",
    metadata: { name, namespace: "velero" },
    spec: { backupName },
    status: { phase: "Completed" },
  };
}

describe("kymaros-bridge: backup age from Velero", { timeout: 10 * 60_000 }, () => {
  let kube: LocalKube;
  let service: RunningService;
  let bridge: Awaited<ReturnType<typeof startBridgeProcess>>;
  let topic: string;
  let asBridge: string;
  const published: RunCompleted[] = [];
  const bridgeMetric = (name: string, labels = "") => metricOf(bridge, name, labels);
  const lookups = (result: string) =>
    bridgeMetric("kymaros_bridge_backup_lookups_total", `result="${result}"`);

  async function finish(run: RunCompleted): Promise<void> {
    await kube.kubectlOk(["create", "-f", "-"], docs([kymarosReport(run, false)]));
    await kube.kubectlOk(["replace", "--subresource=status", "-f", "-"], docs([kymarosReport(run, true)]));
  }

  const backupAge = async (test: string): Promise<number | undefined> => {
    const samples = numericSamples(domainSamples(await scrape(service)));
    const key = [...samples.keys()].find(
      (k) => k.startsWith("kymaros_backup_age_seconds{") && k.includes(`test="${test}"`),
    );
    return key === undefined ? undefined : samples.get(key);
  };

  before(async () => {
    kube = await startKube();
    await installCrds(kube);
    await installVeleroCrds(kube);
    for (const ns of ["kymaros-system", "shop", "velero"]) await kube.kubectlOk(["create", "namespace", ns]);
    for (const file of ["bridge-rbac.yaml", "bridge-velero-rbac.yaml"]) {
      await kube.kubectlOk(["apply", "-f", "-"], readFileSync(`${k8sDir}/base/${file}`, "utf8"));
    }
    const token = (
      await kube.kubectlOk(["create", "token", "kymaros-bridge", "-n", "kymaros-system", "--duration=1h"])
    ).trim();
    topic = uniqueTopic("bridge-velero");
    await createTopic(testKafka(), topic, 1);
    service = await startService({ topic, groupId: `${topic}.g` });
    await waitReady(service, 60_000);
    asBridge = kube.kubeconfigFor(token, "bridge");
    bridge = await startBridgeProcess({ kubeconfig: asBridge, topic });
    await waitReady(bridge, 60_000);
  });

  after(async () => {
    await bridge?.stop();
    await service?.stop();
    kube?.down();
  });

  it("found: the age is startedAt minus the Backup's completionTimestamp, exactly, and the Backup's name", async () => {
    const completed = BASE - 7_200_000 + 417_250;
    await kube.kubectlOk(
      ["create", "-f", "-"],
      docs([
        backup("daily-20261120010000", {
          startTimestamp: iso(BASE - 7_200_000),
          completionTimestamp: iso(completed),
        }),
        restore("rp-daily-20261120010000-x7k2qa", "daily-20261120010000"),
      ]),
    );
    const run = runOf("nightly", 0, "rp-daily-20261120010000-x7k2qa");
    await finish(run);
    published.push({ ...run, backupName: "daily-20261120010000", backupCreatedAt: completed });
    await waitForExactMetrics("the run with its backup age", service, bridge, published, []);
    assert.equal(await backupAge("nightly"), (run.startedAt - completed) / 1000);
    assert.equal(await lookups("found"), 1);
  });

  it("a Backup with only a startTimestamp: that is its time", async () => {
    const started = BASE - 1_800_000;
    await kube.kubectlOk(
      ["create", "-f", "-"],
      docs([
        backup("hourly-20261120023000", { phase: "InProgress", startTimestamp: iso(started) }),
        restore("rp-hourly-20261120023000-q9w8e7", "hourly-20261120023000"),
      ]),
    );
    const run = runOf("hourly", 1, "rp-hourly-20261120023000-q9w8e7");
    await finish(run);
    published.push({ ...run, backupName: "hourly-20261120023000", backupCreatedAt: started });
    await waitForExactMetrics("the run aged from the backup's start", service, bridge, published, []);
    assert.equal(await backupAge("hourly"), (run.startedAt - started) / 1000);
  });

  it("gone: Restore and Backup deleted (Velero's garbage collection), no age is published and it is counted", async () => {
    await kube.kubectlOk(
      ["create", "-f", "-"],
      docs([
        backup("weekly-20261115010000", { completionTimestamp: iso(BASE - 86_400_000) }),
        restore("rp-weekly-20261115010000-a1b2c3", "weekly-20261115010000"),
      ]),
    );
    await kube.kubectlOk([
      "delete",
      "restore.velero.io/rp-weekly-20261115010000-a1b2c3",
      "backup.velero.io/weekly-20261115010000",
      "-n",
      "velero",
    ]);
    const before = await lookups("gone");
    const run = runOf("weekly", 2, "rp-weekly-20261115010000-a1b2c3");
    await finish(run);
    // Published without an age, under the report's (the Restore's) name.
    published.push(run);
    await waitForExactMetrics("the run without a backup age", service, bridge, published, []);
    assert.equal(await backupAge("weekly"), undefined);
    assert.equal(await lookups("gone"), before + 1);
  });

  it("while Velero cannot be read (403), the run waits; it is published with its age once it can", async () => {
    await kube.kubectlOk(["delete", "rolebinding", "kymaros-bridge-velero", "-n", "velero"]);
    const completed = BASE - 3_600_000;
    await kube.kubectlOk(
      ["create", "-f", "-"],
      docs([
        backup("daily-20261120020000", { completionTimestamp: iso(completed) }),
        restore("rp-daily-20261120020000-z0z0z0", "daily-20261120020000"),
      ]),
    );
    const publishedBefore = await bridgeMetric("kymaros_bridge_runs_published_total");
    const errorsBefore = await lookups("error");
    const run = runOf("daily", 3, "rp-daily-20261120020000-z0z0z0");
    await finish(run);
    await waitFor("failed lookups", async () =>
      (await lookups("error")) >= errorsBefore + 2 ? true : undefined,
    );
    assert.equal(await bridgeMetric("kymaros_bridge_runs_published_total"), publishedBefore);
    assert.equal(await backupAge("daily"), undefined);
    await kube.kubectlOk(
      ["apply", "-f", "-"],
      readFileSync(`${k8sDir}/base/bridge-velero-rbac.yaml`, "utf8"),
    );
    published.push({ ...run, backupName: "daily-20261120020000", backupCreatedAt: completed });
    await waitForExactMetrics("the waiting run, with its age", service, bridge, published, []);
    assert.equal(await backupAge("daily"), (run.startedAt - completed) / 1000);
  });

  it("a restart looks every report up again: the same ages, nothing new on the service", async () => {
    await bridge.stop();
    bridge = await startBridgeProcess({ kubeconfig: asBridge, topic });
    await waitReady(bridge, 60_000);
    await waitFor("every report republished", async () =>
      (await bridgeMetric("kymaros_bridge_runs_published_total")) === published.length ? true : undefined,
    );
    assert.deepEqual([await lookups("found"), await lookups("gone")], [3, 1]);
    await waitForExactMetrics("the same metrics after the restart", service, bridge, published, []);
  });
});
