/**
 * docs/metrics.md is what the other tests hold the exposition, the manifests and the dashboard
 * to; here it is held to the contract itself (names, types, labels, buckets, the alert
 * expressions), so that editing the page and the code together cannot drift from it, and its
 * reader is shown to fail loudly on a page it cannot read.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { METRICS_DOC, readMetricsDoc } from "../support/metrics-doc.ts";

const doc = readMetricsDoc();

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
  });
});
