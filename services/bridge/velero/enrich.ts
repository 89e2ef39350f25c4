/**
 * The outbox with a step in front: each run whose report names a Velero Restore gets its
 * backup's name and time from Velero before it joins the outbox (backupName becomes the
 * Backup's name, backupCreatedAt when it was taken). Everything added, retirements included,
 * reaches the outbox in the order added, so a run waiting for Velero is never overtaken by a
 * later run or by its test's retirement.
 */
import type { RunCompleted } from "../../contract/index.ts";
import type { Logger } from "../../log/logger.ts";
import type { RetirementInput } from "../../producer/retirement-input.ts";
import { sleep } from "../backoff.ts";
import type { Outbox, Outgoing } from "../publish/outbox.ts";
import type { BackupLookup, BackupLookupService } from "./lookup.ts";

/** The run as it is published, given what Velero answered. */
export function withBackup(run: RunCompleted, answer: BackupLookup): RunCompleted {
  if (answer.result === "found") {
    return { ...run, backupName: answer.backupName, backupCreatedAt: answer.takenAt };
  }
  // No age: the report's name stays (the Restore's), as the only name known for certain.
  return { ...run, backupCreatedAt: null };
}

/** Whether a run needs Velero: it names a Restore and its report gave no backup time itself. */
export function needsLookup(run: RunCompleted): run is RunCompleted & { backupName: string } {
  return run.backupName !== null && run.backupCreatedAt === null;
}

export function withBackupAge(inner: Outbox, lookups: BackupLookupService, logger: Logger): Outbox {
  const waiting: Outgoing[] = [];
  const abort = new AbortController();
  let worker: Promise<void> | null = null;

  /** Hands the first item to the outbox (after its lookup); false when stopped first. */
  async function forwardFirst(): Promise<boolean> {
    const item = waiting[0] as Outgoing;
    if (item.kind === "run" && needsLookup(item.run)) {
      const answer = await lookups.lookup(item.run.backupName, abort.signal);
      if (answer === null) return false;
      if (answer.result !== "found") {
        logger.info("no backup age for this run: Velero no longer has it", {
          runId: item.run.runId,
          restore: item.run.backupName,
          result: answer.result,
          ...(answer.result === "gone" ? { missing: answer.missing } : {}),
        });
      }
      item.run = withBackup(item.run, answer);
    }
    // Moved in one step, so that pending() never counts it twice or not at all.
    waiting.shift();
    if (item.kind === "run") inner.add(item.run);
    else inner.addRetirement(item.retirement);
    return true;
  }

  async function drain(): Promise<void> {
    while (waiting.length > 0 && !abort.signal.aborted) {
      if (!(await forwardFirst())) break;
    }
    worker = null;
  }

  function push(item: Outgoing): void {
    waiting.push(item);
    if (worker === null && !abort.signal.aborted) worker = drain();
  }

  return {
    add: (run: RunCompleted) => push({ kind: "run", run }),
    addRetirement: (retirement: RetirementInput) => push({ kind: "retirement", retirement }),
    pending: () => waiting.length + inner.pending(),
    healthy: () => inner.healthy(),
    async stop(flushMs) {
      // A run still waiting for Velero stays in the API server: the next start publishes it.
      abort.abort();
      // A get in flight cannot be cancelled: wait for it no longer than the flush.
      if (worker !== null) await Promise.race([worker, sleep(flushMs)]);
      return waiting.length + (await inner.stop(flushMs));
    },
  };
}
