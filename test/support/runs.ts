/** fast-check generators of valid RunCompleted events, and a plain factory for examples. */
import fc from "fast-check";
import type { RunCompleted } from "../../services/contract/index.ts";

const BASE = Date.UTC(2026, 10, 1);

/** A run with plausible values; override what the test is about. */
export function run(overrides: Partial<RunCompleted> = {}): RunCompleted {
  const startedAt = overrides.startedAt ?? BASE;
  return {
    runId: "run-1",
    test: "my-app-nightly",
    namespace: "default",
    result: "pass",
    score: 96,
    startedAt,
    completedAt: startedAt + 700_000,
    rtoSeconds: 695,
    backupName: "backup-1",
    backupCreatedAt: startedAt - 14_412_000,
    rtoTargetSeconds: 900,
    cluster: null,
    ...overrides,
  };
}

/** Test names, including ones that need escaping in label values. */
export const testNames = fc.constantFrom("my-app-nightly", "orders-db-validation", 'we"ird\\na\nme', "z");

export function runArb(test: fc.Arbitrary<string> = testNames): fc.Arbitrary<RunCompleted> {
  return fc
    .record({
      runId: fc.string({ minLength: 1, maxLength: 12 }),
      test,
      namespace: fc.constantFrom("default", "prod"),
      result: fc.constantFrom("pass" as const, "fail" as const, "partial" as const),
      score: fc.integer({ min: 0, max: 100 }),
      // Few distinct completion times, so ties on completedAt (broken by runId) happen.
      startedAt: fc.oneof(
        fc.constantFrom(BASE, BASE + 1000),
        fc.integer({ min: BASE, max: BASE + 10 * 86_400_000 }),
      ),
      durationMs: fc.oneof(
        fc.integer({ min: 0, max: 9_000_000 }),
        fc.constantFrom(0, 60_000, 60_001, 7_680_000),
      ),
      rtoSeconds: fc.option(
        fc.oneof(fc.double({ min: 0, max: 100_000, noNaN: true }), fc.integer({ min: 0, max: 5000 })),
      ),
      backupAgeMs: fc.option(fc.integer({ min: -5_000, max: 86_400_000 })),
      rtoTargetSeconds: fc.option(fc.constantFrom(600, 900)),
      cluster: fc.option(fc.constantFrom("prod-eu", "prod-us")),
    })
    .map((r) => ({
      runId: r.runId,
      test: r.test,
      namespace: r.namespace,
      result: r.result,
      score: r.score,
      startedAt: r.startedAt,
      completedAt: r.startedAt + r.durationMs,
      rtoSeconds: r.rtoSeconds,
      backupName: r.backupAgeMs === null ? null : `backup-${r.runId}`,
      backupCreatedAt: r.backupAgeMs === null ? null : r.startedAt - r.backupAgeMs,
      rtoTargetSeconds: r.rtoTargetSeconds,
      cluster: r.cluster,
    }));
}

/** A log of runs with distinct (test, runId): duplicates are added by the tests themselves. */
export const distinctLogArb = fc.uniqueArray(runArb(), {
  minLength: 1,
  maxLength: 60,
  selector: (r) => JSON.stringify([r.test, r.runId]),
});
