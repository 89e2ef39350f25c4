/**
 * When the backup a run restored was taken, from Velero: the report's status.backup.name is the
 * Velero Restore; its spec.backupName is the Backup; the Backup's timestamps say when. Never a
 * guess: an object that is gone (404: Velero's garbage collection) gives no age, and a failure
 * (API server down, 403, 5xx) is retried with backoff until it answers or the bridge stops, so
 * a run is never published without an age it could have had. The wait holds the runs behind it
 * (see enrich.ts); a report waits safely in the API server, and the next start looks again.
 */
import type { Logger } from "../../log/logger.ts";
import { type Backoff, sleep } from "../backoff.ts";
import { KubeError } from "../kube/client.ts";
import { backupNameOf, backupTakenAt } from "./objects.ts";
import type { VeleroKind, VeleroTransport } from "./transport.ts";

export const LOOKUP_RESULTS = ["found", "gone", "untimed", "error"] as const;
/** found: an age; gone: the Restore or Backup no longer exists; untimed: no usable timestamp; error: one failed attempt. */
export type LookupResult = (typeof LOOKUP_RESULTS)[number];

export type BackupLookup =
  | { result: "found"; backupName: string; takenAt: number }
  | { result: "gone"; missing: "restore" | "backup"; backupName: string | null }
  | { result: "untimed"; backupName: string | null };

export interface BackupLookupOptions {
  transport: VeleroTransport;
  /** Velero's namespace, where its Restores and Backups live. */
  namespace: string;
  backoff: Backoff;
  logger: Logger;
  /** Each outcome, failed attempts included. */
  onResult(result: LookupResult): void;
  /** Backups remembered (a completed Backup does not change); 0 disables the cache. */
  cacheSize?: number;
}

export interface BackupLookupService {
  /** null only when the signal aborted before an answer. */
  lookup(restoreName: string, signal: AbortSignal): Promise<BackupLookup | null>;
}

export function createBackupLookup(o: BackupLookupOptions): BackupLookupService {
  const cacheSize = o.cacheSize ?? 512;
  const completed = new Map<string, number>();

  function remember(backupName: string, takenAt: number): void {
    if (cacheSize === 0) return;
    completed.delete(backupName);
    completed.set(backupName, takenAt);
    if (completed.size > cacheSize) completed.delete(completed.keys().next().value as string);
  }

  /** One get, retried until it answers (an object or 404); null when aborted. */
  async function get(
    kind: VeleroKind,
    name: string,
    signal: AbortSignal,
  ): Promise<unknown | null | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      try {
        const object = await o.transport.get(kind, o.namespace, name);
        o.backoff.reset();
        return signal.aborted ? undefined : object;
      } catch (err) {
        o.onResult("error");
        const wait = o.backoff.next();
        o.logger.warn("reading Velero failed; retrying (the run waits for its backup age)", {
          kind,
          namespace: o.namespace,
          name,
          status: err instanceof KubeError ? err.status : undefined,
          error: err,
          retryInMs: wait,
          ...(err instanceof KubeError && err.status === 403
            ? { hint: "the Role kymaros-bridge-velero (get restores, backups) in Velero's namespace" }
            : {}),
        });
        await sleep(wait, signal);
      }
    }
  }

  async function resolve(restoreName: string, signal: AbortSignal): Promise<BackupLookup | null> {
    const restore = await get("restores", restoreName, signal);
    if (restore === undefined) return null;
    if (restore === null) return { result: "gone", missing: "restore", backupName: null };
    const backupName = backupNameOf(restore);
    if (backupName === undefined) return { result: "untimed", backupName: null };
    const cached = completed.get(backupName);
    if (cached !== undefined) return { result: "found", backupName, takenAt: cached };
    const backup = await get("backups", backupName, signal);
    if (backup === undefined) return null;
    if (backup === null) return { result: "gone", missing: "backup", backupName };
    const taken = backupTakenAt(backup);
    if (taken === undefined) return { result: "untimed", backupName };
    // A start time alone is a Backup still running: its completion may come, so ask again.
    if (taken.from === "completionTimestamp") remember(backupName, taken.at);
    return { result: "found", backupName, takenAt: taken.at };
  }

  return {
    async lookup(restoreName, signal) {
      const answer = await resolve(restoreName, signal);
      if (answer !== null) o.onResult(answer.result);
      return answer;
    },
  };
}
