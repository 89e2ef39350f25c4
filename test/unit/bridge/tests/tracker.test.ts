/**
 * The bridge's RestoreTest tracker: each deletion is reported once, from a DELETED event or a
 * relist, with the deletionTimestamp last seen; and the TestRetired made of it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DELETED_REASON, retirementOf } from "../../../../services/bridge/tests/retirements.ts";
import { createTestTracker } from "../../../../services/bridge/tests/tracker.ts";

const restoreTest = (namespace: string, name: string) => ({ metadata: { namespace, name } });

describe("bridge: RestoreTest tracker", () => {
  it("reports a deletion once, whether the DELETED event or a relist without the test comes first", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 10 }),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
        (names, deletedFlags, viaEventFlags) => {
          const tracker = createTestTracker();
          tracker.relisted(names.map((n) => restoreTest("ns", n)));
          const deleted = names.filter((_, i) => deletedFlags[i]);
          const reported: string[] = [];
          for (const [i, n] of names.entries()) {
            if (deletedFlags[i] && viaEventFlags[i]) {
              const gone = tracker.deleted(restoreTest("ns", n));
              if (gone) reported.push(`${gone.namespace}/${gone.test}`);
              // A repeated DELETED (a resumed watch) reports nothing more.
              assert.equal(tracker.deleted(restoreTest("ns", n)), undefined);
            }
          }
          const survivors = names.filter((_, i) => !deletedFlags[i]).map((n) => restoreTest("ns", n));
          for (const gone of tracker.relisted(survivors).retired)
            reported.push(`${gone.namespace}/${gone.test}`);
          assert.deepEqual(tracker.relisted(survivors).retired, []);
          assert.deepEqual(reported.sort(), deleted.map((n) => `ns/${n}`).sort());
          assert.equal(tracker.size(), survivors.length);
        },
      ),
    );
  });

  it("with several namespaces watched, a namespace's relist speaks only for that namespace", () => {
    fc.assert(
      fc.property(
        // Namespaces whose names prefix one another ("ns", "ns2") included.
        fc.uniqueArray(fc.constantFrom("ns", "ns2", "shop", "s"), { minLength: 2, maxLength: 4 }),
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,4}$/), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.func(fc.boolean()),
        (namespaces, names, pick, deletes) => {
          const tracker = createTestTracker();
          const all = namespaces.flatMap((ns) => names.map((n) => restoreTest(ns, n)));
          // Each scope's list-watch lists its namespace, one after the other.
          for (const ns of namespaces) {
            assert.deepEqual(
              tracker.relisted(
                all.filter((t) => t.metadata.namespace === ns),
                ns,
              ).retired,
              [],
            );
          }
          // One namespace is relisted after some of its tests were deleted.
          const ns = namespaces[pick % namespaces.length] as string;
          const deleted = names.filter((n) => deletes(n));
          const left = names.filter((n) => !deletes(n)).map((n) => restoreTest(ns, n));
          const gone = tracker.relisted(left, ns).retired.map((g) => `${g.namespace}/${g.test}`);
          assert.deepEqual(gone.sort(), deleted.map((n) => `${ns}/${n}`).sort());
          assert.equal(tracker.size(), all.length - deleted.length);
        },
      ),
    );
  });

  it("a DELETED event for a test never seen reports nothing", () => {
    const tracker = createTestTracker();
    assert.equal(tracker.deleted(restoreTest("ns", "x")), undefined);
    tracker.observe(restoreTest("ns", "x"));
    assert.deepEqual(tracker.deleted(restoreTest("ns", "x")), {
      namespace: "ns",
      test: "x",
      deletedAt: null,
    });
  });

  it("carries the deletionTimestamp, from the DELETED object or the last version seen before a relist", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), fc.boolean(), (seconds, viaEvent) => {
        const at = seconds * 1000;
        const deleting = {
          metadata: { namespace: "ns", name: "x", deletionTimestamp: new Date(at).toISOString() },
        };
        const tracker = createTestTracker();
        tracker.relisted([restoreTest("ns", "x")]);
        // Kymaros's finalizer: a MODIFIED with the timestamp, then the DELETED.
        tracker.observe(deleting);
        const gone = viaEvent ? tracker.deleted(restoreTest("ns", "x")) : tracker.relisted([]).retired[0];
        assert.deepEqual(gone, { namespace: "ns", test: "x", deletedAt: at });
      }),
    );
  });

  it("retires a deleted test at its deletionTimestamp, else when seen, with the bridge's cluster", () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 4_000_000_000_000 })),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.option(fc.stringMatching(/^[a-z]{1,8}$/)),
        (deletedAt, seenAt, cluster) => {
          assert.deepEqual(retirementOf({ namespace: "shop", test: "nightly", deletedAt }, cluster, seenAt), {
            test: "nightly",
            namespace: "shop",
            cluster,
            retiredAt: deletedAt === null ? seenAt : deletedAt,
            reason: DELETED_REASON,
          });
        },
      ),
    );
  });

  it("a test deleted and re-created under the same name in a gap (another UID) retires the old life once", () => {
    const life = (uid: string, created: string, extra: Record<string, unknown> = {}) => ({
      metadata: { namespace: "ns", name: "x", uid, creationTimestamp: created, ...extra },
    });
    const tracker = createTestTracker();
    assert.deepEqual(tracker.relisted([life("a", "2026-04-01T00:00:00Z")]).retired, []);
    // The relist after the gap returns the new life.
    assert.deepEqual(tracker.relisted([life("b", "2026-04-20T10:00:00Z")]).retired, [
      { namespace: "ns", test: "x", deletedAt: Date.UTC(2026, 3, 20, 10) },
    ]);
    assert.deepEqual(tracker.observe(life("b", "2026-04-20T10:00:00Z")), { replaced: null, failed: null });
    // Through a watch, with the old life's deletionTimestamp seen: that is when it ended.
    tracker.observe(life("b", "2026-04-20T10:00:00Z", { deletionTimestamp: "2026-04-21T00:00:00Z" }));
    assert.deepEqual(tracker.observe(life("c", "2026-04-22T00:00:00Z")).replaced, {
      namespace: "ns",
      test: "x",
      deletedAt: Date.UTC(2026, 3, 21),
    });
    assert.equal(tracker.size(), 1);
  });

  it("reports each outright failure once, from events and relists alike; a later failure again", () => {
    const failing = (lastRunAt: string, phase = "Failed") => ({
      metadata: { namespace: "ns", name: "x", uid: "a" },
      status: { phase, lastRunAt, lastResult: "fail", lastReportRef: "x-20260401-030000" },
    });
    const tracker = createTestTracker({ cluster: "eu" });
    const first = tracker.observe(failing("2026-04-02T03:00:00Z")).failed;
    assert.equal(first?.runId, "x-failed-20260402-030000");
    assert.equal(first?.cluster, "eu");
    assert.equal(tracker.observe(failing("2026-04-02T03:00:00Z", "Idle")).failed, null);
    assert.deepEqual(tracker.relisted([failing("2026-04-02T03:00:00Z", "Idle")]).failed, []);
    const second = tracker.relisted([failing("2026-04-03T03:00:00Z")]).failed;
    assert.deepEqual(
      second.map((r) => r.runId),
      ["x-failed-20260403-030000"],
    );
    // A successful run in between, then the same failure time seen again: nothing new.
    tracker.observe({
      metadata: { namespace: "ns", name: "x", uid: "a" },
      status: {
        phase: "Idle",
        lastRunAt: "2026-04-04T03:00:00Z",
        lastResult: "pass",
        lastScore: 90,
        lastReportRef: "x-20260404-030000",
      },
    });
    assert.equal(tracker.observe(failing("2026-04-05T03:00:00Z")).failed?.runId, "x-failed-20260405-030000");
  });
});
