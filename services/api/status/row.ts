/**
 * One row of the status page's tests table: what one series group of /metrics shows, plus the
 * latest run's result, completion time and RTO target. Made on the ingest worker from the same
 * merged values its /metrics lines are rendered from, and shipped with that snapshot, so the page
 * and /metrics never disagree. The field names are the JSON API's (docs/status.md): stable.
 */
import type { Result } from "../../contract/index.ts";

export interface TestRow {
  test: string;
  /** Only when KYMAROS_TEST_IDENTITY keeps namespaces (or clusters) apart, as the series' labels do. */
  namespace?: string;
  cluster?: string;
  /** The latest run's result, and when it completed (RFC 3339, UTC). */
  result: Result;
  completedAt: string;
  /** kymaros_score. */
  score: number;
  /** kymaros_rto_seconds, and the target its run carried; null when no run of the life carries an RTO. */
  rtoSeconds: number | null;
  rtoTargetSeconds: number | null;
  /** kymaros_backup_age_seconds; null when no run carries a backup time. */
  backupAgeSeconds: number | null;
  /** kymaros_tests_total by result. */
  runs: Record<Result, number>;
}

/** The reference's threshold: a score below it is marked. */
export const SCORE_THRESHOLD = 70;
