/**
 * End to end: runs published through the producer SDK -> Kafka -> kymaros-api -> a real
 * Prometheus that scrapes it with docs/metrics.md's scrape config and evaluates the alert rules of
 * k8s/base/prometheusrule.yaml. Every PromQL example of docs/metrics.md is evaluated as the page
 * has it over Prometheus's HTTP API and compared with values computed here from the published
 * runs.
 *
 * Counters and rate()/increase(): Prometheus counts no increase for a series' first sample, and
 * extrapolates an increase to the range's edges. So the runs are published in two phases:
 *  1. a baseline, visible on /metrics before Prometheus starts, so that every series Prometheus
 *     ever sees first appears in its very first scrape (all series share their sample times);
 *  2. after a few scrapes, the runs whose increase is measured.
 * The expected increases are the runs of phase 2. Prometheus multiplies each series' increase
 * by (sampled interval + extension at start + extension at end) / sampled interval. The end
 * extension is the same for every series (same sample times, same evaluation time); the start
 * extension is the same for every series whose increase is positive provided that its baseline
 * value b and increase d satisfy b/d >= 1.1/(samples-1) (then Prometheus extends by half the
 * mean sample spacing instead of to the counter's extrapolated zero point). The baseline holds a
 * run of every result each test has later and only sub-60s durations (so every bucket starts at
 * >= 1), and the test waits for enough samples: then one factor scales every increase, and it
 * cancels in every ratio the reference uses (pass rate, failure rate, histogram_quantile), up to
 * floating-point rounding, hence a relative tolerance of 1e-9.
 *
 * The suite runs twice: against one instance with the reference's expressions verbatim, and
 * against two replicas (two targets of the job) with the form docs/replicas-and-shards.md gives, each
 * example with the replicas collapsed by `max without (instance, pod)` (test/support/
 * replica-promql.ts). Each replica's increases carry their target's one factor, so the max over
 * the replicas takes every series from the target with the larger factor, and the ratios still
 * cancel: the answers must be the single instance's, and the alerts fire once per test.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Result, RunCompleted } from "../../services/contract/index.ts";
import { createProducer, type RunProducer } from "../../services/producer/index.ts";
import { domainSamples } from "../support/exposition.ts";
import { testBrokers, uniqueTopic } from "../support/kafka.ts";
import { readMetricsDoc } from "../support/metrics-doc.ts";
import { expectedSamples, numericSamples } from "../support/model.ts";
import { type RunningPrometheus, type Sample, startPrometheus } from "../support/prometheus.ts";
import { checkMetrics } from "../support/promtool.ts";
import { replicaSafe } from "../support/replica-promql.ts";
import { run } from "../support/runs.ts";
import { type RunningService, scrape, startService, waitFor, waitReady } from "../support/service.ts";

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 10, 1, 3, 0, 0);
const BOUNDS = [60, 120, 240, 480, 960, 1920, 3840, 7680];
const RELATIVE = 1e-9;

/** docs/metrics.md's PromQL examples by title. */
const EXAMPLES = new Map(readMetricsDoc().promql);

interface RunSpec {
  test: string;
  day: number;
  result: Result;
  score: number;
  durationS: number;
  rto: number | null;
  backupAgeS: number | null;
}

function toRun(s: RunSpec, phase: string, index: number): RunCompleted {
  const startedAt = BASE + s.day * DAY;
  return run({
    runId: `${s.test}-${phase}-${index}`,
    test: s.test,
    namespace: "prod",
    result: s.result,
    score: s.score,
    startedAt,
    completedAt: startedAt + s.durationS * 1000,
    rtoSeconds: s.rto,
    backupName: s.backupAgeS === null ? null : `${s.test}-backup-${phase}-${index}`,
    backupCreatedAt: s.backupAgeS === null ? null : startedAt - s.backupAgeS * 1000,
    rtoTargetSeconds: 900,
  });
}

const spec = (
  test: string,
  day: number,
  result: Result,
  score: number,
  durationS: number,
  rto: number | null,
  backupAgeS: number | null,
): RunSpec => ({ test, day, result, score, durationS, rto, backupAgeS });

const APP = "my-app-nightly";
const ORDERS = "orders-db-validation";
const PAYMENTS = "payments-api-weekly";
const INVENTORY = "inventory-cache";

