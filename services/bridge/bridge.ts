/**
 * kymaros-bridge, assembled: list-watches of RestoreReports and RestoreTests (cluster-wide or
 * per namespace) feed the trackers; the report tracker's decisions feed the outbox, which
 * publishes through the producer SDK; a deleted test's TestRetired goes through the same outbox.
 * Data flows one way: API server -> trackers -> outbox -> Kafka.
 */
import type { RunCompleted } from "../contract/index.ts";
import type { Logger } from "../log/logger.ts";
import { createBackoff } from "./backoff.ts";
import type { BridgeConfig } from "./config.ts";
import type { KubeTransport, Resource, WatchEvent } from "./kube/client.ts";
import { type ListWatch, type ListWatchHandler, startListWatch } from "./kube/list-watch.ts";
import type { BridgeMetrics } from "./metrics.ts";
import type { Outbox } from "./publish/outbox.ts";
import {
  createReportTracker,
  type ReportDecision,
  type ReportRelist,
  type ReportTracker,
} from "./reports/tracker.ts";
import { retirementOf } from "./tests/retirements.ts";
import { createTestTracker, type DeletedTest, type TestRelist, type TestTracker } from "./tests/tracker.ts";

export interface BridgeParts {
  config: BridgeConfig;
  transport: KubeTransport;
  outbox: Outbox;
  metrics: BridgeMetrics;
  logger: Logger;
  /** The clock for the retiredAt of a deletion that carries no deletionTimestamp. */
  now?: () => number;
}

export interface Bridge {
  reports: ReportTracker;
  tests: TestTracker;
  notReadyReason(): string | null;
  stop(): Promise<void>;
}

const BACKOFF_BASE_MS = 250;

export function startBridge(p: BridgeParts): Bridge {
  const { config, metrics, logger } = p;
  const reports = createReportTracker({ cluster: config.cluster });
  const tests = createTestTracker({ cluster: config.cluster });
  const resource = (plural: string): Resource => ({ group: config.group, version: config.version, plural });
  const scopes: (string | null)[] = config.namespaces.length === 0 ? [null] : config.namespaces;

  const seen = { pending: 0, final: 0, invalid: 0 };
  function countSeen(): void {
    for (const state of ["pending", "final", "invalid"] as const) {
      const delta = reports.entered[state] - seen[state];
      if (delta > 0) metrics.reportsSeen.labels(state).inc(delta);
      seen[state] = reports.entered[state];
    }
  }

  function decide(decision: ReportDecision): void {
    if (decision.action === "publish") p.outbox.add(decision.run);
    else if (decision.action === "refuse") {
      metrics.errors.labels("invalid_report").inc();
      logger.warn("final RestoreReport not convertible; not published", {
        report: decision.key,
        field: decision.field,
        reason: decision.reason,
      });
    }
  }

  const now = p.now ?? Date.now;
  function retire(test: DeletedTest): void {
    metrics.testDeletions.inc();
    const retirement = retirementOf(test, config.cluster, now());
    logger.info("RestoreTest deleted; retiring it", {
      namespace: test.namespace,
      test: test.test,
      retiredAt: new Date(retirement.retiredAt).toISOString(),
      from: test.deletedAt === null ? "seen" : "deletionTimestamp",
    });
    p.outbox.addRetirement(retirement);
  }

  /** An outright failure (no report): a run of its own, score 0. */
  function publishFailure(run: RunCompleted): void {
    metrics.failuresSeen.inc();
    logger.info("RestoreTest failed without a report; publishing a failed run", {
      namespace: run.namespace,
      test: run.test,
      runId: run.runId,
      completedAt: new Date(run.completedAt).toISOString(),
    });
    p.outbox.add(run);
  }

  const watches: ListWatch[] = [];
  for (const namespace of scopes) {
    const common = {
      transport: p.transport,
      namespace,
      logger,
      onError: (kind: "kube_list" | "kube_watch" | "kube_gone") => metrics.errors.labels(kind).inc(),
    };
    watches.push(
      startListWatch({
        ...common,
        resource: resource("restorereports"),
        backoff: createBackoff(BACKOFF_BASE_MS, config.maxBackoffMs),
        handler: reportHandler(reports, namespace, decide, countSeen),
      }),
    );
    watches.push(
      startListWatch({
        ...common,
        resource: resource("restoretests"),
        backoff: createBackoff(BACKOFF_BASE_MS, config.maxBackoffMs),
        handler: testHandler(tests, namespace, retire, publishFailure),
      }),
    );
  }

  let stopping = false;
  return {
    reports,
    tests,
    notReadyReason() {
      if (stopping) return "shutting down";
      if (!watches.every((w) => w.healthy())) return "not listing and watching the API server";
      if (!p.outbox.healthy()) return "Kafka does not answer";
      return null;
    },
    async stop() {
      stopping = true;
      await Promise.all(watches.map((w) => w.stop()));
    },
  };
}

/** RestoreReports of one scope to the report tracker: pages as they come, events one by one. */
function reportHandler(
  reports: ReportTracker,
  namespace: string | null,
  decide: (d: ReportDecision) => void,
  countSeen: () => void,
): ListWatchHandler {
  // The relist in progress; one that failed part-way is dropped by the next.
  let relist: ReportRelist | undefined;
  return {
    onPage(items, first) {
      if (first || relist === undefined) relist = reports.relist(namespace);
      for (const d of relist.page(items)) decide(d);
      countSeen();
    },
    onListed() {
      (relist ?? reports.relist(namespace)).end();
      relist = undefined;
    },
    onEvent(event: WatchEvent) {
      if (event.type === "DELETED") reports.forget(event.object);
      else decide(reports.observe(event.object));
      countSeen();
    },
  };
}

/** RestoreTests of one scope to the test tracker: deletions retire, outright failures publish. */
function testHandler(
  tests: TestTracker,
  namespace: string | null,
  retire: (t: DeletedTest) => void,
  publishFailure: (run: RunCompleted) => void,
): ListWatchHandler {
  let relist: TestRelist | undefined;
  return {
    onPage(items, first) {
      if (first || relist === undefined) relist = tests.relist(namespace);
      const { retired, failed } = relist.page(items);
      for (const gone of retired) retire(gone);
      for (const run of failed) publishFailure(run);
    },
    onListed() {
      for (const gone of (relist ?? tests.relist(namespace)).end()) retire(gone);
      relist = undefined;
    },
    onEvent(event: WatchEvent) {
      if (event.type === "DELETED") {
        const gone = tests.deleted(event.object);
        if (gone) retire(gone);
        return;
      }
      const { replaced, failed } = tests.observe(event.object);
      if (replaced) retire(replaced);
      if (failed) publishFailure(failed);
    },
  };
}
