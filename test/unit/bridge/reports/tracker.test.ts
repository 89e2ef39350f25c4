/**
 * The bridge's report tracker: whatever the order and repetition of list items and watch
 * events, each report is published once, when first seen final, with the fields it carries;
 * pending reports are never published, and a final report that cannot be converted is refused
 * once and never published.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createReportTracker, type ReportDecision } from "../../../../services/bridge/reports/tracker.ts";

interface Spec {
  namespace: string;
  name: string;
  test: string;
  score: number;
  completedAt: number;
  /** A final status with a score outside 0..100: not convertible. */
  broken: boolean;
}

function report(s: Spec, final: boolean): unknown {
  const base = {
    apiVersion: "restore.kymaros.io/v1alpha1",
    kind: "RestoreReport",
    metadata: { name: s.name, namespace: s.namespace, resourceVersion: "1" },
    spec: { testRef: s.test },
  };
  if (!final) return { ...base, status: { startedAt: new Date(s.completedAt - 60_000).toISOString() } };
  return {
    ...base,
    status: {
      result: "pass",
      score: s.broken ? 101 : s.score,
      startedAt: new Date(s.completedAt - 60_000).toISOString(),
      completedAt: new Date(s.completedAt).toISOString(),
    },
  };
}

const specs = fc
  .uniqueArray(
    fc.record({
      namespace: fc.constantFrom("shop", "billing"),
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
      test: fc.constantFrom("nightly", "weekly"),
      score: fc.integer({ min: 0, max: 100 }),
      completedAt: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
      broken: fc.boolean(),
    }),
    { selector: (s) => `${s.namespace}/${s.name}`, minLength: 1, maxLength: 12 },
  )
  .map((list) => list.map((s) => ({ ...s, completedAt: s.completedAt - (s.completedAt % 1000) })));

/** Each report shows up pending some times then final some times; steps interleave; relists come in between. */
const scenario = specs.chain((list) =>
  fc.record({
    list: fc.constant(list),
    pendingTimes: fc.array(fc.integer({ min: 0, max: 2 }), {
      minLength: list.length,
      maxLength: list.length,
    }),
    finalTimes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: list.length, maxLength: list.length }),
    relistAfter: fc.array(fc.nat(40), { maxLength: 3 }),
    seed: fc.integer(),
  }),
);

