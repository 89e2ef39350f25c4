/**
 * kymaros-bridge end to end, all parts real: a kube-apiserver (tools/kube) with the test CRDs,
 * the Kafka broker, the service and the bridge running with its ServiceAccount's token (the
 * RBAC of k8s/). RestoreReports are created with kubectl, as Kymaros would: the report first,
 * its status when the run ends. The service's /metrics must then equal the model's samples for
 * the runs the reports stand for, worked out here from the values written, through a bridge
 * killed mid-stream and an API server stopped for a while.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import type { RunCompleted, TestRetired } from "../../services/contract/index.ts";
import { bridgeMetric as metricOf, startBridgeProcess, waitForExactMetrics } from "../support/bridge.ts";
import { domainSamples } from "../support/exposition.ts";
import { createTopic, testKafka, uniqueTopic } from "../support/kafka.ts";
import { installCrds, type LocalKube, startKube } from "../support/kube.ts";
import { k8sDir } from "../support/kustomize.ts";
import { numericSamples } from "../support/model.ts";
import { finishRuns as createReports, docs, reportOf, restoreTestOf } from "../support/restore-reports.ts";
import { type RunningService, scrape, startService, waitFor, waitReady } from "../support/service.ts";

const BASE = Date.UTC(2026, 10, 20, 3, 0, 0);

/** Run i of the scenario: a few tests in two namespaces, every result, with and without RTO and backup. */
function runOf(i: number): RunCompleted {
  const test = ["checkout-nightly", "cart-weekly", "invoices-hourly"][i % 3] as string;
  const startedAt = BASE + i * 3_600_000;
  const hasBackup = i % 4 !== 0;
  return {
    runId: `${test}-${i}`,
    test,
    namespace: i % 3 === 2 ? "billing" : "shop",
    result: (["pass", "fail", "partial", "pass"] as const)[i % 4] as RunCompleted["result"],
    score: (i * 37) % 101,
    startedAt,
    completedAt: startedAt + 30_000 + ((i * 7919) % 4_000) * 1000,
    rtoSeconds: i % 5 === 0 ? null : 60 + (i % 7) * 15,
    backupName: hasBackup ? `velero-${i}` : null,
    backupCreatedAt: hasBackup ? startedAt - 7_200_000 : null,
    rtoTargetSeconds: i % 5 === 0 ? null : 900,
    cluster: null,
  };
}

