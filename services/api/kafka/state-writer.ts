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
  /** Writes what is pending, then stops. */
  stop(): Promise<void>;
}

interface Pending {
  next: number;
  since: number;
}

export function createStateWriter(options: StateWriterOptions): StateWriter {
  const { metrics, logger } = options;
  const now = options.now ?? Date.now;
  const quietMs = options.quietMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const maxEvents = options.maxEvents ?? 20_000;
  const pending = new Map<number, Pending>();
  const written = new Map<number, { offset: number; at: number }>();
  const frozenSaid = new Set<number>();
  let writing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  /** A write is under way: more events wait for the next one rather than queue writes. */
  let busy = false;

  async function write(partition: number, next: number): Promise<void> {
    const { records, frozen } = await options.flush(partition, next);
    await options.send(partition, records);
    let bytes = 0;
    for (const r of records) bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
    metrics.stateBytesWritten.inc(bytes);
    if (frozen) {
      if (!frozenSaid.has(partition)) {
        frozenSaid.add(partition);
        logger.error(
          "state checkpoint no longer moves: this partition applied runs of a test of another partition (the topic's partition count changed); recreate the state topic and start with KYMAROS_STATE_REBUILD=true while the topic still starts at offset 0",
          { partition },
        );
      }
      return;
    }
    written.set(partition, { offset: next, at: now() });
    const waiting = pending.get(partition);
    metrics.stateCheckpointLag.set({ partition }, waiting ? waiting.next - next : 0);
    logger.debug("state changelog written", {
      partition,
      appliedThrough: next,
      records: records.length,
      bytes,
    });
  }

  function flushAll(): Promise<void> {
    const due = [...pending.entries()];
    pending.clear();
    busy = true;
    writing = writing.then(async () => {
      for (const [partition, p] of due) await write(partition, p.next);
    });
    writing = writing.finally(() => {
      busy = false;
      if (pending.size > 0) schedule();
    });
    writing = writing.catch((err: unknown) => logger.warn("state changelog not written", { error: err }));
    return writing;
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    let oldest = Number.POSITIVE_INFINITY;
    for (const p of pending.values()) oldest = Math.min(oldest, p.since);
    const wait = Math.max(0, Math.min(quietMs, oldest + maxDelayMs - now()));
    timer = setTimeout(() => void flushAll(), wait).unref();
  }

  const ages = setInterval(() => {
    for (const [partition, w] of written) {
      metrics.stateCheckpointAge.set({ partition }, pending.has(partition) ? (now() - w.at) / 1000 : 0);
    }
  }, 1_000).unref();

  return {
    applied(partition, next) {
      const known = pending.get(partition);
      pending.set(partition, { next, since: known?.since ?? now() });
      const last = written.get(partition)?.offset ?? 0;
      metrics.stateCheckpointLag.set({ partition }, Math.max(0, next - last));
      if (next - last >= maxEvents && !busy) void flushAll();
      else schedule();
    },
    async stop() {
      if (timer) clearTimeout(timer);
      clearInterval(ages);
      await flushAll();
    },
  };
}
