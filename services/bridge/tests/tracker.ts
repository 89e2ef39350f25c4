/**
 * Which RestoreTests were deleted, from what the list-watch sees: a DELETED event, or a test
 * known before a relist that the relist no longer returns (its DELETED event fell in an outage).
 * Each deletion is reported once. Pure: no Kubernetes, no Kafka, no clock.
 */
import { objectKey } from "../kube/object.ts";

export interface DeletedTest {
  namespace: string;
  test: string;
}

export interface TestTracker {
  observe(restoreTest: unknown): void;
  deleted(restoreTest: unknown): DeletedTest | undefined;
  /** After a relist: the known tests missing from it, now forgotten. */
  relisted(restoreTests: readonly unknown[]): DeletedTest[];
  size(): number;
}

function split(key: string): DeletedTest {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), test: key.slice(slash + 1) };
}

export function createTestTracker(): TestTracker {
  const known = new Set<string>();
  return {
    observe(restoreTest) {
      const key = objectKey(restoreTest);
      if (key !== undefined) known.add(key);
    },
    deleted(restoreTest) {
      const key = objectKey(restoreTest);
      if (key === undefined || !known.delete(key)) return undefined;
      return split(key);
    },
    relisted(restoreTests) {
      const present = new Set<string>();
      for (const t of restoreTests) {
        const key = objectKey(t);
        if (key !== undefined) present.add(key);
      }
      const gone: DeletedTest[] = [];
      for (const key of known) if (!present.has(key)) gone.push(split(key));
      known.clear();
      for (const key of present) known.add(key);
      return gone;
    },
    size: () => known.size,
  };
}
