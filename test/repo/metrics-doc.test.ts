/**
 * docs/metrics.md is what the other tests hold the exposition, the manifests and the dashboard
 * to; here it is held to the contract itself (names, types, labels, buckets, the alert
 * expressions), so that editing the page and the code together cannot drift from it, and its
 * reader is shown to fail loudly on a page it cannot read. The service's and the bridge's own
 * metrics are held to their registries: every kymaros_* metric they register is on the page,
 * with its type, labels and HELP text, and nothing else is.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { Registry, RegistryContentType } from "prom-client";
import { createSelfMetrics } from "../../services/api/metrics/serve/self.ts";
import { createBridgeMetrics } from "../../services/bridge/metrics.ts";
import { createLookupCounter } from "../../services/bridge/velero/index.ts";
import { METRICS_DOC, type MetricSpec, readMetricsDoc } from "../support/metrics-doc.ts";

const doc = readMetricsDoc();

/**
 * What a registry holds, as the page's rows. prom-client keeps a metric's label names on the
 * metric object but not in its typings (they come back only with values), hence the shape read
 * here; a metric without them has none.
 */
async function registered<T extends RegistryContentType>(registry: Registry<T>): Promise<MetricSpec[]> {
  const specs: MetricSpec[] = [];
  for (const { name, help, type } of await registry.getMetricsAsJSON()) {
    if (!name.startsWith("kymaros_")) continue;
    const kind = String(type);
    assert.ok(kind === "counter" || kind === "gauge" || kind === "histogram", `${name}: ${kind}`);
    const { labelNames } = registry.getSingleMetric(name) as unknown as { labelNames?: readonly string[] };
    specs.push({ name, type: kind, labels: [...(labelNames ?? [])], help });
  }
  return specs;
}

const byName = (specs: MetricSpec[]): MetricSpec[] => [...specs].sort((a, b) => a.name.localeCompare(b.name));

describe("docs/metrics.md", () => {
  it("names the five metrics of the contract with their types and labels", () => {
    assert.deepEqual(
      doc.metrics.map((m) => `${m.name} ${m.type} {${m.labels.join(",")}}`),
      [
        "kymaros_tests_total counter {test,result}",
        "kymaros_score gauge {test}",
        "kymaros_rto_seconds gauge {test}",
        "kymaros_test_duration_seconds histogram {test}",
        "kymaros_backup_age_seconds gauge {test}",
      ],
    );
    for (const m of doc.metrics) assert.match(m.help, /^[A-Z].*\.$/, `${m.name}: a HELP sentence`);
  });

  it("gives the duration buckets: doubling from 60 s to 7680 s", () => {
    assert.deepEqual(
      doc.buckets,
      Array.from({ length: 8 }, (_, i) => 60 * 2 ** i),
    );
  });

  it("has the eight PromQL examples, the two alerts and one scrape job", () => {
    assert.equal(doc.promql.length, 8, JSON.stringify(doc.promql));
    for (const [title, expr] of doc.promql) assert.match(expr, /kymaros_/, title);
    const rules = doc.alertRules.groups.flatMap((g) =>
      g.rules.map((r) => `${String(r.alert)}: ${String(r.expr)}`),
    );
    assert.deepEqual(rules, [
      "KymarosTestFailed: kymaros_score < 70",
      "KymarosRTOExceeded: kymaros_rto_seconds > 900",
    ]);
    assert.equal(doc.serviceMonitor.kind, "ServiceMonitor");
    assert.ok(Array.isArray(doc.scrapeConfig.scrape_configs));
  });

  it("lists every metric of the service's own registry, with its type, labels and HELP text", async () => {
    const self = createSelfMetrics();
    const expected = await registered(self.text);
    assert.ok(expected.length >= 10, `only ${expected.length} kymaros_api_* metrics registered`);
    assert.deepEqual(byName(doc.service), byName(expected));
    // The OpenMetrics registry holds the same metrics.
    assert.deepEqual(byName(await registered(self.openMetrics)), byName(expected));
  });

  it("lists every metric of kymaros-bridge's registry, with its type, labels and HELP text", async () => {
    const bridge = createBridgeMetrics({
      newestCompletedAt: () => null,
      pending: () => 0,
      testsWatched: () => 0,
      oldestPendingSince: () => null,
      now: () => 0,
    });
    // With backup age from Velero (the default), main adds the lookups' counter to this registry.
    createLookupCounter(bridge.registry);
    const expected = await registered(bridge.registry);
    assert.ok(expected.length >= 5, `only ${expected.length} kymaros_bridge_* metrics registered`);
    assert.deepEqual(byName(doc.bridge), byName(expected));
  });

  it("its reader refuses a page that lost a section or a block, naming it", () => {
    const text = readFileSync(METRICS_DOC, "utf8");
    assert.throws(
      () => readMetricsDoc(text.replace("### Histogram buckets", "### Buckets")),
      /expected one section "Histogram buckets"/,
    );
    assert.throws(
      () => readMetricsDoc(text.replace("```promql\nkymaros_score < 70\n```", "kymaros_score < 70")),
      /"Tests with a score below 70 \(failures\)" needs one promql block/,
    );
    assert.throws(
      () => readMetricsDoc(text.replace("| `kymaros_score` | gauge |", "| `kymaros_score` | gauges |")),
      /unknown metric type "gauges"/,
    );
    assert.throws(
      () => readMetricsDoc(text.replace("## The bridge's metrics", "## Bridge metrics")),
      /expected one section "The bridge's metrics"/,
    );
  });
});