/** Phase 1: older runs, 45 s each (below every bucket bound), every result each test has later. */
const baseline: RunCompleted[] = [
  spec(APP, -20, "pass", 90, 45, 600, 10_000),
  spec(APP, -19, "pass", 91, 45, 610, 10_100),
  spec(APP, -18, "fail", 30, 45, 620, 10_200),
  spec(ORDERS, -20, "pass", 80, 45, 700, 11_000),
  spec(ORDERS, -19, "partial", 60, 45, 710, 11_100),
  spec(ORDERS, -18, "fail", 20, 45, 720, 11_200),
  spec(PAYMENTS, -20, "fail", 15, 45, 800, 12_000),
  spec(PAYMENTS, -19, "pass", 85, 45, 810, 12_100),
  spec(INVENTORY, -20, "pass", 75, 45, 90, 500),
  // The latest baseline run of inventory-cache fails: KymarosTestFailed fires, then resolves.
  spec(INVENTORY, -19, "partial", 20, 45, 91, 510),
].map((s, i) => toRun(s, "baseline", i));

/** Phase 2: the runs whose increases are measured. Latest runs carry the reference's values. */
const measured: RunCompleted[] = [
  spec(APP, 0, "pass", 95, 700, 680, 14_000),
  spec(APP, 1, "pass", 97, 650, 640, 14_100),
  spec(APP, 2, "fail", 40, 1300, 1250, 14_200),
  spec(APP, 3, "pass", 93, 500, 510, 14_300),
  spec(APP, 4, "pass", 94, 470, 480, 14_350),
  spec(APP, 5, "pass", 92, 610, 600, 14_380),
  spec(APP, 6, "pass", 95, 430, 420, 14_390),
  spec(APP, 7, "fail", 55, 2500, 2400, 14_400),
  spec(APP, 8, "pass", 98, 820, 800, 14_405),
  spec(APP, 9, "pass", 96, 700, 695, 14_412),
  spec(ORDERS, 0, "pass", 88, 900, 870, 17_000),
  spec(ORDERS, 1, "partial", 61, 2000, 1500, 17_500),
  spec(ORDERS, 2, "fail", 10, 3000, 2950, 17_800),
  spec(ORDERS, 3, "pass", 85, 950, 940, 17_900),
  spec(ORDERS, 4, "partial", 42, 1500, 1105.25, 18_008),
  spec(PAYMENTS, 0, "pass", 91, 4000, 880, 3600),
  // RTO exactly 900: not "> 900". Its latest run had no restore: no RTO, no backup.
  spec(PAYMENTS, 1, "fail", 25, 8000, 900, 7200),
  spec(PAYMENTS, 2, "fail", 12, 5000, null, null),
  spec(INVENTORY, 0, "pass", 88, 100, 95, 600),
  spec(INVENTORY, 1, "partial", 65, 200, 190, 1200),
  // Score exactly 70: not "< 70". RTO 901.5 exceeds 900. No backup on the latest run.
  spec(INVENTORY, 2, "pass", 70, 110, 901.5, null),
].map((s, i) => toRun(s, "measured", i));

/** Published out of time order (latest is by completedAt, not arrival): a fixed permutation. */
const publishOrder = measured.map((_, i) => measured[(i * 8) % measured.length] as RunCompleted);

// ---- the expected values, from the runs above only ------------------------------------------

const TESTS = [APP, ORDERS, PAYMENTS, INVENTORY];
const all = [...baseline, ...measured];
const runsOf = (log: readonly RunCompleted[], test: string) => log.filter((r) => r.test === test);
const latestOf = (runs: readonly RunCompleted[]) =>
  [...runs].sort((a, b) => a.completedAt - b.completedAt || (a.runId < b.runId ? -1 : 1)).at(-1);

function gauges(test: string): { score: number; rto: number | undefined; backupAge: number | undefined } {
  const runs = runsOf(all, test);
  const latest = latestOf(runs) as RunCompleted;
  const withRto = latestOf(runs.filter((r) => r.rtoSeconds !== null));
  const withBackup = latestOf(runs.filter((r) => r.backupCreatedAt !== null));
  return {
    score: latest.score,
    rto: withRto?.rtoSeconds ?? undefined,
    backupAge: withBackup
      ? (withBackup.startedAt - (withBackup.backupCreatedAt as number)) / 1000
      : undefined,
  };
}

