/**
 * The reference's PromQL examples and the form docs/replicas-and-shards.md documents for replicas:
 * the same query with the replicas collapsed first by `max without (instance, pod)` (every
 * replica of a shard serves the same series; shards serve disjoint tests, so nothing else
 * changes). Whitespace as in the reference; compare normalised.
 */
export const REPLICA_SAFE: ReadonlyArray<readonly [reference: string, replicaSafe: string]> = [
  [
    'kymaros_score{test="my-app-nightly"}',
    'max without (instance, pod) (kymaros_score{test="my-app-nightly"})',
  ],
  ["kymaros_score < 70", "min without (instance, pod) (kymaros_score) < 70"],
  [
    'sum(increase(kymaros_tests_total{result="pass"}[7d]))\n/\nsum(increase(kymaros_tests_total[7d]))',
    'sum(max without (instance, pod) (increase(kymaros_tests_total{result="pass"}[7d])))\n/\nsum(max without (instance, pod) (increase(kymaros_tests_total[7d])))',
  ],
  [
    'increase(kymaros_tests_total{result="fail"}[24h])\n/\nincrease(kymaros_tests_total[24h])',
    'max without (instance, pod) (increase(kymaros_tests_total{result="fail"}[24h]))\n/\nmax without (instance, pod) (increase(kymaros_tests_total[24h]))',
  ],
  ["kymaros_rto_seconds > 900", "max without (instance, pod) (kymaros_rto_seconds) > 900"],
  [
    "histogram_quantile(0.95, sum by (le) (rate(kymaros_test_duration_seconds_bucket[24h])))",
    "histogram_quantile(0.95, sum by (le) (max without (instance, pod) (rate(kymaros_test_duration_seconds_bucket[24h]))))",
  ],
  [
    "histogram_quantile(\n0.95,\nsum by (test, le) (rate(kymaros_test_duration_seconds_bucket[24h]))\n)",
    "histogram_quantile(\n0.95,\nsum by (test, le) (max without (instance, pod) (rate(kymaros_test_duration_seconds_bucket[24h])))\n)",
  ],
  [
    "avg(kymaros_backup_age_seconds) / 3600",
    "avg(max without (instance, pod) (kymaros_backup_age_seconds)) / 3600",
  ],
];

export const normalisePromql = (expr: string): string => expr.replace(/\s+/g, " ").trim();

/** The replica-safe form of a reference example (by its normalised text), or undefined. */
export function replicaSafe(reference: string): string | undefined {
  const key = normalisePromql(reference);
  return REPLICA_SAFE.find(([r]) => normalisePromql(r) === key)?.[1];
}
