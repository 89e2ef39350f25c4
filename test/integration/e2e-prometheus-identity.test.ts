/**
 * End to end with a real Prometheus: same-named tests kept apart (KYMAROS_TEST_IDENTITY=namespace)
 * under the target labels the Prometheus Operator gives a ServiceMonitor's target, and a retired
 * test whose series and alerts end.
 *
 * The Operator sets `namespace` (the Service's namespace, kymaros-system) on every series it
 * scrapes, with honor_labels off: an exposed label of that name would lose to it (renamed
 * exported_namespace). Hence test_namespace: both survive, each meaning what it says.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { RunCompleted } from "../../services/contract/index.ts";
import { createProducer, type RunProducer } from "../../services/producer/index.ts";
import { testBrokers, uniqueTopic } from "../support/kafka.ts";
import { type RunningPrometheus, startPrometheus } from "../support/prometheus.ts";
import { run } from "../support/runs.ts";
import { type RunningService, startService, waitFor, waitReady } from "../support/service.ts";

const BASE = Date.UTC(2026, 10, 1, 3, 0, 0);
const OPERATOR_LABELS = {
  namespace: "kymaros-system",
  service: "kymaros-api",
  endpoint: "http",
  pod: "kymaros-api-7d9c-x2x4z",
};

const runOf = (test: string, namespace: string, score: number, minutes = 0): RunCompleted =>
  run({
    runId: `${test}-${namespace}-${minutes}`,
    test,
    namespace,
    score,
    startedAt: BASE + minutes * 60_000,
    completedAt: BASE + minutes * 60_000 + 600_000,
  });

describe("test identity and retirement in a real Prometheus", { timeout: 90_000 }, () => {
  const topic = uniqueTopic("e2e-identity");
  let service: RunningService | undefined;
  let prometheus: RunningPrometheus | undefined;
  let producer: RunProducer | undefined;

  after(async () => {
    await producer?.close();
    await prometheus?.stop();
    await service?.stop();
  });

  const failing = async (p: RunningPrometheus) =>
    (await p.alerts())
      .filter((a) => a.labels.alertname === "KymarosTestFailed" && a.state === "firing")
      .map((a) => `${a.labels.test}/${a.labels.test_namespace}/${a.labels.namespace}`)
      .sort();

  test("test_namespace keeps nightly of shop and of billing apart beside the Operator's namespace", async () => {
    service = await startService({
      topic,
      groupId: `${topic}.group`,
      env: { KYMAROS_TEST_IDENTITY: "namespace" },
    });
    await waitReady(service);
    producer = createProducer({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic });
    await producer.publishMany([
      runOf("nightly", "shop", 40),
      runOf("nightly", "billing", 95),
      runOf("gone", "shop", 30),
    ]);
    prometheus = await startPrometheus({
      target: new URL(service.url).host,
      interval: "1s",
      targetLabels: OPERATOR_LABELS,
    });
    const p = prometheus;
    const scores = await waitFor("three score series in Prometheus", async () => {
      const s = await p.query("kymaros_score");
      return s.length === 3 ? s : undefined;
    });
    const byIdentity = new Map(scores.map((s) => [`${s.metric.test}/${s.metric.test_namespace}`, s]));
    assert.equal(byIdentity.get("nightly/shop")?.value, "40");
    assert.equal(byIdentity.get("nightly/billing")?.value, "95");
    for (const s of scores) {
      assert.equal(s.metric.namespace, "kymaros-system", "the Operator's target label, untouched");
      assert.equal(s.metric.exported_namespace, undefined, "no exposed label collided with it");
    }
    // The reference's alert, per namespace's test.
    assert.deepEqual(
      await waitFor("KymarosTestFailed for the two failing tests", async () => {
        const f = await failing(p);
        return f.length === 2 ? f : undefined;
      }),
      ["gone/shop/kymaros-system", "nightly/shop/kymaros-system"],
    );
  });

  test("a retired test's series end in Prometheus and its alert resolves; the others stay", async () => {
    const p = prometheus as RunningPrometheus;
    await (producer as RunProducer).retire({
      test: "gone",
      namespace: "shop",
      retiredAt: BASE + 3_600_000,
      reason: "deleted",
    });
    await waitFor("gone's series to end", async () =>
      (await p.query('kymaros_score{test="gone"}')).length === 0 ? true : undefined,
    );
    assert.deepEqual(
      await waitFor("only nightly/shop still failing", async () => {
        const f = await failing(p);
        return f.length === 1 ? f : undefined;
      }),
      ["nightly/shop/kymaros-system"],
    );
    assert.equal((await p.query("kymaros_score")).length, 2);
    assert.equal((await p.query('kymaros_tests_total{test="gone"}')).length, 0);
  });
});
