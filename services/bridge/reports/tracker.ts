/**
 * Which RestoreReports to publish, from what the list-watch sees: each report is published
 * once per bridge process, when it is first seen in a final state, whatever the order and
 * repetition of list items and watch events. Pure: no Kubernetes, no Kafka, no clock.
 */
import type { RunCompleted } from "../../contract/index.ts";
import { type ConvertOptions, classifyReport, parseRfc3339 } from "../../kymaros/index.ts";
import { inScope, objectKey } from "../kube/object.ts";

export type ReportState = "pending" | "final" | "invalid";

export type ReportDecision =
  /** First seen final: publish it. */
  | { action: "publish"; key: string; run: RunCompleted }
  /** First seen final but not convertible: nothing to publish; say why. */
  | { action: "refuse"; key: string; field: string; reason: string }
  | { action: "none" };

export interface ReportTracker {
  /** A report as listed, added or modified. */
  observe(report: unknown): ReportDecision;
  /** A deleted report: forgotten (its run, once published, stays published). */
  forget(report: unknown): void;
  /** After a relist of a namespace (null: all): every report there now; its others are forgotten. */
  relisted(reports: readonly unknown[], namespace?: string | null): ReportDecision[];
  /** The same, a page at a time: only the keys of what was listed are kept until end(). */
  relist(namespace: string | null): ReportRelist;
  /** How many distinct reports entered each state, since the start. */
  readonly entered: Readonly<Record<ReportState, number>>;
  /** completedAt (epoch ms) of the newest final report seen, or null. */
  newestCompletedAt(): number | null;
  /**
   * metadata.creationTimestamp (epoch ms) of the oldest report still pending, or null. Kymaros
   * patches a report's status right after creating it; one pending for long had that patch fail.
   */
  oldestPendingSince(): number | null;
  size(): number;
}

function creationTimestamp(report: unknown): number | null {
  const raw = (report as { metadata?: { creationTimestamp?: unknown } } | null)?.metadata?.creationTimestamp;
  if (typeof raw !== "string") return null;
  try {
    return parseRfc3339(raw, "metadata.creationTimestamp");
  } catch {
    return null;
  }
}

export interface ReportRelist {
  page(reports: readonly unknown[]): ReportDecision[];
  /** The list is complete: its namespace's reports not in it are forgotten. */
  end(): void;
}

export function createReportTracker(options: ConvertOptions = {}): ReportTracker {
  const states = new Map<string, ReportState>();
  /** Pending reports' creationTimestamp (null when unreadable). */
  const pendingSince = new Map<string, number | null>();
  const entered: Record<ReportState, number> = { pending: 0, final: 0, invalid: 0 };
  let newest: number | null = null;

  function enter(key: string, state: ReportState, report: unknown): void {
    if (state === "pending") pendingSince.set(key, creationTimestamp(report));
    else pendingSince.delete(key);
    if (states.get(key) === state) return;
    states.set(key, state);
    entered[state] += 1;
  }

  function observe(report: unknown): ReportDecision {
    const key = objectKey(report);
    if (key === undefined) return { action: "none" };
    // A final report does not change again: once published, nothing more to do.
    if (states.get(key) === "final") return { action: "none" };
    const verdict = classifyReport(report, options);
    switch (verdict.kind) {
      case "pending":
        enter(key, "pending", report);
        return { action: "none" };
      case "invalid": {
        const already = states.get(key) === "invalid";
        enter(key, "invalid", report);
        return already
          ? { action: "none" }
          : { action: "refuse", key, field: verdict.field, reason: verdict.reason };
      }
      case "final":
        enter(key, "final", report);
        if (newest === null || verdict.run.completedAt > newest) newest = verdict.run.completedAt;
        return { action: "publish", key, run: verdict.run };
    }
  }

  function relist(namespace: string | null): ReportRelist {
    const present = new Set<string>();
    return {
      page(reports) {
        const decisions: ReportDecision[] = [];
        for (const report of reports) {
          const key = objectKey(report);
          if (key !== undefined) present.add(key);
          decisions.push(observe(report));
        }
        return decisions;
      },
      end() {
        for (const key of [...states.keys()]) {
          if (inScope(key, namespace) && !present.has(key)) {
            states.delete(key);
            pendingSince.delete(key);
          }
        }
      },
    };
  }

  return {
    observe,
    forget(report) {
      const key = objectKey(report);
      if (key === undefined) return;
      states.delete(key);
      pendingSince.delete(key);
    },
    relist,
    relisted(reports, namespace = null) {
      const session = relist(namespace);
      const decisions = session.page(reports);
      session.end();
      return decisions;
    },
    entered,
    newestCompletedAt: () => newest,
    oldestPendingSince() {
      let oldest: number | null = null;
      for (const since of pendingSince.values()) {
        if (since !== null && (oldest === null || since < oldest)) oldest = since;
      }
      return oldest;
    },
    size: () => states.size,
  };
}
