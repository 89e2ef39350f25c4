/**
 * One identity's state as changelog records: its run chunks from a given chunk on, then its
 * state (written after them, so that a state never names runs its chunks do not hold yet).
 * `entries` are the identity's dedupe entries in the order they were added.
 */
import type { Identity, Latest, State } from "../core/index.ts";
import { CHUNK_RUNS, type LatestRecord, type RunRecord, type StateBody } from "./record.ts";

function latestRecord(l: Latest<number> | null, position: Map<number, number>): LatestRecord | null {
  if (l === null || l.entry < 0) return null;
  return { completedAt: l.completedAt, run: position.get(l.entry) as number, value: l.value };
}

function runRecord(state: State, t: Identity, e: number): RunRecord {
  const runId = state.runIds.runId(e, t.name);
  const prefix = `${t.name}-`;
  // The same rule the dedupe set stores runIds by: "<test>-" prefix, and something after it.
  const prefixed = t.name.length > 0 && runId.length > prefix.length && runId.startsWith(prefix);
  return {
    prefixed,
    runId: prefixed ? runId.slice(prefix.length) : runId,
    completedAt: state.runLog.completedAt(e),
    durationMs: state.runLog.durationMs(e),
    result: state.runLog.result(e),
    bucket: state.runLog.bucket(e),
  };
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/** The identity's latest runs by entry: where each is among its runs. */
function positions(t: Identity, entries: ArrayLike<number>, count: number): Map<number, number> {
  const wanted = new Set([t.score.entry, t.rtoSeconds?.entry ?? -1, t.backupAgeMs?.entry ?? -1]);
  const at = new Map<number, number>();
  for (let i = count - 1; i >= 0 && at.size < wanted.size; i--) {
    const e = entries[i] as number;
    if (wanted.has(e)) at.set(e, i);
  }
  return at;
}

export function identityBodies(
  state: State,
  t: Identity,
  entries: ArrayLike<number>,
  count: number,
  fromChunk: number,
): StateBody[] {
  const key = { test: t.name, namespace: t.namespace, cluster: t.cluster };
  const bodies: StateBody[] = [];
  for (let c = fromChunk; c * CHUNK_RUNS < count; c++) {
    const runs: RunRecord[] = [];
    for (let i = c * CHUNK_RUNS; i < Math.min(count, (c + 1) * CHUNK_RUNS); i++) {
      runs.push(runRecord(state, t, entries[i] as number));
    }
    bodies.push({ kind: "runs", ...key, chunk: c, runs });
  }
  const at = positions(t, entries, count);
  bodies.push({
    kind: "test",
    ...key,
    retiredAt: finite(t.retiredAt),
    hasRuns: t.hasRuns,
    runCount: count,
    pass: t.results.pass,
    fail: t.results.fail,
    partial: t.results.partial,
    buckets: [...t.buckets],
    durationSumMs: t.durationSumMs,
    lifeRuns: t.runs,
    earliest: finite(t.earliest),
    score: latestRecord(t.score, at),
    rtoSeconds: latestRecord(t.rtoSeconds, at),
    backupAgeMs: latestRecord(t.backupAgeMs, at),
  });
  return bodies;
}
