/** fast-check generators of valid RunCompleted and TestRetired events, and plain factories for examples. */
import fc from "fast-check";
import type { RunCompleted, TestRetired } from "../../services/contract/index.ts";

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

/** A retirement with plausible values (of run()'s test); override what the test is about. */
export function retirement(overrides: Partial<TestRetired> = {}): TestRetired {
  return {
    test: "my-app-nightly",
    namespace: "default",
    cluster: null,
    retiredAt: BASE + 1_000_000,
    reason: null,
    ...overrides,
  };
}

/**
 * Retirements for a log of runs: most of them of an identity that has runs, at or around one of
 * its runs' completion (so that "at or before" is exercised), some of anything.
 */
export function retirementsArb(log: readonly RunCompleted[]): fc.Arbitrary<TestRetired[]> {
  const ofRun = fc
    .tuple(
      fc.constantFrom(...log),
      fc.constantFrom(-1, 0, 0, 1, 3_600_000),
      fc.option(fc.string({ maxLength: 8 })),
    )
    .map(([r, delta, reason]) => ({
      test: r.test,
      namespace: r.namespace,
      cluster: r.cluster,
      retiredAt: r.completedAt + delta,
      reason,
    }));
  const any = fc.record({
    test: testNames,
    namespace: fc.constantFrom("default", "prod"),
    cluster: fc.option(fc.constantFrom("prod-eu", "prod-us")),
    retiredAt: fc.integer({ min: BASE, max: BASE + 11 * 86_400_000 }),
    reason: fc.constant(null),
  });
  return fc.array(fc.oneof({ arbitrary: ofRun, weight: 4 }, { arbitrary: any, weight: 1 }), { maxLength: 8 });
}

/**
 * A log of runs with distinct (identity, runId), and retirements of their tests. Some runs have
 * a twin in the other namespace: same name, runId and times, another score (ties across
 * identities).
 */
export const distinctEventsArb = distinctLogArb
  .chain((runs) =>
    fc.subarray(runs).map((twins) => [
      ...runs,
      ...twins.map((r) => ({
        ...r,
        namespace: r.namespace === "default" ? "prod" : "default",
        score: (r.score + 1) % 101,
      })),
    ]),
  )
  .chain((runs) => fc.tuple(fc.constant(runs), retirementsArb(runs)));