/** One call to etcd's JSON gateway (keys and values base64). */
async function etcd(
  url: string,
  path: string,
  body: Record<string, unknown>,
): Promise<{ header: { revision: string } }> {
  const res = await fetch(`${url}/v3/${path}`, { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { header: { revision: string } };
}
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

describe("kymaros-bridge against a real API server, Kafka and the service", { timeout: 10 * 60_000 }, () => {
  let kube: LocalKube;
  let service: RunningService;
  let bridge: Awaited<ReturnType<typeof startBridgeProcess>>;
  let asBridge: string;
  let topic: string;
  const published: RunCompleted[] = [];
  const retired: TestRetired[] = [];

  async function finishRuns(runs: RunCompleted[]): Promise<void> {
    await createReports(kube, runs);
    published.push(...runs);
  }

  const metricsMatch = (what: string) => waitForExactMetrics(what, service, bridge, published, retired);

  const bridgeMetric = (name: string, labels = "") => metricOf(bridge, name, labels);

  before(async () => {
    kube = await startKube();
    await installCrds(kube);
    for (const ns of ["kymaros-system", "shop", "billing"]) await kube.kubectlOk(["create", "namespace", ns]);
    await kube.kubectlOk(["apply", "-f", "-"], readFileSync(`${k8sDir}/base/bridge-rbac.yaml`, "utf8"));
    const token = (
      await kube.kubectlOk(["create", "token", "kymaros-bridge", "-n", "kymaros-system", "--duration=1h"])
    ).trim();
    asBridge = kube.kubeconfigFor(token, "bridge");
    // A RestoreTest that exists before the bridge starts, deleted in a test below.
    await kube.kubectlOk(["apply", "-f", "-"], stringify(restoreTestOf("cart-weekly", "shop")));
    topic = uniqueTopic("bridge");
    await createTopic(testKafka(), topic, 3);
    service = await startService({ topic, groupId: `${topic}.g` });
    await waitReady(service, 60_000);
    bridge = await startBridgeProcess({ kubeconfig: asBridge, topic });
    await waitReady(bridge, 60_000);
  });

  after(async () => {
    await bridge?.stop();
    await service?.stop();
    kube?.down();
  });

  it("reports created with kubectl show up exactly on the service's /metrics; a pending one does not", async () => {
    await finishRuns([0, 1, 2, 3, 4, 5].map(runOf));
    // A run still going: a report without status.
    await kube.kubectlOk(["create", "-f", "-"], docs([reportOf(runOf(999), false)]));
    await metricsMatch("the first six runs on /metrics");
    assert.equal(await bridgeMetric("kymaros_bridge_runs_published_total"), 6);
    assert.equal(await bridgeMetric("kymaros_bridge_reports_seen_total", 'state="pending"'), 7);
    assert.equal(await bridgeMetric("kymaros_bridge_reports_seen_total", 'state="final"'), 6);
    assert.ok((await bridgeMetric("kymaros_bridge_newest_report_age_seconds")) > 0);
  });

  it("a deleted RestoreTest's series go from the service's /metrics; re-created, its next run brings them back", async () => {
    const restoreTest = stringify(restoreTestOf("cart-weekly", "shop"));
    const cartSeries = async () =>
      [...numericSamples(domainSamples(await scrape(service))).keys()].filter((k) =>
        k.includes('test="cart-weekly"'),
      );
    assert.ok((await cartSeries()).length > 0, "cart-weekly has no series before its deletion");
    await kube.kubectlOk(["delete", "restoretest.restore.kymaros.io", "cart-weekly", "-n", "shop"]);
    await waitFor("the TestRetired acknowledged", async () =>
      (await bridgeMetric("kymaros_bridge_retirements_total")) === 1 ? true : undefined,
    );
    // The bridge retired it when it saw the deletion (no deletionTimestamp without a finalizer):
    // at the latest now, after every run of the old test. Any time in between gives these samples.
    const retiredBy = Math.ceil(Date.now() / 1000) * 1000;
    retired.push({
      test: "cart-weekly",
      namespace: "shop",
      cluster: null,
      retiredAt: retiredBy,
      reason: null,
    });
    assert.equal(await bridgeMetric("kymaros_bridge_test_deletions_total"), 1);
    await metricsMatch("cart-weekly retired on /metrics");
    assert.deepEqual(await cartSeries(), []);

    await kube.kubectlOk(["apply", "-f", "-"], restoreTest);
    const again: RunCompleted = {
      ...runOf(1),
      runId: "cart-weekly-again",
      startedAt: retiredBy + 30_000,
      completedAt: retiredBy + 60_000,
    };
    await finishRuns([again]);
    await metricsMatch("the re-created test's run on /metrics");
    assert.ok((await cartSeries()).length > 0, "cart-weekly did not come back");
    assert.equal(await bridgeMetric("kymaros_bridge_retirements_total"), 1);
  });

  it("killed mid-stream and restarted, the bridge loses no run", async () => {
    await finishRuns([6, 7, 8, 9].map(runOf));
    await bridge.stop("SIGKILL");
    await finishRuns([10, 11, 12, 13, 14].map(runOf));
    bridge = await startBridgeProcess({ kubeconfig: asBridge, topic, port: bridge.port });
    await waitReady(bridge, 60_000);
    await finishRuns([15, 16, 17].map(runOf));
    await metricsMatch("every run after the kill and restart");
    // The bound of republication: the new process publishes each final report it lists once.
    assert.equal(await bridgeMetric("kymaros_bridge_runs_published_total"), published.length);
  });

  it("with the API server stopped for a while, the bridge is not ready, then catches up", async () => {
    await finishRuns([18, 19, 20].map(runOf));
    kube.stopApiServer();
    await waitFor("/readyz to answer 503", async () =>
      (await fetch(`${bridge.url}/readyz`)).status === 503 ? true : undefined,
    );
    const failures =
      (await bridgeMetric("kymaros_bridge_errors_total", 'kind="kube_watch"')) +
      (await bridgeMetric("kymaros_bridge_errors_total", 'kind="kube_list"'));
    assert.ok(failures > 0, "no API server failure counted");
    await new Promise((r) => setTimeout(r, 3000));
    kube.up();
    await finishRuns([21, 22, 23, 24].map(runOf));
    await waitReady(bridge, 60_000);
    await metricsMatch("every run after the API server came back");
  });

  it("a watch expired (410 Gone) relists: a deletion it never saw is still retired", async () => {
    const doomed: RunCompleted = { ...runOf(2), runId: "doomed-1", test: "doomed", namespace: "billing" };
    await kube.kubectlOk(["apply", "-f", "-"], stringify(restoreTestOf("doomed", "billing")));
    await finishRuns([doomed]);
    await metricsMatch("doomed's run on /metrics");
    await waitFor("the bridge to know doomed", async () =>
      (await bridgeMetric("kymaros_bridge_tests_watched")) === 2 ? true : undefined,
    );
    const goneBefore = await bridgeMetric("kymaros_bridge_errors_total", 'kind="kube_gone"');
    const retiredBefore = await bridgeMetric("kymaros_bridge_retirements_total");
    // With the API server down, the test is deleted in etcd itself (no event reaches the bridge),
    // and etcd's history is compacted past every resourceVersion the bridge has: its resumed
    // watch can only get 410 Gone, and only a relist can tell that doomed is gone.
    kube.stopApiServer();
    await etcd(kube.etcdUrl, "kv/deleterange", {
      key: b64("/registry/restore.kymaros.io/restoretests/billing/doomed"),
    });
    const { header } = await etcd(kube.etcdUrl, "kv/put", {
      key: b64("/kymaros-test/filler"),
      value: b64("x"),
    });
    await etcd(kube.etcdUrl, "kv/compaction", { revision: header.revision, physical: true });
    kube.up();
    await waitFor("the bridge to get 410 Gone", async () =>
      (await bridgeMetric("kymaros_bridge_errors_total", 'kind="kube_gone"')) > goneBefore ? true : undefined,
    );
    await waitFor("doomed retired", async () =>
      (await bridgeMetric("kymaros_bridge_retirements_total")) === retiredBefore + 1 ? true : undefined,
    );
    retired.push({
      test: "doomed",
      namespace: "billing",
      cluster: null,
      retiredAt: Date.now(),
      reason: null,
    });
    await waitReady(bridge, 60_000);
    await metricsMatch("doomed retired after the relist");
  });
});
