/**
 * Which RestoreTests were deleted, from what the list-watch sees: a DELETED event, or a test
 * known before a relist that the relist no longer returns (its DELETED event fell in an outage).
 * Each deletion is reported once, with the object's metadata.deletionTimestamp when the API
 * server set one (Kymaros's finalizer makes it do so, on a MODIFIED event before the DELETED).
 * Pure: no Kubernetes, no Kafka, no clock.
 */
import { parseRfc3339 } from "../../kymaros/index.ts";
import { inScope, objectKey } from "../kube/object.ts";

export interface DeletedTest {
  namespace: string;
  test: string;
  /** metadata.deletionTimestamp (epoch ms) of the last version seen; null when it had none. */
  deletedAt: number | null;
}

export interface TestTracker {
  observe(restoreTest: unknown): void;
  deleted(restoreTest: unknown): DeletedTest | undefined;
  /** After a relist of a namespace (null: all): its known tests missing from it, now forgotten. */
  relisted(restoreTests: readonly unknown[], namespace?: string | null): DeletedTest[];
  size(): number;
}

/** metadata.deletionTimestamp in epoch ms; null when absent or unreadable (the caller's clock decides). */
export function deletionTimestamp(object: unknown): number | null {
  const metadata = (object as { metadata?: { deletionTimestamp?: unknown } } | null)?.metadata;
  const raw = metadata?.deletionTimestamp;
  if (typeof raw !== "string") return null;
  try {
    return parseRfc3339(raw, "metadata.deletionTimestamp");
  } catch {
    return null;
  }
}

function split(key: string, deletedAt: number | null): DeletedTest {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), test: key.slice(slash + 1), deletedAt };
}

export function createTestTracker(): TestTracker {
  const known = new Map<string, number | null>();
  return {
    observe(restoreTest) {
      const key = objectKey(restoreTest);
      if (key !== undefined) known.set(key, deletionTimestamp(restoreTest));
    },
    deleted(restoreTest) {
      const key = objectKey(restoreTest);
      if (key === undefined || !known.has(key)) return undefined;
      const seen = known.get(key) ?? null;
      known.delete(key);
      return split(key, deletionTimestamp(restoreTest) ?? seen);
    },
    relisted(restoreTests, namespace = null) {
      const present = new Map<string, number | null>();
      for (const t of restoreTests) {
        const key = objectKey(t);
        if (key !== undefined) present.set(key, deletionTimestamp(t));
      }
      const gone: DeletedTest[] = [];
      for (const [key, deletedAt] of known) {
        if (!inScope(key, namespace) || present.has(key)) continue;
        gone.push(split(key, deletedAt));
        known.delete(key);
      }
      for (const [key, deletedAt] of present) known.set(key, deletedAt);
      return gone;
    },
    size: () => known.size,
  };
}
