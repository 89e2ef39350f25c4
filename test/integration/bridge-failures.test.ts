/**
 * Outright failures (a RestoreTest that failed before any report was written, as Kymaros's
 * failTest leaves it) through the real bridge, API server, Kafka and service: each becomes one
 * failed run, score 0, whatever the bridge's kills and outages; KymarosTestFailed fires on the
 * service's exposition.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import type { RunCompleted } from "../../services/contract/index.ts";
import { failedRunId, reportNameOf } from "../../services/kymaros/index.ts";
import { bridgeMetric, startBridgeProcess, waitForExactMetrics } from "../support/bridge.ts";
import { domainSamples } from "../support/exposition.ts";
import { createTopic, testKafka, uniqueTopic } from "../support/kafka.ts";
import { installCrds, type LocalKube, startKube } from "../support/kube.ts";
import { k8sDir } from "../support/kustomize.ts";
import { rulesWorkspace, testRules } from "../support/promtool.ts";
import { failRestoreTest, finishRuns, goTime, restoreTestOf } from "../support/restore-reports.ts";
import { type RunningService, scrape, startService, waitReady } from "../support/service.ts";

const TEST = "orders-nightly";
const NS = "shop";
const DAY = 86_400_000;
const BASE = Date.UTC(2026, 10, 20, 3, 0, 0);

/** A run that reached scoring: its report is named from its completedAt, as Kymaros names it. */
function scored(day: number, score: number): RunCompleted {
  const completedAt = BASE + day * DAY;
  return {
    runId: reportNameOf(TEST, completedAt),
    test: TEST,
    namespace: NS,
    result: score >= 90 ? "pass" : "partial",
    score,
    startedAt: completedAt - 42_000,
    completedAt,
    rtoSeconds: 42,
    backupName: `rp-daily-${day}-x7k2qa`,
    backupCreatedAt: completedAt - 3_600_000,
    rtoTargetSeconds: 900,
    cluster: null,
  };
}

/** What the bridge must publish for a failure at `at`: independent of the mapping's code. */
function failure(at: number): RunCompleted {
  return {
    runId: failedRunId(TEST, at),
    test: TEST,
    namespace: NS,
    result: "fail",
    score: 0,
    // Kymaros records no start for a failure: the run counts but has no duration.
    startedAt: at,
    startedAtKnown: false,
    completedAt: at,
    rtoSeconds: null,
    backupName: null,
    backupCreatedAt: null,
    rtoTargetSeconds: null,
    cluster: null,
  };
}

