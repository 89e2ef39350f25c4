/**
 * The state changelog's writer, on the replica that owns a partition (the dead-letter group's
 * owner: dead-letter-group.ts calls applied() only there). It writes after applying, in
 * batches: once the partition was quiet for a while, after many events, or at the latest after
 * a bounded delay, so that a live event never waits for it. The worker computes the records
 * (only the identities that changed), and the idempotent producer sends them in order, the
 * checkpoint last, in requests under the broker's message size.
 */
import type { Logger } from "../../log/logger.ts";
import type { SelfMetrics } from "../metrics/serve/self.ts";
import type { RawMessage } from "../worker/protocol.ts";

export interface StateWriterOptions {
  /** Sends one partition's records in order, resolving once acknowledged (retrying meanwhile). */
  send(partition: number, records: RawMessage[]): Promise<void>;
  /** The records that bring the partition up to date (the worker's). */
  flush(partition: number, appliedThrough: number): Promise<{ records: RawMessage[]; frozen: boolean }>;
  logger: Logger;
  metrics: Pick<SelfMetrics, "stateCheckpointLag" | "stateCheckpointAge" | "stateBytesWritten">;
  quietMs?: number;
  maxDelayMs?: number;
  maxEvents?: number;
  now?: () => number;
}

export interface StateWriter {
  /** Everything of the partition before `next` is applied (on its owner). */
  applied(partition: number, next: number): void;
  /**
   * The replay caught up: writes from now on. Until then events only accumulate, so a full
   * replay writes each identity once, not at every batch of events.
   */
  caughtUp(): void;
  /** Writes what is pending, then stops. */
  stop(): Promise<void>;
}

interface Pending {
  next: number;
  since: number;
}

/** A writer's state while it runs: what the functions below share. */
interface Writer {
  readonly options: StateWriterOptions;
  readonly now: () => number;
  readonly pending: Map<number, Pending>;
  /** Per partition, the last checkpoint written and when. */
  readonly written: Map<number, { offset: number; at: number }>;
  readonly frozenSaid: Set<number>;
  writing: Promise<void>;
  timer: NodeJS.Timeout | undefined;
  /** A write is under way: more events wait for the next one rather than queue writes. */
  busy: boolean;
  /** The replay caught up (see StateWriter.caughtUp). */
  live: boolean;
}

function sayFrozen(w: Writer, partition: number): void {
  if (w.frozenSaid.has(partition)) return;
  w.frozenSaid.add(partition);
  w.options.logger.error(
    "state checkpoint no longer moves: this partition applied runs of a test of another partition (the topic's partition count changed); recreate the state topic and start with KYMAROS_STATE_REBUILD=true while the topic still starts at offset 0",
    { partition },
  );
}

async function write(w: Writer, partition: number, next: number): Promise<void> {
  const { options } = w;
  const { records, frozen } = await options.flush(partition, next);
  await options.send(partition, records);
  let bytes = 0;
  for (const r of records) bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
  options.metrics.stateBytesWritten.inc(bytes);
  if (frozen) return sayFrozen(w, partition);
  w.written.set(partition, { offset: next, at: w.now() });
  const waiting = w.pending.get(partition);
  options.metrics.stateCheckpointLag.set({ partition }, waiting ? waiting.next - next : 0);
  options.logger.debug("state changelog written", {
    partition,
    appliedThrough: next,
    records: records.length,
    bytes,
  });
}

function flushAll(w: Writer): Promise<void> {
  const due = [...w.pending.entries()];
  if (due.length === 0) return w.writing;
  w.pending.clear();
  w.busy = true;
  w.writing = w.writing
    .then(async () => {
      for (const [partition, p] of due) await write(w, partition, p.next);
    })
    .catch((err: unknown) => w.options.logger.warn("state changelog not written", { error: err }))
    .finally(() => {
      w.busy = false;
      if (w.pending.size > 0) schedule(w);
    });
  return w.writing;
}

/** After a quiet spell, and at the latest maxDelayMs after the oldest pending event. */
function schedule(w: Writer): void {
  if (w.timer) clearTimeout(w.timer);
  let oldest = Number.POSITIVE_INFINITY;
  for (const p of w.pending.values()) oldest = Math.min(oldest, p.since);
  const wait = Math.max(
    0,
    Math.min(w.options.quietMs ?? 500, oldest + (w.options.maxDelayMs ?? 5_000) - w.now()),
  );
  w.timer = setTimeout(() => void flushAll(w), wait).unref();
}

export function createStateWriter(options: StateWriterOptions): StateWriter {
  const w: Writer = {
    options,
    now: options.now ?? Date.now,
    pending: new Map(),
    written: new Map(),
    frozenSaid: new Set(),
    writing: Promise.resolve(),
    timer: undefined,
    busy: false,
    live: false,
  };
  const { metrics } = options;
  const ages = setInterval(() => {
    for (const [partition, at] of w.written) {
      metrics.stateCheckpointAge.set({ partition }, w.pending.has(partition) ? (w.now() - at.at) / 1000 : 0);
    }
  }, 1_000).unref();

  return {
    applied(partition, next) {
      const known = w.pending.get(partition);
      w.pending.set(partition, { next, since: known?.since ?? w.now() });
      const last = w.written.get(partition)?.offset ?? 0;
      metrics.stateCheckpointLag.set({ partition }, Math.max(0, next - last));
      if (!w.live) return;
      if (next - last >= (options.maxEvents ?? 20_000) && !w.busy) void flushAll(w);
      else schedule(w);
    },
    caughtUp() {
      w.live = true;
      void flushAll(w);
    },
    async stop() {
      if (w.timer) clearTimeout(w.timer);
      clearInterval(ages);
      await flushAll(w);
    },
  };
}