const count = (log: readonly RunCompleted[], test: string | undefined, result?: Result) =>
  log.filter((r) => (test === undefined || r.test === test) && (result === undefined || r.result === result))
    .length;

/** Cumulative bucket counts [le=60, ..., le=7680, +Inf] of the runs' durations. */
function cumulativeBuckets(log: readonly RunCompleted[]): number[] {
  const durations = log.map((r) => (r.completedAt - r.startedAt) / 1000);
  return [...BOUNDS, Number.POSITIVE_INFINITY].map((le) => durations.filter((d) => d <= le).length);
}

/**
 * The q-quantile Prometheus's histogram_quantile reports for cumulative bucket counts: the first
 * bucket whose count reaches rank = q * total, linear interpolation inside it (the lowest bucket
 * starts at 0), and the highest finite bound when the rank falls into the +Inf bucket.
 */
function histogramQuantile(q: number, cumulative: readonly number[]): number {
  const total = cumulative.at(-1) as number;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  const b = cumulative.findIndex((c) => c >= rank);
  if (b === BOUNDS.length) return BOUNDS.at(-1) as number;
  const start = b === 0 ? 0 : (BOUNDS[b - 1] as number);
  const below = b === 0 ? 0 : (cumulative[b - 1] as number);
  const end = BOUNDS[b] as number;
  return start + ((end - start) * (rank - below)) / ((cumulative[b] as number) - below);
}

/** Samples needed so that every series' start extension is the same (see the header comment). */
function samplesNeeded(): number {
  let worst = 0;
  for (const test of TESTS) {
    const pairs: Array<[number, number]> = [
      ...(["pass", "fail", "partial"] as const).map((r): [number, number] => [
        count(baseline, test, r),
        count(measured, test, r),
      ]),
      ...cumulativeBuckets(runsOf(baseline, test)).map((b, i): [number, number] => [
        b,
        cumulativeBuckets(runsOf(measured, test))[i] as number,
      ]),
    ];
    for (const [b, d] of pairs) {
      if (d === 0) continue;
      assert.ok(b > 0, `${test}: a series that increases needs a baseline value`);
      worst = Math.max(worst, d / b);
    }
  }
  return Math.ceil(1.1 * worst) + 1;
}

// ---- comparing query results --------------------------------------------------------------------

function close(actual: number, expected: number, what: string): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
    return;
  }
  const diff = Math.abs(actual - expected);
  assert.ok(
    diff <= RELATIVE * Math.abs(expected),
    `${what}: got ${actual}, expected ${expected} (relative tolerance ${RELATIVE})`,
  );
}

/** Query result as label-of-interest -> value. */
function byLabel(samples: readonly Sample[], label: string): Map<string, number> {
  return new Map(samples.map((s) => [s.metric[label] ?? "", Number(s.value)]));
}

function single(samples: readonly Sample[], what: string): number {
  assert.equal(samples.length, 1, `${what}: expected one sample, got ${JSON.stringify(samples)}`);
  return Number((samples[0] as Sample).value);
}

// ---- the test -------------------------------------------------------------------------------------

