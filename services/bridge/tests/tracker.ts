/**
 * What the RestoreTests the list-watch sees stand for: deletions, from a DELETED event, a
 * test known before a relist that the relist no longer returns (its DELETED event fell in an
 * outage), or a test seen again under the same name with another UID (deleted and re-created
 * in a gap: the old life ends); and outright failures, runs the status shows that no report
 * covers. Each deletion and each failure is reported once per process, with the
 * deletionTimestamp last seen (Kymaros's finalizer makes the API server set one, on a MODIFIED
 * event before the DELETED). Pure: no Kubernetes, no Kafka, no clock.
 */
import type { RunCompleted } from "../../contract/index.ts";
import { type FailedRunOptions, failedRunOf, parseRfc3339 } from "../../kymaros/index.ts";
import { inScope, objectKey } from "../kube/object.ts";

export interface DeletedTest {
  namespace: string;
  test: string;
  /** metadata.deletionTimestamp (epoch ms) of the last version seen; null when it had none. */
  deletedAt: number | null;
}

/** What one RestoreTest, as listed, added or modified, asks for. */
export interface TestChange {
  /** The life that ended before this one began (same name, another UID). */
  replaced: DeletedTest | null;
  /** An outright failure not reported yet in this process. */
  failed: RunCompleted | null;
}

export interface TestTracker {
  observe(restoreTest: unknown): TestChange;
  deleted(restoreTest: unknown): DeletedTest | undefined;
  /** After a relist of a namespace (null: all): what each listed test asks for, and its known tests missing from it, now forgotten. */
  relisted(
    restoreTests: readonly unknown[],
    namespace?: string | null,
  ): { retired: DeletedTest[]; failed: RunCompleted[] };
  /** The same, a page at a time: only the keys of what was listed are kept until end(). */
  relist(namespace: string | null): TestRelist;
  size(): number;
}

export interface TestRelist {
  page(restoreTests: readonly unknown[]): { retired: DeletedTest[]; failed: RunCompleted[] };
  /** The list is complete: its namespace's known tests not in it, now forgotten. */
  end(): DeletedTest[];
}

function timestampAt(object: unknown, name: string): number | null {
  const metadata = (object as { metadata?: Record<string, unknown> } | null)?.metadata;
  const raw = metadata?.[name];
  if (typeof raw !== "string") return null;
  try {
    return parseRfc3339(raw, `metadata.${name}`);
  } catch {
    return null;
  }
}

/** metadata.deletionTimestamp in epoch ms; null when absent or unreadable (the caller's clock decides). */
export function deletionTimestamp(object: unknown): number | null {
  return timestampAt(object, "deletionTimestamp");
}

function uidOf(object: unknown): string | null {
  const uid = (object as { metadata?: { uid?: unknown } } | null)?.metadata?.uid;
  return typeof uid === "string" && uid !== "" ? uid : null;
}

function split(key: string, deletedAt: number | null): DeletedTest {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), test: key.slice(slash + 1), deletedAt };
}

interface Known {
  uid: string | null;
  deletedAt: number | null;
  /** runId of the last outright failure reported. */
  failedRunId: string | null;
}

export function createTestTracker(options: FailedRunOptions = {}): TestTracker {
  const known = new Map<string, Known>();

  function observe(restoreTest: unknown): TestChange {
    const key = objectKey(restoreTest);
    if (key === undefined) return { replaced: null, failed: null };
    const uid = uidOf(restoreTest);
    let before = known.get(key);
    let replaced: DeletedTest | null = null;
    if (before !== undefined && before.uid !== null && uid !== null && before.uid !== uid) {
      // The old life was deleted before the new one was created: its deletionTimestamp if seen,
      // else the new one's creation, which every run of the old life ended before.
      replaced = split(key, before.deletedAt ?? timestampAt(restoreTest, "creationTimestamp"));
      before = undefined;
    }
    const run = failedRunOf(restoreTest, options);
    const failed = run !== null && run.runId !== before?.failedRunId ? run : null;
    known.set(key, {
      uid,
      deletedAt: deletionTimestamp(restoreTest),
      failedRunId: run?.runId ?? before?.failedRunId ?? null,
    });
    return { replaced, failed };
  }

  function relist(namespace: string | null): TestRelist {
    const present = new Set<string>();
    return {
      page(restoreTests) {
        const retired: DeletedTest[] = [];
        const failed: RunCompleted[] = [];
        for (const t of restoreTests) {
          const key = objectKey(t);
          if (key !== undefined) present.add(key);
          const change = observe(t);
          if (change.replaced) retired.push(change.replaced);
          if (change.failed) failed.push(change.failed);
        }
        return { retired, failed };
      },
      end() {
        const gone: DeletedTest[] = [];
        for (const [key, seen] of known) {
          if (!inScope(key, namespace) || present.has(key)) continue;
          gone.push(split(key, seen.deletedAt));
          known.delete(key);
        }
        return gone;
      },
    };
  }

  return {
    observe,
    deleted(restoreTest) {
      const key = objectKey(restoreTest);
      const seen = key === undefined ? undefined : known.get(key);
      if (key === undefined || seen === undefined) return undefined;
      known.delete(key);
      return split(key, deletionTimestamp(restoreTest) ?? seen.deletedAt);
    },
    relist,
    relisted(restoreTests, namespace = null) {
      const session = relist(namespace);
      const { retired, failed } = session.page(restoreTests);
      return { retired: [...session.end(), ...retired], failed };
    },
    size: () => known.size,
  };
}
