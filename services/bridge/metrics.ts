/** The bridge's own metrics, on its /metrics. */
import { Counter, Gauge, Registry } from "prom-client";
import { collectProcessMetrics } from "../http/process-metrics.ts";

export const ERROR_KINDS = [
  "kube_list",
  "kube_watch",
  "kube_gone",
  "kafka",
  "refused",
  "invalid_report",
] as const;

export interface BridgeMetrics {
  registry: Registry;
  reportsSeen: Counter<"state">;
  runsPublished: Counter;
  testDeletions: Counter;
  failuresSeen: Counter;
  retirements: Counter;
  errors: Counter<"kind">;
  ready: Gauge;
}

export interface MetricSources {
  /** completedAt (epoch ms) of the newest final report seen, or null. */
  newestCompletedAt(): number | null;
  pending(): number;
  /** creationTimestamp (epoch ms) of the oldest RestoreReport still without a final status, or null. */
  oldestPendingSince(): number | null;
  /** RestoreTests known from the list-watch: those whose deletion would retire them. */
  testsWatched(): number;
  now(): number;
}

export function createBridgeMetrics(sources: MetricSources): BridgeMetrics {
  const registry = new Registry();
  collectProcessMetrics(registry);
  const errors = new Counter({
    name: "kymaros_bridge_errors_total",
    help: "Failures by kind: kube_list, kube_watch, kube_gone (410, relisted), kafka, refused (by the producer), invalid_report (final but not convertible)",
    labelNames: ["kind"],
    registers: [registry],
  });
  for (const kind of ERROR_KINDS) errors.labels(kind).inc(0);
  const reportsSeen = new Counter({
    name: "kymaros_bridge_reports_seen_total",
    help: "Distinct RestoreReports seen entering each state (pending, final, invalid) since the start",
    labelNames: ["state"],
    registers: [registry],
  });
  for (const state of ["pending", "final", "invalid"]) reportsSeen.labels(state).inc(0);
  new Gauge({
    name: "kymaros_bridge_newest_report_age_seconds",
    help: "Seconds since the completedAt of the newest final RestoreReport seen (absent until one is)",
    registers: [registry],
    collect() {
      const newest = sources.newestCompletedAt();
      if (newest === null) this.reset();
      else this.set((sources.now() - newest) / 1000);
    },
  });
  new Gauge({
    name: "kymaros_bridge_oldest_pending_report_age_seconds",
    help: "Seconds since the creation of the oldest RestoreReport still without a final status (absent when none): Kymaros writes the status right after creating it, so an old one had its status patch fail and its run is never published",
    registers: [registry],
    collect() {
      const oldest = sources.oldestPendingSince();
      if (oldest === null) this.reset();
      else this.set(Math.max(0, (sources.now() - oldest) / 1000));
    },
  });
  new Gauge({
    name: "kymaros_bridge_publish_queue",
    help: "Events (runs and retirements) waiting to be acknowledged by Kafka",
    registers: [registry],
    collect() {
      this.set(sources.pending());
    },
  });
  new Gauge({
    name: "kymaros_bridge_tests_watched",
    help: "RestoreTests the bridge knows from its list-watch (a deletion of one publishes a TestRetired)",
    registers: [registry],
    collect() {
      this.set(sources.testsWatched());
    },
  });
  return {
    registry,
    reportsSeen,
    errors,
    runsPublished: new Counter({
      name: "kymaros_bridge_runs_published_total",
      help: "RunCompleted events acknowledged by Kafka",
      registers: [registry],
    }),
    failuresSeen: new Counter({
      name: "kymaros_bridge_test_failures_seen_total",
      help: "Outright failures (a RestoreTest failed with no RestoreReport) detected, each queued as a failed run",
      registers: [registry],
    }),
    testDeletions: new Counter({
      name: "kymaros_bridge_test_deletions_total",
      help: "RestoreTest deletions detected (each queued as a TestRetired)",
      registers: [registry],
    }),
    retirements: new Counter({
      name: "kymaros_bridge_retirements_total",
      help: "TestRetired events acknowledged by Kafka",
      registers: [registry],
    }),
    ready: new Gauge({
      name: "kymaros_bridge_ready",
      help: "What /readyz answers, as 1/0",
      registers: [registry],
    }),
  };
}
