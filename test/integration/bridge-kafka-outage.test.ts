/**
 * kymaros-bridge through a Kafka outage, all parts real: the API server, the service and the
 * bridge on a broker of this test's own, stopped while reports are created and a RestoreTest is
 * deleted. Meanwhile the bridge answers 503 on /readyz and keeps the events; once the broker is
 * back, every run and the retirement are on the service's /metrics, exactly (the model's samples
 * for the values written).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Kafka, logLevel } from "kafkajs";
import { stringify } from "yaml";
import type { RunCompleted, TestRetired } from "../../services/contract/index.ts";
import { bridgeMetric as metricOf, startBridgeProcess, waitForExactMetrics } from "../support/bridge.ts";
import { createTopic, uniqueTopic } from "../support/kafka.ts";
import { installCrds, type LocalKube, startKube } from "../support/kube.ts";
import { type OwnKafka, ownKafka } from "../support/own-kafka.ts";
import { finishRuns, restoreTestOf } from "../support/restore-reports.ts";
import { type RunningService, startService, waitFor, waitReady } from "../support/service.ts";

const BASE = Date.UTC(2026, 10, 25, 1, 0, 0);

function runOf(i: number): RunCompleted {
  const test = i % 2 === 0 ? "orders-nightly" : "stock-hourly";
  const startedAt = BASE + i * 600_000;
  return {
    runId: `${test}-${i}`,
    test,
    namespace: "shop",
    result: (["pass", "fail", "partial"] as const)[i % 3] as RunCompleted["result"],
    score: (i * 29) % 101,
    startedAt,
    completedAt: startedAt + 45_000 + i * 1000,
    rtoSeconds: 30 + i,
    backupName: `velero-${i}`,
    backupCreatedAt: startedAt - 3_600_000,
    rtoTargetSeconds: 600,
    cluster: null,
  };
}

describe("kymaros-bridge through a Kafka outage", { timeout: 5 * 60_000 }, () => {
  let kube: LocalKube;
  let kafka: OwnKafka;
  let service: RunningService;
  let bridge: Awaited<ReturnType<typeof startBridgeProcess>>;
  const published: RunCompleted[] = [];
  const retired: TestRetired[] = [];

  const bridgeMetric = (name: string, labels = "") => metricOf(bridge, name, labels);

  const metricsMatch = (what: string) => waitForExactMetrics(what, service, bridge, published, retired);

  before(async () => {
    kube = await startKube();
    kafka = await ownKafka();
    await installCrds(kube);
    await kube.kubectlOk(["create", "namespace", "shop"]);
    await kube.kubectlOk(["apply", "-f", "-"], stringify(restoreTestOf("stock-hourly", "shop")));
    await kafka.up();
    const topic = uniqueTopic("bridge-outage");
    await createTopic(new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }), topic, 3);
    service = await startService({ topic, groupId: `${topic}.g`, brokers: kafka.brokers });
    await waitReady(service, 60_000);
    bridge = await startBridgeProcess({
      kubeconfig: kube.kubeconfig,
      topic,
      env: { KYMAROS_KAFKA_BROKERS: kafka.brokers.join(",") },
    });
    await waitReady(bridge, 60_000);
  });

  after(async () => {
    await bridge?.stop();
    await service?.stop();
    await kafka?.clean();
    kube?.down();
  });

  it("is not ready while Kafka is down, keeps what happened meanwhile, and publishes it all after", async () => {
    const first = [0, 1, 2].map(runOf);
    await finishRuns(kube, first);
    published.push(...first);
    await metricsMatch("the runs before the outage");

    await kafka.down();
    await waitFor("/readyz to answer 503", async () =>
      (await fetch(`${bridge.url}/readyz`)).status === 503 ? true : undefined,
    );
    const during = [3, 4, 5, 6].map(runOf);
    await finishRuns(kube, during);
    published.push(...during);
    await kube.kubectlOk(["delete", "restoretest.restore.kymaros.io", "stock-hourly", "-n", "shop"]);
    retired.push({
      test: "stock-hourly",
      namespace: "shop",
      cluster: null,
      retiredAt: Date.now(),
      reason: null,
    });
    await waitFor("the four runs and the retirement waiting", async () =>
      (await bridgeMetric("kymaros_bridge_publish_queue")) === 5 ? true : undefined,
    );
    // With events waiting the loop publishes instead of probing: after the one probe that may be
    // in flight, a Kafka error is a failed publish, which must keep every event.
    const failedBefore = await bridgeMetric("kymaros_bridge_errors_total", 'kind="kafka"');
    await waitFor(
      "a publish to fail",
      async () =>
        (await bridgeMetric("kymaros_bridge_errors_total", 'kind="kafka"')) > failedBefore + 1
          ? true
          : undefined,
      60_000,
    );
    assert.equal(await bridgeMetric("kymaros_bridge_publish_queue"), 5);
    assert.equal((await fetch(`${bridge.url}/readyz`)).status, 503);
    assert.equal(await bridgeMetric("kymaros_bridge_runs_published_total"), 3);

    await kafka.up();
    await waitReady(bridge, 60_000);
    await metricsMatch("every run and the retirement after the outage");
    assert.equal(await bridgeMetric("kymaros_bridge_runs_published_total"), 7);
    assert.equal(await bridgeMetric("kymaros_bridge_retirements_total"), 1);
    assert.equal(await bridgeMetric("kymaros_bridge_publish_queue"), 0);
  });
});
