/**
 * Sample runs for the demo: the tests of the metrics reference (my-app-nightly,
 * orders-db-validation) and two more, over the last week, with passes, failures and partials.
 * Two tests' runners write schema v1 (no cluster) and two write v2 with a cluster; each test
 * keeps one namespace and one cluster throughout, since a test name seen with two identities
 * is what the service warns about. Run ids are fixed, so publishing them twice changes nothing.
 */
import type { RunCompleted } from "../../services/contract/index.ts";
import { createProducer } from "../../services/producer/index.ts";

const DAY = 86_400_000;
const now = Date.now();
const today3am = Math.floor(now / DAY) * DAY + 3 * 3_600_000;

interface Plan {
  test: string;
  namespace: string;
  /** Per day, oldest first: result, score, restore seconds, whole test seconds, backup age seconds. */
  days: [RunCompleted["result"], number, number | null, number, number | null][];
  rtoTarget: number;
  /** The cluster its runner writes (schema v2), or null for a v1 runner. */
  cluster: string | null;
}

const plans: Plan[] = [
  {
    test: "my-app-nightly",
    cluster: "demo-cluster",
    namespace: "my-app",
    rtoTarget: 900,
    days: [
      ["pass", 97, 640, 430, 13_900],
      ["pass", 95, 702, 455, 14_100],
      ["fail", 38, 1250, 1310, 86_400],
      ["pass", 94, 688, 470, 14_250],
      ["pass", 96, 671, 440, 14_030],
      ["pass", 98, 655, 420, 14_300],
      ["pass", 96, 695, 465, 14_412],
    ],
  },
  {
    test: "orders-db-validation",
    cluster: null,
    namespace: "orders",
    rtoTarget: 900,
    days: [
      ["pass", 91, 840, 1020, 17_500],
      ["partial", 71, 930, 1190, 17_900],
      ["pass", 88, 860, 1040, 17_700],
      ["partial", 64, 1010, 1400, 18_100],
      ["pass", 90, 850, 990, 17_800],
      ["fail", 42, 1105, 1650, 18_008],
    ],
  },
  {
    test: "payments-api-weekly",
    cluster: "demo-cluster",
    namespace: "payments",
    rtoTarget: 1800,
    days: [
      ["pass", 99, 1520, 2900, 40_000],
      ["pass", 100, 1480, 2750, 39_000],
    ],
  },
  {
    test: "config-store-smoke",
    cluster: null,
    namespace: "platform",
    rtoTarget: 300,
    // A validation-only test: no restore, so no RTO and no backup.
    days: [
      ["pass", 100, null, 50, null],
      ["pass", 100, null, 55, null],
      ["pass", 100, null, 48, null],
    ],
  },
];

export function sampleRuns(): RunCompleted[] {
  const runs: RunCompleted[] = [];
  for (const plan of plans) {
    plan.days.forEach(([result, score, rto, seconds, backupAge], i) => {
      const startedAt = today3am - (plan.days.length - i) * DAY;
      const stamp = new Date(startedAt).toISOString().slice(0, 10).replaceAll("-", "");
      runs.push({
        runId: `${plan.test}-${stamp}-030000`,
        test: plan.test,
        namespace: plan.namespace,
        result,
        score,
        startedAt,
        completedAt: startedAt + seconds * 1000,
        rtoSeconds: rto,
        backupName: backupAge === null ? null : `${plan.test}-backup-${stamp}`,
        backupCreatedAt: backupAge === null ? null : startedAt - backupAge * 1000,
        rtoTargetSeconds: plan.rtoTarget,
        cluster: plan.cluster,
      });
    });
  }
  return runs;
}

async function main(): Promise<void> {
  const producer = createProducer();
  try {
    const runs = sampleRuns();
    // Old runners write v1 (no cluster), new ones v2: the service reads both.
    const v1 = runs.filter((r) => r.cluster === null);
    const v2 = runs.filter((r) => r.cluster !== null);
    await producer.publishMany(v1, { schemaVersion: 1 });
    await producer.publishMany(v2, { schemaVersion: 2 });
    process.stderr.write(
      `demo: published ${runs.length} runs of ${plans.length} tests to ${producer.topic} ` +
        `(${v1.length} by schema v1 runners, ${v2.length} by v2 runners with a cluster)\n`,
    );
  } finally {
    await producer.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
