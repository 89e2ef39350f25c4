/**
 * Ground truth, byte for byte: the domain exposition the service must serve for a log,
 * rendered here from docs/metrics.md ("What the values are") alone (no service code): the five
 * families in the reference's order, each with # HELP (the reference's description) and
 * # TYPE, tests in JavaScript string order, Prometheus text format, no timestamps, durations
 * and backup ages as exact decimal seconds from integer milliseconds. As README.md's "Retiring
 * tests" says, a run counts only when it completed after its identity's (test, namespace,
 * cluster) latest retirement; identities of one name make one series (the default labels).
 */
import type { RunCompleted, TestRetired } from "../../../services/contract/index.ts";
import { expectedSamples } from "../../support/model.ts";

const FAMILIES = [
  [
    "kymaros_tests_total",
    "counter",
    "Total number of completed test runs, partitioned by test name and outcome.",
  ],
  ["kymaros_score", "gauge", "Current confidence score (0–100) for the most recent run of each test."],
  [
    "kymaros_rto_seconds",
    "gauge",
    "Measured restore duration in seconds for the most recent run of each test.",
  ],
  [
    "kymaros_test_duration_seconds",
    "histogram",
    "Full test execution duration in seconds. Exponential buckets from 60s to 7680s.",
  ],
  [
    "kymaros_backup_age_seconds",
    "gauge",
    "Age of the backup that was restored, in seconds, as of the most recent run.",
  ],
] as const;

const DOMAIN_NAMES: ReadonlySet<string> = new Set(FAMILIES.map((f) => f[0]));
const BUCKETS_S = [60, 120, 240, 480, 960, 1920, 3840, 7680];

function escapeLabel(v: string): string {
  let out = "";
  for (const c of v) out += c === "\\" ? "\\\\" : c === '"' ? '\\"' : c === "\n" ? "\\n" : c;
  return out;
}