describe("kymaros-bridge: outright failures become runs", { timeout: 10 * 60_000 }, () => {
  let kube: LocalKube;
  let service: RunningService;
  let bridge: Awaited<ReturnType<typeof startBridgeProcess>>;
  let asBridge: string;
  let topic: string;
  const published: RunCompleted[] = [];
  let lastReport = "";

  const metricsMatch = (what: string) => waitForExactMetrics(what, service, bridge, published, []);

  async function scoredRun(day: number, score: number): Promise<void> {
    const run = scored(day, score);
    // Kymaros updates the test's status first, then creates the report.
    await kube.kubectlOk([
      "patch",
      "restoretest.restore.kymaros.io",
      TEST,
      "-n",
      NS,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({
        status: {
          phase: "Completed",
          lastRunAt: goTime(run.completedAt),
          lastScore: run.score,
          lastResult: run.result,
          lastReportRef: run.runId,
        },
      }),
    ]);
    await finishRuns(kube, [run]);
    lastReport = run.runId;
    published.push(run);
  }

  async function failAt(day: number): Promise<void> {
    const at = BASE + day * DAY + 17_000;
    await failRestoreTest(kube, TEST, NS, at, lastReport);
    published.push(failure(at));
  }

  before(async () => {
    kube = await startKube();
    await installCrds(kube);
    for (const ns of ["kymaros-system", NS]) await kube.kubectlOk(["create", "namespace", ns]);
    await kube.kubectlOk(["apply", "-f", "-"], readFileSync(`${k8sDir}/base/bridge-rbac.yaml`, "utf8"));
    const token = (
      await kube.kubectlOk(["create", "token", "kymaros-bridge", "-n", "kymaros-system", "--duration=1h"])
    ).trim();
    asBridge = kube.kubeconfigFor(token, "bridge");
    await kube.kubectlOk(["apply", "-f", "-"], stringify(restoreTestOf(TEST, NS, true)));
    topic = uniqueTopic("bridge-failures");
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

  it("a failure with no report moves the score to 0 and counts one failed run; KymarosTestFailed fires", async () => {
    await scoredRun(0, 95);
    await metricsMatch("the scored run");
    await failAt(1);
    await metricsMatch("the failure as a run");
    const samples = domainSamples(await scrape(service));
    const score = [...samples].filter(
      ([k]) => k.startsWith("kymaros_score{") && k.includes(`test="${TEST}"`),
    );
    assert.equal(score.length, 1);
    assert.equal(score[0]?.[1], "0");
    assert.equal(await bridgeMetric(bridge, "kymaros_bridge_test_failures_seen_total"), 1);
    assertTestFailedFires(score[0]?.[0] as string);
  });

  it("killed and restarted, the bridge does not count the failure twice; a second failure counts", async () => {
    // The controller has moved the test on to Idle; a repeated MODIFIED must not republish it.
    await kube.kubectlOk([
      "patch",
      "restoretest.restore.kymaros.io",
      TEST,
      "-n",
      NS,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: { phase: "Idle", nextRunAt: goTime(BASE + 2 * DAY) } }),
    ]);
    await bridge.stop("SIGKILL");
    bridge = await startBridgeProcess({ kubeconfig: asBridge, topic, port: bridge.port });
    await waitReady(bridge, 60_000);
    await metricsMatch("the same runs after the restart");
    await failAt(2);
    await metricsMatch("a second failure counted");
  });

  it("a failure while the bridge is down is published once it is back", async () => {
    await scoredRun(3, 80);
    await metricsMatch("a scored run after two failures");
    await bridge.stop("SIGKILL");
    await failAt(4);
    bridge = await startBridgeProcess({ kubeconfig: asBridge, topic, port: bridge.port });
    await waitReady(bridge, 60_000);
    await metricsMatch("the failure during the outage");
    assert.equal(await bridgeMetric(bridge, "kymaros_bridge_test_failures_seen_total"), 1);
  });
});

/**
 * promtool: KymarosTestFailed, from the shipped rules, on the series the service exposes as
 * Prometheus stores it (the rules select the scrape job).
 */
function assertTestFailedFires(exposed: string): void {
  const series = exposed.replace("{", '{job="kymaros-api",');
  const rule = parse(readFileSync(`${k8sDir}/base/prometheusrule.yaml`, "utf8")) as { spec: unknown };
  const ws = rulesWorkspace(rule.spec, []);
  try {
    const labels = Object.fromEntries(
      [...series.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1] as string, m[2] as string]),
    );
    const file = join(ws.dir, "failed.test.yaml");
    writeFileSync(
      file,
      stringify({
        rule_files: ["kymaros-rules.yaml"],
        evaluation_interval: "1m",
        tests: [
          {
            interval: "1m",
            input_series: [{ series, values: "0x5" }],
            alert_rule_test: [
              {
                eval_time: "2m",
                alertname: "KymarosTestFailed",
                exp_alerts: [
                  {
                    exp_labels: { ...labels, severity: "critical" },
                    exp_annotations: {
                      summary: `Restore test failed: ${labels.test}`,
                      description: `Test ${labels.test} scored 0/100 (threshold: 70)`,
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const run = testRules([file], ws.dir);
    assert.equal(run.code, 0, run.output);
  } finally {
    ws.remove();
  }
}