for (const replicas of [1, 2] as const)
  describe(`kymaros-api scraped by a real Prometheus, ${replicas === 1 ? "one instance" : "two replicas"}`, {
    timeout: 90_000,
  }, () => {
    const topic = uniqueTopic("e2e");
    let service: RunningService | undefined;
    const others: RunningService[] = [];
    let prometheus: RunningPrometheus | undefined;
    /** Each example this suite evaluates is recorded. */
    const evaluated = new Set<string>();
    /** docs/metrics.md's example of that title, as this suite queries it. */
    const example = (title: string): string => {
      const reference = EXAMPLES.get(title);
      assert.ok(reference, `docs/metrics.md has no PromQL example titled "${title}"`);
      evaluated.add(title);
      if (replicas === 1) return reference;
      const safe = replicaSafe(reference);
      assert.ok(safe, `no documented replica-safe form for ${reference}`);
      return safe;
    };
    /** The dashboard's fail/total per test, with the replicas collapsed first when there are two. */
    const perReplica = (selector: string): string =>
      replicas === 1
        ? `increase(${selector}[24h])`
        : `max without (instance, pod) (increase(${selector}[24h]))`;
    let producer: RunProducer | undefined;
    /** Evaluation time of every query, once the measured runs are in Prometheus. */
    let at = 0;

    after(async () => {
      await producer?.close();
      await prometheus?.stop();
      await service?.stop();
      for (const s of others) await s.stop();
    });

    const prom = () => prometheus as RunningPrometheus;

    test("baseline, scrapes, measured runs: Prometheus holds the published values", async () => {
      service = await startService({ topic, groupId: `${topic}.group` });
      if (replicas === 2) others.push(await startService({ topic, groupId: `${topic}.group` }));
      await waitReady(service);
      for (const s of others) await waitReady(s);
      producer = createProducer({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic });
      await producer.publishMany(baseline, { schemaVersion: 1 });
      const expectedBaseline = expectedSamples(baseline);
      for (const s of [service, ...others]) {
        await waitFor(
          "the baseline on /metrics",
          async () => {
            const actual = numericSamples(domainSamples(await scrape(s)));
            try {
              assert.deepEqual(actual, expectedBaseline);
              return true;
            } catch {
              return undefined;
            }
          },
          15_000,
          s,
        );
      }

      const addresses = [service, ...others].map((s) => new URL(s.url).host);
      prometheus = await startPrometheus({ target: addresses, interval: "1s" });
      const p = prometheus;
      const samples = async (): Promise<number[]> =>
        (await p.query("count_over_time(kymaros_tests_total[7d])")).map((x) => Number(x.value));
      // A few scrapes of the baseline: the first sample of each series, and some more.
      await waitFor("3 scrapes of the baseline", async () => {
        const n = await samples();
        return n.length === TESTS.length * 3 * replicas && Math.min(...n) >= 3 ? true : undefined;
      });
      // The baseline's failing inventory-cache fires its alert (it resolves once newer runs arrive).
      await waitFor("KymarosTestFailed for the baseline of inventory-cache", async () =>
        (await p.alerts()).some(
          (a) =>
            a.labels.alertname === "KymarosTestFailed" && a.labels.test === INVENTORY && a.state === "firing",
        )
          ? true
          : undefined,
      );

      await producer.publishMany(publishOrder, { schemaVersion: 2 });
      const needed = samplesNeeded() + 2;
      await waitFor(
        "the measured runs in Prometheus, with enough samples",
        async () => {
          const totals = await p.query("kymaros_tests_total");
          if (totals.length !== TESTS.length * 3 * replicas) return undefined;
          for (const t of totals) {
            const test = t.metric.test ?? "";
            if (Number(t.value) !== count(all, test, t.metric.result as Result)) return undefined;
          }
          const n = await samples();
          return new Set(n).size <= replicas && Math.min(...n) >= needed ? true : undefined;
        },
        30_000,
      );
      at = Date.now() / 1000;
      // Every series of a target appeared in one scrape and has the same number of samples.
      const counts = await p.query(
        'count_over_time({__name__=~"kymaros_tests_total|kymaros_test_duration_seconds_bucket"}[7d])',
        at,
      );
      assert.equal(counts.length, TESTS.length * (3 + BOUNDS.length + 1) * replicas);
      for (const address of addresses) {
        const own = counts.filter((c) => c.metric.instance === address);
        assert.equal(new Set(own.map((c) => c.value)).size, 1, JSON.stringify(own));
      }
      assert.equal(single(await p.query('count(up{job="kymaros"} == 1)', at), "up"), replicas);
    });

    test("the whole /metrics endpoint passes promtool check metrics", async () => {
      // Prometheus has scraped it (OpenMetrics) many times by now; this scrape is the text format.
      const body = await scrape(service as RunningService);
      // All of it: the five metrics, the service's own, and the process defaults.
      for (const family of ["kymaros_score", "kymaros_api_events_total", "process_cpu_seconds_total"]) {
        assert.match(body, new RegExp(`^# TYPE ${family} `, "m"));
      }
      assert.match(body, /^kymaros_api_events_total\{outcome="applied"\} \d+$/m);
      const check = checkMetrics(body);
      assert.equal(check.output, "");
      assert.equal(check.code, 0);
    });

    test("Current score for a specific test", async () => {
      const v = single(await prom().query(example("Current score for a specific test"), at), "score");
      assert.equal(v, gauges(APP).score);
      assert.equal(v, 96);
    });

    test("Tests with a score below 70 (failures)", async () => {
      const expected = new Map(TESTS.filter((t) => gauges(t).score < 70).map((t) => [t, gauges(t).score]));
      assert.deepEqual(
        byLabel(await prom().query(example("Tests with a score below 70 (failures)"), at), "test"),
        expected,
      );
      assert.deepEqual(
        expected,
        new Map([
          [ORDERS, 42],
          [PAYMENTS, 12],
        ]),
      );
    });

    test("Overall pass rate across all tests (last 7 days)", async (t) => {
      // The increase itself is extrapolated (so only ratios are compared); shown for the record.
      const total = single(
        await prom().query(
          replicas === 1
            ? "sum(increase(kymaros_tests_total[7d]))"
            : "sum(max without (instance, pod) (increase(kymaros_tests_total[7d])))",
          at,
        ),
        "increase",
      );
      t.diagnostic(`sum(increase(kymaros_tests_total[7d])) = ${total} for ${measured.length} runs`);
      const v = single(
        await prom().query(example("Overall pass rate across all tests (last 7 days)"), at),
        "pass rate",
      );
      close(v, count(measured, undefined, "pass") / measured.length, "pass rate");
    });

    test("Failure rate per test (last 24 hours), verbatim: 1 where a test failed, NaN where not", async () => {
      // Without an aggregation, `/` matches series with identical labels: the only right-hand
      // series a {result="fail"} series matches is itself, so the reference expression gives
      // fail/fail per test (1, or NaN for 0/0), not fail/total. Checked as Prometheus computes it.
      const actual = await prom().query(example("Failure rate per test (last 24 hours)"), at);
      assert.deepEqual(
        actual.map((s) => s.metric.result),
        TESTS.map(() => "fail"),
      );
      const got = byLabel(actual, "test");
      assert.deepEqual([...got.keys()].sort(), [...TESTS].sort());
      for (const test of TESTS) {
        close(got.get(test) as number, count(measured, test, "fail") > 0 ? 1 : Number.NaN, test);
      }
    });

    test("Failure rate per test (last 24 hours), as fail/total per test (sum by test)", async () => {
      const got = byLabel(
        await prom().query(
          `sum by (test) (${perReplica('kymaros_tests_total{result="fail"}')})\n/\nsum by (test) (${perReplica("kymaros_tests_total")})`,
          at,
        ),
        "test",
      );
      assert.deepEqual([...got.keys()].sort(), [...TESTS].sort());
      for (const test of TESTS) {
        close(got.get(test) as number, count(measured, test, "fail") / count(measured, test), test);
      }
    });

    test("Tests where measured RTO exceeds a threshold (900 s)", async () => {
      const expected = new Map<string, number>();
      for (const t of TESTS) {
        const rto = gauges(t).rto;
        if (rto !== undefined && rto > 900) expected.set(t, rto);
      }
      assert.deepEqual(
        byLabel(
          await prom().query(
            example("Tests where measured RTO exceeds a threshold (e.g., 900 seconds / 15 minutes)"),
            at,
          ),
          "test",
        ),
        expected,
      );
      assert.deepEqual(
        expected,
        new Map([
          [ORDERS, 1105.25],
          [INVENTORY, 901.5],
        ]),
      );
    });

    test("95th percentile test duration across all tests", async () => {
      const v = single(
        await prom().query(example("95th percentile test duration across all tests"), at),
        "p95",
      );
      const expected = histogramQuantile(0.95, cumulativeBuckets(measured));
      close(v, expected, "p95 overall");
      close(expected, 7584, "hand-computed p95 overall");
    });

    test("95th percentile test duration per test", async () => {
      const got = byLabel(await prom().query(example("95th percentile test duration per test"), at), "test");
      const expected = new Map(
        TESTS.map((t) => [t, histogramQuantile(0.95, cumulativeBuckets(runsOf(measured, t)))]),
      );
      assert.deepEqual([...got.keys()].sort(), [...TESTS].sort());
      for (const test of TESTS) close(got.get(test) as number, expected.get(test) as number, test);
      // By hand: interpolation inside a bucket, and a rank in the +Inf bucket (reported as the
      // highest finite bound).
      const byHand: Array<[string, number]> = [
        [APP, 1920 + 1920 * 0.5],
        [ORDERS, 1920 + (1920 * 1.75) / 2],
        [PAYMENTS, 7680],
        [INVENTORY, 120 + 120 * 0.85],
      ];
      for (const [test, value] of byHand) close(expected.get(test) as number, value, `${test} by hand`);
    });

    test("Average backup age across all tests (hours)", async () => {
      const ages = TESTS.map((t) => gauges(t).backupAge).filter((a): a is number => a !== undefined);
      assert.equal(ages.length, TESTS.length);
      const v = single(
        await prom().query(example("Average backup age across all tests (hours)"), at),
        "backup age",
      );
      close(v, ages.reduce((a, b) => a + b, 0) / ages.length / 3600, "average backup age");
    });

    test("every PromQL example of docs/metrics.md was evaluated above", () => {
      assert.deepEqual([...evaluated].sort(), [...EXAMPLES.keys()].sort());
    });

    test("the PrometheusRule's rules are loaded and healthy", async () => {
      const p = prom();
      const rules = await waitFor("every rule evaluated", async () => {
        const r = await p.rules();
        return r.length > 0 && r.every((x) => x.health === "ok") ? r : undefined;
      });
      assert.deepEqual(
        rules.map((r) => `${r.group}/${r.name}`),
        [
          "kymaros/KymarosTestFailed",
          "kymaros/KymarosRTOExceeded",
          "kymaros-bridge/KymarosBridgeAbsent",
          "kymaros-bridge/KymarosBridgeBackupLookupFailing",
          "kymaros-operational/KymarosTestStale",
          "kymaros-operational/KymarosApiDown",
          "kymaros-operational/KymarosApiReplicaDown",
          "kymaros-operational/KymarosApiShardDown",
          "kymaros-operational/KymarosApiAbsent",
          "kymaros-operational/KymarosApiConsumerLag",
          "kymaros-operational/KymarosApiKafkaUnreachable",
          "kymaros-operational/KymarosApiPartitionStale",
          "kymaros-operational/KymarosApiStateGap",
          "kymaros-operational/KymarosBridgeNotReady",
          "kymaros-operational/KymarosBridgeReportPending",
        ],
      );
    });

    test("alerts: KymarosTestFailed for scores < 70, KymarosRTOExceeded for RTO > 900, nothing else", async () => {
      const p = prom();
      const expected: string[] = [];
      for (const t of TESTS) {
        const g = gauges(t);
        if (g.score < 70) {
          expected.push(
            JSON.stringify({
              alertname: "KymarosTestFailed",
              severity: "critical",
              test: t,
              state: "firing",
              value: g.score,
              summary: `Restore test failed: ${t}`,
              description: `Test ${t} scored ${g.score}/100 (threshold: 70)`,
            }),
          );
        }
        if (g.rto !== undefined && g.rto > 900) {
          expected.push(
            JSON.stringify({
              alertname: "KymarosRTOExceeded",
              severity: "warning",
              test: t,
              state: "firing",
              value: g.rto,
              summary: `RTO exceeded for test: ${t}`,
              description: `Test ${t} measured ${g.rto}s RTO`,
            }),
          );
        }
      }
      expected.sort();
      let last: string[] = [];
      const seen = async (): Promise<string[]> =>
        (await p.alerts())
          // No bridge runs here: its absence is pending by design (KymarosBridgeAbsent).
          .filter((a) => a.labels.alertname !== "KymarosBridgeAbsent")
          .map((a) =>
            JSON.stringify({
              alertname: a.labels.alertname,
              severity: a.labels.severity,
              test: a.labels.test,
              state: a.state,
              value: Number(a.value),
              summary: a.annotations.summary,
              description: a.annotations.description,
            }),
          )
          .sort();
      try {
        await waitFor("the expected alerts, and only those", async () => {
          last = await seen();
          return JSON.stringify(last) === JSON.stringify(expected) ? true : undefined;
        });
      } catch (err) {
        assert.deepEqual(last, expected, String(err));
      }
      // Still exactly those after a few more rule evaluations (nothing pending turns up).
      await new Promise((r) => setTimeout(r, 2500));
      assert.deepEqual(await seen(), expected);
      assert.equal(expected.length, 4);
      // Every active alert carries the scrape job's label, and not the replica's (instance).
      for (const a of (await p.alerts()).filter((x) => x.labels.alertname !== "KymarosBridgeAbsent")) {
        assert.equal(a.labels.job, "kymaros");
        assert.equal(a.labels.instance, undefined);
      }
    });
  });
