/**
 * The PrometheusRule of k8s/ under promtool: `check rules` accepts its spec, and `test rules`
 * passes k8s/tests/rules.test.yaml (and bridge-rules.test.yaml), which makes each alert fire, stay quiet and resolve on
 * synthetic series. Mutated rules must fail those tests, or the tests would prove nothing.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { baseResources, field, k8sDir, only } from "../support/kustomize.ts";
import {
  checkRules,
  type RulesWorkspace,
  rulesWorkspace,
  testRules,
  testRulesAsync,
} from "../support/promtool.ts";

interface Rule {
  alert: string;
  expr: string;
  [key: string]: unknown;
}
interface Group {
  name: string;
  rules: Rule[];
}

const unitTests = join(k8sDir, "tests", "rules.test.yaml");
/** The bridge's group and the job matcher's cases, in a file of their own. */
const bridgeTests = join(k8sDir, "tests", "bridge-rules.test.yaml");
const testFiles = [unitTests, bridgeTests];
const spec = field(only(baseResources(), "PrometheusRule", "kymaros"), "spec") as { groups: Group[] };
const alerts = spec.groups.flatMap((g) => g.rules.map((r) => r.alert));

/** A deep copy of the spec with `change` applied to the rule named `alert`. */
function mutated(alert: string, change: (rule: Rule) => void): { groups: Group[] } {
  const copy = structuredClone(spec);
  const rule = copy.groups.flatMap((g) => g.rules).find((r) => r.alert === alert);
  assert.ok(rule, `no rule ${alert}`);
  change(rule);
  return copy;
}

type UnitTests = { tests: Array<{ alert_rule_test?: Array<{ alertname: string }> }> };

/**
 * Keeps, in the workspace's copies of the unit-test files, only the test groups that assert on
 * `alert`. A mutant changes that one rule, so only those groups can notice it; the rest (days of
 * synthetic series) only cost promtool time. Files left with no group are dropped.
 */
function keepTestsOf(ws: RulesWorkspace, alert: string): string[] {
  const kept: string[] = [];
  for (const file of ws.testFiles) {
    const doc = parse(readFileSync(file, "utf8")) as UnitTests;
    doc.tests = doc.tests.filter((t) => (t.alert_rule_test ?? []).some((c) => c.alertname === alert));
    if (doc.tests.length === 0) {
      rmSync(file);
      continue;
    }
    writeFileSync(file, stringify(doc));
    kept.push(file);
  }
  assert.ok(kept.length > 0, `no unit test asserts on ${alert}`);
  return kept;
}

