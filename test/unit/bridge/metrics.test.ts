import assert from "node:assert/strict";
import { test } from "node:test";
import { createBridgeMetrics } from "../../../services/bridge/metrics.ts";
import { checkMetrics } from "../../support/promtool.ts";

test("the bridge's whole /metrics passes promtool check metrics, process metrics included", async () => {
  const metrics = createBridgeMetrics({
    newestCompletedAt: () => 1_800_000_000_000,
    pending: () => 3,
    oldestPendingSince: () => 1_800_000_000_000 - 3_600_000,
    testsWatched: () => 2,
    now: () => 1_800_000_090_000,
  });
  metrics.runsPublished.inc(5);
  metrics.errors.inc({ kind: "kafka" });
  const text = await metrics.registry.metrics();
  // Its own metrics and the process defaults, all of them with samples.
  assert.match(text, /^kymaros_bridge_newest_report_age_seconds 90$/m);
  assert.match(text, /^kymaros_bridge_runs_published_total 5$/m);
  assert.match(text, /^kymaros_bridge_oldest_pending_report_age_seconds 3690$/m);
  assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
  assert.match(text, /^# TYPE nodejs_active_handles gauge$/m);
  const check = checkMetrics(text);
  assert.equal(check.output, "");
  assert.equal(check.code, 0);
});
