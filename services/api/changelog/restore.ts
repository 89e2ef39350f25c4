/**
 * A restore: a partition's changelog records (in any order, with repeats and older versions
 * beside newer ones) loaded into a state, and the source offset to go on from.
 *
 * Per key the record with the greatest appliedThrough wins (compaction keeps the newest; before
 * it runs, older versions are still in the log). An identity's state counts the first runCount
 * runs of its chunks, which are only ever appended to, so a chunk newer than the state still
 * starts with the runs it counts. The checkpoint is the greatest one read: every state written
 * before it covers what came before its offset, and an event after it that a state already
 * covers is a duplicate (its runId is in the loaded dedupe set) or a retirement already applied.
 */
import { identityOf, markRuns } from "../core/identity.ts";
import { isRetired, type Latest, type State } from "../core/index.ts";
import {
  appliedThroughOf,
  CHUNK_RUNS,
  ChangelogError,
  decodeRecord,
  type LatestRecord,
  type RunRecord,
  type StateRecord,
  type TestStateRecord,
} from "./record.ts";

/** A changelog record as read back: a tombstone's value is null. */
export interface ReadRecord {
  key: Buffer;
  value: Buffer | null;
}

/** The newest record per key of a partition's changelog. */
function newest(partition: number, records: Iterable<ReadRecord>): Map<string, StateRecord> {
  const latest = new Map<string, { at: number; value: Buffer | null }>();
  for (const raw of records) {
    const at = appliedThroughOf(raw.value);
    const key = raw.key.toString("utf8");
    const known = latest.get(key);
    if (known === undefined || at >= known.at) latest.set(key, { at, value: raw.value });
  }
  const byKey = new Map<string, StateRecord>();
  for (const [key, { value }] of latest) {
    const record = decodeRecord(value);
    if (record.sourcePartition !== partition) {
      throw new ChangelogError(
        `a record of source partition ${record.sourcePartition} in changelog partition ${partition}`,
      );
    }
    byKey.set(key, record);
  }
  return byKey;
}

function runsOf(byKey: Map<string, StateRecord>, partition: number, t: TestStateRecord): RunRecord[] {
  const runs: RunRecord[] = [];
  for (let c = 0; c * CHUNK_RUNS < t.runCount; c++) {
    const key = JSON.stringify(["runs", partition, t.test, t.namespace, t.cluster, c]);
    const body = byKey.get(key)?.body;
    if (body?.kind !== "runs" || body.runs.length < Math.min(CHUNK_RUNS, t.runCount - c * CHUNK_RUNS)) {
      throw new ChangelogError(
        `test ${JSON.stringify(t.test)} counts ${t.runCount} runs; chunk ${c} lacks some`,
      );
    }
    runs.push(...body.runs.slice(0, t.runCount - c * CHUNK_RUNS));
  }
  return runs;
}

function latest(l: LatestRecord | null, entries: number[]): Latest<number> | null {
  if (l === null) return null;
  const entry = entries[l.run];
  if (entry === undefined) throw new ChangelogError(`a latest run ${l.run} beyond the runs counted`);
  return { completedAt: l.completedAt, entry, value: l.value };
}

function load(state: State, r: TestStateRecord, runs: RunRecord[]): void {
  const t = identityOf(state, r.test, r.namespace, r.cluster);
  const testUtf8 = Buffer.from(r.test, "utf8");
  const entries: number[] = [];
  for (const run of runs) {
    const bytes = Buffer.from(run.prefixed ? `${r.test}-${run.runId}` : run.runId, "utf8");
    const entry = state.runIds.add(t.id, bytes, 0, bytes.length, testUtf8);
    if (entry < 0) throw new ChangelogError(`test ${JSON.stringify(r.test)} holds a runId twice`);
    state.runLog.set(entry, run.completedAt, run.durationMs, run.result, run.bucket);
    entries.push(entry);
  }
  if (r.buckets.length !== t.buckets.length)
    throw new ChangelogError(`${r.buckets.length} buckets, not ${t.buckets.length}`);
  t.results.pass = r.pass;
  t.results.fail = r.fail;
  t.results.partial = r.partial;
  r.buckets.forEach((n, i) => {
    t.buckets[i] = n;
  });
  t.durationSumMs = r.durationSumMs;
  t.runs = r.lifeRuns;
  t.earliest = r.earliest ?? Number.POSITIVE_INFINITY;
  t.retiredAt = r.retiredAt ?? Number.NEGATIVE_INFINITY;
  t.score = latest(r.score, entries) ?? { completedAt: Number.NEGATIVE_INFINITY, entry: -1, value: 0 };
  t.rtoSeconds = latest(r.rtoSeconds, entries);
  t.backupAgeMs = latest(r.backupAgeMs, entries);
  if (r.hasRuns) markRuns(state, t);
  if (isRetired(t)) state.retiredTests += 1;
  t.revision += 1;
  state.revision += 1;
}

export interface Restored {
  /** The source offset to consume from: the checkpoint, 0 when there is none. */
  checkpoint: number;
  /** Identities loaded. */
  identities: number;
}

/**
 * Loads one partition's changelog into `state`, which holds no identity of this partition yet.
 * Throws a ChangelogError (nothing served) when a record cannot be read or the records disagree.
 */
export function restorePartition(state: State, partition: number, records: Iterable<ReadRecord>): Restored {
  const byKey = newest(partition, records);
  let checkpoint = 0;
  let identities = 0;
  for (const record of byKey.values()) {
    const { body } = record;
    if (body.kind === "checkpoint") checkpoint = Math.max(checkpoint, record.appliedThrough);
    if (body.kind !== "test") continue;
    load(state, body, runsOf(byKey, partition, body));
    identities += 1;
  }
  return { checkpoint, identities };
}
