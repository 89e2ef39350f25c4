/**
 * Which tests to retire, given the RestoreReports and the RestoreTests that still exist
 * (`kubectl get restoretests -A -o json`): those that have reports but no RestoreTest any more
 * (deleted, or renamed: the new name has its own RestoreTest). Each is retired at its latest
 * report's completion, so that every run it reported ends and a second prune publishes nothing
 * new (the same retiredAt is a duplicate to the service).
 */
import type { RunCompleted, TestRetired } from "../contract/index.ts";
import { InputError } from "../producer/errors.ts";

const key = (test: string, namespace: string) => JSON.stringify([test, namespace]);

/** (name, namespace) of each RestoreTest of a `kubectl get restoretests -A -o json` List. */
export function restoreTestKeys(document: unknown): Set<string> {
  const items = (document as { items?: unknown } | null)?.items;
  if (document === null || typeof document !== "object" || !Array.isArray(items)) {
    throw new InputError(
      "items",
      'the RestoreTests are not a List with "items" (kubectl get restoretests -A -o json)',
    );
  }
  const keys = new Set<string>();
  items.forEach((item, i) => {
    const metadata = (item as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
    const name = metadata?.name;
    const namespace = metadata?.namespace;
    if (typeof name !== "string" || name === "" || typeof namespace !== "string" || namespace === "") {
      throw new InputError(
        `items[${i}].metadata`,
        `RestoreTest items[${i}] has no metadata.name and metadata.namespace`,
      );
    }
    keys.add(key(name, namespace));
  });
  return keys;
}

export interface PruneOptions {
  /** The cluster the runs were published with (kymaros-backfill --cluster), or null. */
  cluster?: string | null;
  /** One time for every retirement instead of each test's latest report. */
  retiredAt?: number;
  reason?: string;
}

/** The retirements of the tests the runs name that no RestoreTest does, sorted by namespace and name. */
export function prunable(
  runs: readonly RunCompleted[],
  tests: Set<string>,
  options: PruneOptions = {},
): TestRetired[] {
  const latest = new Map<string, RunCompleted>();
  for (const run of runs) {
    const k = key(run.test, run.namespace);
    if (tests.has(k)) continue;
    const known = latest.get(k);
    if (known === undefined || run.completedAt > known.completedAt) latest.set(k, run);
  }
  return [...latest.values()]
    .map((run) => ({
      test: run.test,
      namespace: run.namespace,
      cluster: options.cluster ?? null,
      retiredAt: options.retiredAt ?? run.completedAt,
      reason: options.reason ?? "RestoreTest no longer exists (kymaros-backfill --prune)",
    }))
    .sort((a, b) =>
      a.namespace === b.namespace ? (a.test < b.test ? -1 : 1) : a.namespace < b.namespace ? -1 : 1,
    );
}