describe("bridge: report tracker", () => {
  it("publishes each report once, when first seen final, with its fields; never a pending or broken one", () => {
    fc.assert(
      fc.property(scenario, ({ list, pendingTimes, finalTimes, relistAfter, seed }) => {
        // Per report, its observations in order: pending ones, then final ones.
        const queues = list.map((s, i) => [
          ...Array.from({ length: pendingTimes[i] ?? 0 }, () => report(s, false)),
          ...Array.from({ length: finalTimes[i] ?? 0 }, () => report(s, true)),
        ]);
        const latest = new Map<number, unknown>();
        const tracker = createReportTracker();
        const decisions: ReportDecision[] = [];
        let rng = seed;
        let step = 0;
        while (queues.some((q) => q.length > 0)) {
          rng = (rng * 1103515245 + 12345) & 0x7fffffff;
          const candidates = queues.map((q, i) => (q.length > 0 ? i : -1)).filter((i) => i >= 0);
          const i = candidates[rng % candidates.length] as number;
          const next = (queues[i] as unknown[]).shift();
          latest.set(i, next);
          decisions.push(tracker.observe(next));
          step += 1;
          // A relist returns every report as it stands now (none was deleted).
          if (relistAfter.includes(step)) decisions.push(...tracker.relisted([...latest.values()]));
        }
        const published = decisions.filter((d) => d.action === "publish");
        const refused = decisions.filter((d) => d.action === "refuse");
        const expectPublished = list.filter((s, i) => (finalTimes[i] ?? 0) > 0 && !s.broken);
        const expectRefused = list.filter((s, i) => (finalTimes[i] ?? 0) > 0 && s.broken);
        assert.deepEqual(
          published.map((d) => d.key).sort(),
          expectPublished.map((s) => `${s.namespace}/${s.name}`).sort(),
        );
        assert.deepEqual(
          refused.map((d) => d.key).sort(),
          expectRefused.map((s) => `${s.namespace}/${s.name}`).sort(),
        );
        for (const d of published) {
          const s = expectPublished.find((x) => `${x.namespace}/${x.name}` === d.key) as Spec;
          assert.deepEqual(
            [d.run.runId, d.run.namespace, d.run.test, d.run.score, d.run.completedAt],
            [s.name, s.namespace, s.test, s.score, s.completedAt],
          );
        }
        const newest = expectPublished.reduce<number | null>(
          (m, s) => (m === null || s.completedAt > m ? s.completedAt : m),
          null,
        );
        assert.equal(tracker.newestCompletedAt(), newest);
        assert.equal(tracker.entered.final, expectPublished.length);
        assert.equal(tracker.entered.invalid, expectRefused.length);
      }),
    );
  });

  it("a report deleted, or missing from a relist, is forgotten: seen final again, it is published again", () => {
    const s: Spec = {
      namespace: "shop",
      name: "r1",
      test: "nightly",
      score: 90,
      completedAt: 1_800_000_000_000,
      broken: false,
    };
    const tracker = createReportTracker();
    assert.equal(tracker.observe(report(s, true)).action, "publish");
    assert.equal(tracker.observe(report(s, true)).action, "none");
    tracker.forget(report(s, true));
    assert.equal(tracker.size(), 0);
    assert.equal(tracker.observe(report(s, true)).action, "publish");
    assert.deepEqual(tracker.relisted([]), []);
    assert.equal(tracker.size(), 0);
    assert.deepEqual(
      tracker.relisted([report(s, true)]).map((d) => d.action),
      ["publish"],
    );
  });

  it("a namespace's relist forgets only that namespace's reports", () => {
    const spec = (namespace: string, name: string): Spec => ({
      namespace,
      name,
      test: "nightly",
      score: 90,
      completedAt: 1_800_000_000_000,
      broken: false,
    });
    const tracker = createReportTracker();
    const a = report(spec("a", "r1"), true);
    const b = report(spec("b", "r1"), true);
    assert.deepEqual(
      tracker.relisted([a], "a").map((d) => d.action),
      ["publish"],
    );
    assert.deepEqual(
      tracker.relisted([b], "b").map((d) => d.action),
      ["publish"],
    );
    // Namespace a relisted without its report: b's is still known, so it is not published again.
    assert.deepEqual(tracker.relisted([], "a"), []);
    assert.equal(tracker.observe(b).action, "none");
    assert.equal(tracker.observe(a).action, "publish");
  });

  it("objects without a name are ignored", () => {
    const tracker = createReportTracker();
    assert.deepEqual(tracker.observe({ metadata: {} }), { action: "none" });
    assert.deepEqual(tracker.observe(null), { action: "none" });
    assert.equal(tracker.size(), 0);
  });

  it("knows the oldest report still status-less (its status patch failed upstream) until it is final or gone", () => {
    const created = (name: string, at: string) => ({
      metadata: { namespace: "shop", name, creationTimestamp: at },
      spec: { testRef: "nightly" },
    });
    const tracker = createReportTracker();
    assert.equal(tracker.oldestPendingSince(), null);
    tracker.relisted([created("a", "2026-04-01T03:00:00Z"), created("b", "2026-04-02T03:00:00Z")]);
    assert.equal(tracker.oldestPendingSince(), Date.UTC(2026, 3, 1, 3));
    tracker.observe({
      ...created("a", "2026-04-01T03:00:00Z"),
      status: {
        result: "pass",
        score: 100,
        startedAt: "2026-04-01T02:59:00Z",
        completedAt: "2026-04-01T03:00:00Z",
      },
    });
    assert.equal(tracker.oldestPendingSince(), Date.UTC(2026, 3, 2, 3));
    tracker.forget(created("b", "2026-04-02T03:00:00Z"));
    assert.equal(tracker.oldestPendingSince(), null);
    tracker.observe(created("c", "2026-04-03T03:00:00Z"));
    tracker.relisted([]);
    assert.equal(tracker.oldestPendingSince(), null);
  });
});
