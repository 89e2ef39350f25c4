/**
 * The outbox step that applies Velero's answer: found sets the Backup's name and time, gone
 * publishes no age, runs that need no lookup pass unchanged, and everything reaches the outbox
 * in the order added (a later run or a retirement never overtakes a run waiting for Velero).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Outbox } from "../../../../services/bridge/publish/outbox.ts";
import { withBackupAge } from "../../../../services/bridge/velero/enrich.ts";
import type { BackupLookup, BackupLookupService } from "../../../../services/bridge/velero/lookup.ts";
import type { RunCompleted } from "../../../../services/contract/index.ts";
import { createLogger } from "../../../../services/log/logger.ts";
import type { RetirementInput } from "../../../../services/producer/retirement-input.ts";

const logger = createLogger("error", () => undefined);

function run(i: number, backupName: string | null, backupCreatedAt: number | null = null): RunCompleted {
  return {
    runId: `r${i}`,
    test: "t",
    namespace: "ns",
    result: "pass",
    score: 90,
    startedAt: 1_800_000_000_000 + i,
    completedAt: 1_800_000_060_000 + i,
    rtoSeconds: 12,
    backupName,
    backupCreatedAt,
    rtoTargetSeconds: null,
    cluster: "c",
  };
}

const retirement = (test: string): RetirementInput => ({
  test,
  namespace: "ns",
  retiredAt: 1_800_000_000_000,
});

function recordingOutbox() {
  const added: (RunCompleted | RetirementInput)[] = [];
  const outbox: Outbox = {
    add: (r) => void added.push(r),
    addRetirement: (r) => void added.push(r),
    pending: () => 0,
    healthy: () => true,
    stop: async () => 0,
  };
  return { outbox, added };
}

/** Answers by Restore name, each after a delay the test controls (a resolver per lookup). */
function scriptedLookups(answers: Record<string, BackupLookup>) {
  const waiting: (() => void)[] = [];
  const lookups: BackupLookupService = {
    lookup(restore, signal) {
      return new Promise((resolve) => {
        const answer = () =>
          resolve(answers[restore] ?? { result: "gone", missing: "restore", backupName: null });
        waiting.push(answer);
        signal.addEventListener("abort", () => resolve(null), { once: true });
      });
    },
  };
  return { lookups, release: () => waiting.shift()?.(), waiting };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("bridge: runs get their backup age before the outbox", () => {
  it("found: the Backup's name and time; gone: no age, the report's name kept", async () => {
    const { outbox, added } = recordingOutbox();
    const { lookups, release } = scriptedLookups({
      "rp-daily-a": { result: "found", backupName: "daily", takenAt: 1_799_990_000_000 },
    });
    const front = withBackupAge(outbox, lookups, logger);
    front.add(run(1, "rp-daily-a"));
    front.add(run(2, "rp-old-b"));
    for (let i = 0; i < 2; i++) {
      await settle();
      release();
    }
    await settle();
    assert.deepEqual(added, [
      { ...run(1, "rp-daily-a"), backupName: "daily", backupCreatedAt: 1_799_990_000_000 },
      run(2, "rp-old-b"),
    ]);
  });

  it("a run without a Restore name, or whose report gave the time, passes unchanged", async () => {
    const { outbox, added } = recordingOutbox();
    const { lookups, waiting } = scriptedLookups({});
    const front = withBackupAge(outbox, lookups, logger);
    front.add(run(1, null));
    front.add(run(2, "b", 1_700_000_000_000));
    await settle();
    assert.equal(waiting.length, 0);
    assert.deepEqual(added, [run(1, null), run(2, "b", 1_700_000_000_000)]);
  });

  it("order: nothing overtakes a run waiting for Velero, retirements included", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant("lookup"), fc.constant("plain"), fc.constant("retire")), {
          maxLength: 12,
        }),
        async (kinds) => {
          const { outbox, added } = recordingOutbox();
          const { lookups, release, waiting } = scriptedLookups({});
          const front = withBackupAge(outbox, lookups, logger);
          const expected: string[] = [];
          kinds.forEach((kind, i) => {
            if (kind === "retire") front.addRetirement(retirement(`t${i}`));
            else front.add(run(i, kind === "lookup" ? `rp-${i}` : null));
            expected.push(kind === "retire" ? `t${i}` : `r${i}`);
          });
          assert.equal(front.pending(), kinds.length - added.length);
          for (let guard = 0; added.length < kinds.length && guard < 100; guard++) {
            await settle();
            if (waiting.length > 0) release();
          }
          const ids = added.map((a) => ("runId" in a ? a.runId : a.test));
          assert.deepEqual(ids, expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("stop: what still waits for Velero is counted as left, not published without its age", async () => {
    const { outbox, added } = recordingOutbox();
    const { lookups } = scriptedLookups({});
    const front = withBackupAge(outbox, lookups, logger);
    front.add(run(1, "rp-a"));
    front.addRetirement(retirement("t"));
    await settle();
    assert.equal(await front.stop(1000), 2);
    assert.deepEqual(added, []);
  });

  it("stop: a lookup that never answers (a get in flight) holds the stop no longer than the flush", async () => {
    const { outbox, added } = recordingOutbox();
    const hung: BackupLookupService = { lookup: () => new Promise(() => undefined) };
    const front = withBackupAge(outbox, hung, logger);
    front.add(run(1, "rp-a"));
    await settle();
    assert.equal(await front.stop(5), 1);
    assert.deepEqual(added, []);
  });
});
