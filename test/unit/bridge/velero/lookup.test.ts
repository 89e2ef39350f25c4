/**
 * The backup-age lookup against a fake Velero: found (completionTimestamp, else
 * startTimestamp), gone (404 of the Restore or of the Backup), transient failures retried until
 * Velero answers, never an answer made up, and completed Backups remembered.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createBackoff } from "../../../../services/bridge/backoff.ts";
import { KubeError } from "../../../../services/bridge/kube/client.ts";
import { createBackupLookup, type LookupResult } from "../../../../services/bridge/velero/lookup.ts";
import type { VeleroKind, VeleroTransport } from "../../../../services/bridge/velero/transport.ts";
import { createLogger } from "../../../../services/log/logger.ts";

const logger = createLogger("error", () => undefined);
const NS = "velero";

/** Objects by "kind/name"; failures: how many gets of that key fail first, with that status. */
function fakeVelero(
  objects: Record<string, unknown>,
  failures: Record<string, [number, number | undefined]> = {},
) {
  const gets: string[] = [];
  const transport: VeleroTransport = {
    async get(kind: VeleroKind, namespace: string, name: string) {
      const key = `${kind}/${name}`;
      gets.push(`${namespace}:${key}`);
      const failure = failures[key];
      if (failure && failure[0] > 0) {
        failure[0] -= 1;
        throw new KubeError(`get ${key}: failed`, failure[1]);
      }
      return key in objects ? objects[key] : null;
    },
  };
  return { transport, gets };
}

const restore = (backupName: string) => ({ metadata: { name: "r" }, spec: { backupName } });
const backup = (status: Record<string, string>) => ({ metadata: { name: "b" }, status });

function lookupWith(transport: VeleroTransport, cacheSize?: number) {
  const results: LookupResult[] = [];
  const lookups = createBackupLookup({
    transport,
    namespace: NS,
    // 1 ms waits: the retries take no real time.
    backoff: createBackoff(1, 1),
    logger,
    onResult: (r) => results.push(r),
    ...(cacheSize === undefined ? {} : { cacheSize }),
  });
  return { lookups, results };
}

const signal = new AbortController().signal;