/** Integer milliseconds as exact decimal seconds, by integer arithmetic only. */
export function msToSeconds(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new Error(`not an integer number of ms: ${ms}`);
  const sign = ms < 0 ? "-" : "";
  const abs = BigInt(Math.abs(ms));
  const whole = abs / 1000n;
  const frac = (abs % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
  return `${sign}${whole}${frac ? `.${frac}` : ""}`;
}

/** A gauge holding a double: the shortest representation that reads back as the same double. */
function double(v: number): string {
  if (Number.isNaN(v) || !Number.isFinite(v)) throw new Error(`unexpected value ${v}`);
  return Object.is(v, -0) ? "0" : String(v);
}

/** (completedAt, runId, namespace, cluster) descending: the latest run first. */
function newerFirst(a: RunCompleted, b: RunCompleted): number {
  if (a.completedAt !== b.completedAt) return b.completedAt - a.completedAt;
  for (const [x, y] of [
    [a.runId, b.runId],
    [a.namespace, b.namespace],
    [a.cluster ?? "", b.cluster ?? ""],
  ]) {
    if (x !== y) return (x as string) > (y as string) ? -1 : 1;
  }
  return 0;
}

const identity = (e: RunCompleted | TestRetired) => `${e.namespace}\u0000${e.cluster ?? ""}`;

/**
 * Distinct runs per test name: the first occurrence of an (identity, runId) in log order wins;
 * those completed at or before their identity's latest retirement are left out.
 */
export function distinctByTest(
  log: readonly RunCompleted[],
  retirements: readonly TestRetired[] = [],
): Map<string, RunCompleted[]> {
  const retiredAt = new Map<string, number>();
  for (const r of retirements) {
    const k = `${r.test}\u0000${identity(r)}`;
    retiredAt.set(k, Math.max(retiredAt.get(k) ?? Number.NEGATIVE_INFINITY, r.retiredAt));
  }
  const byTest = new Map<string, Map<string, RunCompleted>>();
  for (const run of log) {
    let runs = byTest.get(run.test);
    if (!runs) {
      runs = new Map();
      byTest.set(run.test, runs);
    }
    const key = `${identity(run)}\u0000${run.runId}`;
    if (!runs.has(key)) runs.set(key, run);
  }
  const out = new Map<string, RunCompleted[]>();
  for (const [test, runs] of byTest) {
    const live = [...runs.values()].filter(
      (r) => r.completedAt > (retiredAt.get(`${test}\u0000${identity(r)}`) ?? Number.NEGATIVE_INFINITY),
    );
    if (live.length > 0) out.set(test, live);
  }
  return out;
}

/** The domain part of /metrics for this log, as it must be served. */
export function renderDomain(log: readonly RunCompleted[], retirements: readonly TestRetired[] = []): string {
  const byTest = distinctByTest(log, retirements);
  const names = [...byTest.keys()].sort();
  const parts: string[][] = FAMILIES.map(([name, type, help]) => [
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`,
  ]);
  const [total, score, rto, duration, age] = parts as [string[], string[], string[], string[], string[]];
  for (const test of names) {
    const runs = (byTest.get(test) as RunCompleted[]).slice().sort(newerFirst);
    const l = `test="${escapeLabel(test)}"`;
    for (const result of ["pass", "fail", "partial"]) {
      total.push(
        `kymaros_tests_total{${l},result="${result}"} ${runs.filter((r) => r.result === result).length}\n`,
      );
    }
    score.push(`kymaros_score{${l}} ${(runs[0] as RunCompleted).score}\n`);
    const withRto = runs.find((r) => r.rtoSeconds !== null);
    if (withRto) rto.push(`kymaros_rto_seconds{${l}} ${double(withRto.rtoSeconds as number)}\n`);
    const ms = runs.map((r) => r.completedAt - r.startedAt);
    for (const b of BUCKETS_S) {
      duration.push(
        `kymaros_test_duration_seconds_bucket{${l},le="${b}"} ${ms.filter((d) => d <= b * 1000).length}\n`,
      );
    }
    duration.push(`kymaros_test_duration_seconds_bucket{${l},le="+Inf"} ${ms.length}\n`);
    duration.push(`kymaros_test_duration_seconds_sum{${l}} ${msToSeconds(ms.reduce((a, b) => a + b, 0))}\n`);
    duration.push(`kymaros_test_duration_seconds_count{${l}} ${ms.length}\n`);
    const withBackup = runs.find((r) => r.backupCreatedAt !== null);
    if (withBackup) {
      age.push(
        `kymaros_backup_age_seconds{${l}} ${msToSeconds(withBackup.startedAt - (withBackup.backupCreatedAt as number))}\n`,
      );
    }
  }
  return parts.map((p) => p.join("")).join("");
}

/**
 * Cross-check of the renderer with the numeric model of test/support/model.ts: the same series,
 * the same values. Returns the disagreements (none expected).
 */
export function crossCheck(
  rendered: string,
  log: readonly RunCompleted[],
  retirements: readonly TestRetired[] = [],
): string[] {
  const model = expectedSamples(log, retirements);
  const ours = new Map<string, number>();
  for (const line of rendered.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    ours.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  const problems: string[] = [];
  for (const [k, v] of model)
    if (ours.get(k) !== v) problems.push(`${k}: model ${v}, renderer ${ours.get(k)}`);
  for (const k of ours.keys()) if (!model.has(k)) problems.push(`${k}: only in the renderer`);
  return problems.slice(0, 10);
}

/** The domain part of a /metrics body: everything before the first family that is not ours. */
export function domainPart(body: string): string {
  let end = 0;
  while (end < body.length) {
    const next = body.indexOf("\n", end);
    const line = body.slice(end, next === -1 ? body.length : next);
    const m = /^# (HELP|TYPE) (\S+)/.exec(line);
    if (m && !DOMAIN_NAMES.has(m[2] as string)) break;
    if (!m && !line.startsWith("kymaros_")) break;
    if (!m && line.startsWith("kymaros_api_")) break;
    end = next === -1 ? body.length : next + 1;
  }
  return body.slice(0, end);
}

/** Where two texts first differ, for a failure message. */
export function firstDifference(actual: string, expected: string): string {
  const a = actual.split("\n");
  const e = expected.split("\n");
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) {
      return `line ${i + 1}: served ${JSON.stringify(a[i] ?? "<end>")}, expected ${JSON.stringify(e[i] ?? "<end>")} (served ${a.length} lines, expected ${e.length})`;
    }
  }
  return "identical";
}