describe("PrometheusRule under promtool", { timeout: 120_000 }, () => {
  const workspaces: RulesWorkspace[] = [];
  const workspace = (rules: unknown): RulesWorkspace => {
    const ws = rulesWorkspace(rules, testFiles);
    workspaces.push(ws);
    return ws;
  };
  after(() => {
    for (const ws of workspaces) ws.remove();
  });

  it("promtool check rules accepts the spec", () => {
    const ws = workspace(spec);
    const run = checkRules(ws.rulesFile);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, new RegExp(`SUCCESS: ${alerts.length} rules found`));
  });

  it("the unit tests cover every alert, firing and quiet", () => {
    type Tests = { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
    const cases = testFiles
      .flatMap((file) => (parse(readFileSync(file, "utf8")) as Tests).tests)
      .flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const own = cases.filter((c) => c.alertname === alert);
      assert.ok(
        own.some((c) => c.exp_alerts.length > 0),
        `${alert}: no case where it fires`,
      );
      assert.ok(
        own.some((c) => c.exp_alerts.length === 0),
        `${alert}: no case where it is quiet`,
      );
    }
  });

  it("promtool test rules passes k8s/tests/rules.test.yaml and bridge-rules.test.yaml", () => {
    const ws = workspace(spec);
    const run = testRules(ws.testFiles, ws.dir);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /SUCCESS/);
    assert.doesNotMatch(run.output, /FAILED/);
  });

  const mutations: Array<[string, string, (rule: Rule) => void]> = [
    ["KymarosTestFailed", "threshold 70 -> 60", (r) => (r.expr = r.expr.replace("< 70", "< 60"))],
    [
      "KymarosTestFailed",
      "one alert per replica (the reference's bare expression)",
      (r) => (r.expr = "kymaros_score < 70"),
    ],
    [
      "KymarosTestFailed",
      "max over replicas (fires only once all have the run)",
      (r) => (r.expr = r.expr.replace("min", "max")),
    ],
    ["KymarosRTOExceeded", "threshold 900 -> 1200", (r) => (r.expr = r.expr.replace("> 900", "> 1200"))],
    ["KymarosRTOExceeded", "one alert per replica", (r) => (r.expr = "kymaros_rto_seconds > 900")],
    [
      "KymarosTestStale",
      "summed over replicas",
      (r) => (r.expr = r.expr.replaceAll("max without (instance, pod)", "sum without (instance, pod)")),
    ],
    [
      "KymarosTestStale",
      "increase() over 25h (flags new tests)",
      (r) => (r.expr = "sum by (test) (increase(kymaros_tests_total[25h])) == 0"),
    ],
    ["KymarosTestStale", "offset 24h", (r) => (r.expr = r.expr.replaceAll("offset 25h", "offset 24h"))],
    [
      "KymarosTestStale",
      "no higher than 25h ago (fires for a retired test's new life)",
      (r) =>
        (r.expr =
          "sum by (test) (kymaros_tests_total) - sum by (test) (kymaros_tests_total offset 25h) <= 0"),
    ],
    [
      "KymarosTestStale",
      "the run count alone (fires for a new life with as many runs as the old)",
      (r) => (r.expr = (r.expr.split("and")[0] as string).trim()),
    ],
    [
      "KymarosTestStale",
      "by test only (merges namespaces kept apart)",
      (r) => (r.expr = r.expr.replaceAll("by (test, test_namespace, test_cluster)", "by (test)")),
    ],
    ["KymarosApiDown", "for 5m -> 10m", (r) => (r.for = "10m")],
    ["KymarosApiDown", "only the static job name", (r) => (r.expr = 'up{job="kymaros"} == 0')],
    ["KymarosApiDown", "one alert per pod", (r) => (r.expr = 'up{job=~"kymaros|kymaros-api"} == 0')],
    [
      "KymarosApiReplicaDown",
      "also when every replica is down",
      (r) => (r.expr = 'up{job=~"kymaros|kymaros-api"} == 0'),
    ],
    [
      "KymarosApiShardDown",
      "counts pods, not shards",
      (r) => (r.expr = r.expr.replace("count by (job, shard) (kymaros_api_shards)", "kymaros_api_shards")),
    ],
    ["KymarosApiAbsent", "for 5m -> 15m", (r) => (r.for = "15m")],
    ["KymarosApiConsumerLag", "threshold 1000 -> 10000", (r) => (r.expr = r.expr.replace("1000", "10000"))],
    ["KymarosApiKafkaUnreachable", "for 5m -> 10m", (r) => (r.for = "10m")],
    [
      "KymarosApiKafkaUnreachable",
      "as soon as one replica lost Kafka",
      (r) => (r.expr = r.expr.replace("max without", "min without")),
    ],
    [
      "KymarosApiKafkaUnreachable",
      "any job",
      (r) => (r.expr = r.expr.replace('{job=~"kymaros|kymaros-api"}', "")),
    ],
    ["KymarosApiPartitionStale", "threshold 300 -> 600", (r) => (r.expr = r.expr.replace("> 300", "> 600"))],
    [
      "KymarosApiPartitionStale",
      "as soon as one replica is stuck",
      (r) => (r.expr = r.expr.replace("min without", "max without")),
    ],
    [
      "KymarosTestFailed",
      "no job matcher (Kymaros's controller's series too)",
      (r) => (r.expr = r.expr.replace('{job=~"kymaros|kymaros-api"}', "")),
    ],
    [
      "KymarosRTOExceeded",
      "no job matcher (Kymaros's controller's series too)",
      (r) => (r.expr = r.expr.replace('{job=~"kymaros|kymaros-api"}', "")),
    ],
    ["KymarosApiStateGap", "one alert per pod", (r) => (r.expr = "kymaros_api_state_gaps_total > 0")],
    ["KymarosApiStateGap", "any job", (r) => (r.expr = r.expr.replace('{job=~"kymaros|kymaros-api"}', ""))],
    ["KymarosBridgeAbsent", "for 10m -> 30m", (r) => (r.for = "30m")],
    ["KymarosBridgeAbsent", "any job", (r) => (r.expr = "absent(up)")],
    [
      "KymarosBridgeBackupLookupFailing",
      "counts every lookup, not the failed ones",
      (r) => (r.expr = r.expr.replace(',result="error"', "")),
    ],
  ];
  // Each mutant's promtool run is its own process: they run side by side, one per core.
  describe("mutants", { concurrency: availableParallelism() }, () => {
    for (const [alert, what, change] of mutations) {
      it(`promtool test rules fails when ${alert} is broken: ${what}`, async () => {
        const ws = workspace(mutated(alert, change));
        assert.equal(checkRules(ws.rulesFile).code, 0, "the mutant must still be a valid rule");
        const run = await testRulesAsync(keepTestsOf(ws, alert), ws.dir);
        assert.notEqual(run.code, 0, `the unit tests did not notice: ${run.output}`);
        assert.match(run.output, new RegExp(`alertname: ${alert}`));
      });
    }
  });
});
