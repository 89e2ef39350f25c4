/**
 * Generators of valid RunCompleted events at scale (seeded, no fast-check: hundreds of
 * thousands of events), with the awkward cases the semantics must survive: names that need
 * escaping or sort differently by UTF-16 and by bytes, ties on completedAt, bucket boundaries,
 * fractional and negative backup ages, runs without RTO or backup; and retirements of their
 * tests landing before, on and among their runs.
 */
import type { RunCompleted, TestRetired } from "../../../services/contract/index.ts";
import type { Random } from "./random.ts";

const BASE = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;

/** Names a plain ASCII sort, a byte sort and the label escaping would each get wrong. */
const ODD_NAMES = [
  'we"ird\\na\nme',
  "zürich-db",
  "ｆｕｌｌｗｉｄｔｈ",
  "😀-emoji",
  "Zeta-upper",
  "a",
  "a-",
  "space name",
  "tab\tname",
];

export function testNames(count: number, prefix = "app"): string[] {
  const names = ODD_NAMES.slice(0, Math.min(ODD_NAMES.length, Math.max(1, Math.floor(count / 10))));
  for (let i = 0; names.length < count; i++) names.push(`${prefix}-${i.toString(36)}-nightly`);
  return names;
}

export interface RunFactory {
  /** A fresh valid run (unique runId) for one of the given tests. */
  next(test?: string): RunCompleted;
}

export function runFactory(random: Random, tests: readonly string[], idPrefix: string): RunFactory {
  let n = 0;
  const durations = [0, 59_999, 60_000, 60_001, 120_000, 7_680_000, 7_680_001];
  return {
    next(test) {
      n += 1;
      // Few distinct start times per test so completedAt ties happen (broken by runId).
      const startedAt = random.chance(0.2)
        ? BASE + random.int(0, 3) * 1000
        : BASE + random.int(0, 30 * DAY) + (random.chance(0.3) ? 0 : random.int(0, 999));
      const durationMs = random.chance(0.15) ? random.pick(durations) : random.int(0, 9_000_000);
      const rto = random.int(0, 3);
      const backup = random.int(0, 3);
      const runId = random.chance(0.05)
        ? `${idPrefix}-${n}-Ω`
        : `${idPrefix}-${n.toString(36).padStart(6, "0")}`;
      return {
        runId,
        test: test ?? random.pick(tests),
        namespace: random.pick(["default", "prod", "kymaros-system"]),
        result: random.pick(["pass", "fail", "partial"] as const),
        score: random.chance(0.1) ? random.pick([0, 100, 69, 70]) : random.int(0, 100),
        startedAt,
        completedAt: startedAt + durationMs,
        rtoSeconds:
          rto === 0
            ? null
            : rto === 1
              ? random.int(0, 5000)
              : rto === 2
                ? random.int(0, 9_999_999) / 1000
                : random.next() * 2000,
        backupName: backup === 0 ? null : `backup-${n}`,
        backupCreatedAt:
          backup === 0
            ? null
            : startedAt - (random.chance(0.1) ? -random.int(1, 5000) : random.int(0, 3 * DAY)),
        rtoTargetSeconds: random.chance(0.5) ? null : random.pick([600, 900]),
        cluster: random.chance(0.5) ? null : random.pick(["prod-eu", "prod-us"]),
      };
    },
  };
}

/** Either event of the topic. */
export type Event = RunCompleted | TestRetired;

export const isRun = (e: Event): e is RunCompleted => "runId" in e;

/**
 * A retirement of the identity (test, namespace, cluster) of one of `runs`, at or around one of
 * its runs' completion: before some of its runs and after others, in any order of arrival.
 */
export function retirementOf(random: Random, runs: readonly RunCompleted[]): TestRetired {
  const r = runs[random.int(0, runs.length - 1)] as RunCompleted;
  const shift = random.pick([-1, 0, 0, 1, random.int(-DAY, DAY)]);
  return {
    test: r.test,
    namespace: r.namespace,
    cluster: r.cluster,
    retiredAt: Math.max(0, r.completedAt + shift),
    reason: random.chance(0.5) ? null : "deleted",
  };
}
