/**
 * Where a deleted RestoreTest goes. Publishing a TestRetired event needs that event in the
 * contract (the lifecycle issue, #14); until it exists the bridge only detects, logs and counts
 * deletions through NOT_YET_PUBLISHED. A publisher of TestRetired plugs in here, without
 * touching the watch or the tracker.
 */
import type { DeletedTest } from "./tracker.ts";

export interface RetirementPublisher {
  /** False while deletions cannot be published (they are logged and counted only). */
  readonly publishes: boolean;
  /** Resolves once the retirement is acknowledged; rejects to be retried. */
  retire(test: DeletedTest): Promise<void>;
}

export const NOT_YET_PUBLISHED: RetirementPublisher = {
  publishes: false,
  retire: () => Promise.reject(new Error("TestRetired is not part of the event contract yet")),
};