describe("bridge: backup age from Velero", () => {
  it("Restore -> Backup -> completionTimestamp, read in Velero's namespace", async () => {
    const { transport, gets } = fakeVelero({
      "restores/rp-daily-x7k2qa": restore("daily-20260425030000"),
      "backups/daily-20260425030000": backup({
        startTimestamp: "2026-04-25T03:00:00Z",
        completionTimestamp: "2026-04-25T03:04:10Z",
      }),
    });
    const { lookups, results } = lookupWith(transport);
    const answer = await lookups.lookup("rp-daily-x7k2qa", signal);
    assert.deepEqual(answer, {
      result: "found",
      backupName: "daily-20260425030000",
      takenAt: Date.UTC(2026, 3, 25, 3, 4, 10),
    });
    assert.deepEqual(gets, ["velero:restores/rp-daily-x7k2qa", "velero:backups/daily-20260425030000"]);
    assert.deepEqual(results, ["found"]);
  });

  it("a Backup without completionTimestamp: its startTimestamp", async () => {
    const { transport } = fakeVelero({
      "restores/r": restore("b"),
      "backups/b": backup({ startTimestamp: "2026-04-25T03:00:00.250Z" }),
    });
    const { lookups } = lookupWith(transport);
    const answer = await lookups.lookup("r", signal);
    assert.deepEqual(answer, {
      result: "found",
      backupName: "b",
      takenAt: Date.UTC(2026, 3, 25, 3, 0, 0, 250),
    });
  });

  it("gone: a Restore or a Backup Velero deleted gives no age", async () => {
    const { transport } = fakeVelero({ "restores/r2": restore("collected") });
    const { lookups, results } = lookupWith(transport);
    assert.deepEqual(await lookups.lookup("r1", signal), {
      result: "gone",
      missing: "restore",
      backupName: null,
    });
    assert.deepEqual(await lookups.lookup("r2", signal), {
      result: "gone",
      missing: "backup",
      backupName: "collected",
    });
    assert.deepEqual(results, ["gone", "gone"]);
  });

  it("untimed: a Backup with no usable timestamp, or a Restore naming none, gives no age", async () => {
    const { transport } = fakeVelero({
      "restores/r1": restore("b1"),
      "backups/b1": backup({ phase: "New" }),
      "restores/r2": restore("b2"),
      "backups/b2": backup({ completionTimestamp: "yesterday" }),
      "restores/r3": { spec: {} },
    });
    const { lookups, results } = lookupWith(transport);
    assert.deepEqual(await lookups.lookup("r1", signal), { result: "untimed", backupName: "b1" });
    assert.deepEqual(await lookups.lookup("r2", signal), { result: "untimed", backupName: "b2" });
    assert.deepEqual(await lookups.lookup("r3", signal), { result: "untimed", backupName: null });
    assert.deepEqual(results, ["untimed", "untimed", "untimed"]);
  });

  it("transient failures (any status but 404, or none) are retried until Velero answers", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(4),
        fc.nat(4),
        fc.constantFrom(undefined, 403, 429, 500, 503),
        async (restoreFails, backupFails, status) => {
          const { transport, gets } = fakeVelero(
            {
              "restores/r": restore("b"),
              "backups/b": backup({ completionTimestamp: "2026-01-01T00:00:00Z" }),
            },
            { "restores/r": [restoreFails, status], "backups/b": [backupFails, status] },
          );
          const { lookups, results } = lookupWith(transport);
          const answer = await lookups.lookup("r", signal);
          assert.deepEqual(answer, { result: "found", backupName: "b", takenAt: Date.UTC(2026, 0, 1) });
          assert.equal(gets.length, restoreFails + backupFails + 2);
          assert.deepEqual(results, [...Array(restoreFails + backupFails).fill("error"), "found"]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("stopping while Velero fails answers null (no age is made up)", async () => {
    const { transport } = fakeVelero({}, { "restores/r": [Number.POSITIVE_INFINITY, 503] });
    const abort = new AbortController();
    const { lookups, results } = lookupWith(transport);
    const pending = lookups.lookup("r", abort.signal);
    // Let a few attempts fail first.
    while (results.length < 3) await new Promise((r) => setTimeout(r, 1));
    abort.abort();
    assert.equal(await pending, null);
    assert.ok(results.every((r) => r === "error"));
  });

  it("a completed Backup is remembered; one still running (start time only) is asked again", async () => {
    const { transport, gets } = fakeVelero({
      "restores/r1": restore("done"),
      "restores/r2": restore("done"),
      "restores/r3": restore("running"),
      "restores/r4": restore("running"),
      "backups/done": backup({ completionTimestamp: "2026-01-01T00:00:00Z" }),
      "backups/running": backup({ startTimestamp: "2026-01-02T00:00:00Z" }),
    });
    const { lookups } = lookupWith(transport);
    for (const r of ["r1", "r2", "r3", "r4"])
      assert.equal((await lookups.lookup(r, signal))?.result, "found");
    assert.deepEqual(
      gets.filter((g) => g.includes("backups/")),
      ["velero:backups/done", "velero:backups/running", "velero:backups/running"],
    );
  });

  it("the cache is bounded: the oldest Backup is forgotten first", async () => {
    const objects: Record<string, unknown> = {};
    for (const b of ["a", "b", "c"]) {
      objects[`restores/r-${b}`] = restore(b);
      objects[`backups/${b}`] = backup({ completionTimestamp: "2026-01-01T00:00:00Z" });
    }
    const { transport, gets } = fakeVelero(objects);
    const { lookups } = lookupWith(transport, 2);
    for (const b of ["a", "b", "c", "c", "b", "a"]) await lookups.lookup(`r-${b}`, signal);
    assert.deepEqual(
      gets.filter((g) => g.includes("backups/")),
      ["velero:backups/a", "velero:backups/b", "velero:backups/c", "velero:backups/a"],
    );
  });
});
