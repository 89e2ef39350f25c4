/**
 * Kymaros's own Kubernetes objects (restore.kymaros.io/v1alpha1) mapped to our events:
 * RestoreReports to runs, RestoreTests to what exists (prune) and to the failed runs no report
 * covers, and the RFC 3339 and Go
 * duration strings those objects carry. Used by kymaros-backfill and kymaros-bridge.
 */
export { parseGoDuration, parseGoDurationNanos } from "./go-duration.ts";
export { prunable, restoreTestKeys } from "./prune.ts";
export {
  type Conversion,
  type ConvertedReport,
  type ConvertOptions,
  classifyReport,
  convertReports,
  reportItems,
  reportToRun,
  type SkippedReport,
} from "./restore-report.ts";
export {
  type FailedRunOptions,
  failedRunId,
  failedRunOf,
  lastReportOf,
  reportNameOf,
  reportStamp,
} from "./restore-test.ts";
export { formatRfc3339, parseRfc3339, parseTimestamp } from "./rfc3339.ts";
