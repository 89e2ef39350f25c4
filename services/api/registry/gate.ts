/**
 * Before a batch goes to the ingest worker: the writer schemas of its Confluent-framed messages
 * (00 + id) must be known there. Known ids cost a map lookup; an unknown one is fetched (once per
 * id, schema-cache.ts) and taught to the worker, which then decodes without waiting.
 *
 * A registry that is down or slow never dead-letters a valid message: the batch waits and asks
 * again with backoff, and so do the later batches of its partition (chained, so that the order
 * holds); nothing of it is handled, so nothing is committed. Other partitions go on.
 */
import { confluentId, type RegistrySchema } from "../../contract/index.ts";
import type { Logger } from "../../log/logger.ts";
import { RegistryUnavailable } from "../../registry/client.ts";
import type { SchemaCache } from "../../registry/schema-cache.ts";
import type { SourceBatch } from "../kafka/source.ts";
import type { SelfMetrics } from "../metrics/serve/self.ts";

export interface SchemaGateParts {
  cache: SchemaCache;
  /** Hands an id's answer to the worker (before any batch that needs it). */
  teach: (entry: RegistrySchema) => void;
  metrics: Pick<SelfMetrics, "registryWaiting" | "registryFailures">;
  logger: Logger;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export interface SchemaGate {
  /** Runs `go` (which hands the batch over) once its ids are known, in the partition's order. */
  pass(batch: SourceBatch, go: () => Promise<void>): Promise<void>;
  /** Stops the waiting: a batch still waiting rejects (it is not handled, so not committed). */
  close(): void;
}

export function createSchemaGate(parts: SchemaGateParts): SchemaGate {
  const { cache, teach, metrics, logger } = parts;
  const firstDelay = parts.firstDelayMs ?? 250;
  const maxDelay = parts.maxDelayMs ?? 10_000;
  /** What the worker was taught per id (a refreshed 404 is taught again). */
  const taught = new Map<number, RegistrySchema>();
  const tails = new Map<number, Promise<void>>();
  let waiting = 0;
  let closed = false;
  /** The sleeps between retries, cut short by close(). */
  const sleeping = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleeping.add(wake);
    });

  /** Teaches what the cache knows; the ids it does not know yet, or null. */
  function unknown(messages: SourceBatch["messages"]): number[] | null {
    let ids: number[] | null = null;
    let last = -1;
    for (const m of messages) {
      const v = m.value;
      if (v === null || v[0] !== 0) continue;
      const id = confluentId(v, 0, v.length);
      if (id === last || id < 0) continue;
      last = id;
      const entry = cache.peek(id);
      if (entry === undefined) (ids ??= []).push(id);
      else if (taught.get(id) !== entry) {
        teach(entry);
        taught.set(id, entry);
      }
    }
    return ids;
  }

  async function fetchWaiting(id: number, partition: number): Promise<void> {
    for (let delay = firstDelay, failures = 0; ; delay = Math.min(delay * 2, maxDelay)) {
      if (closed) throw new Error("stopping: the batch waits for the schema registry and is not handled");
      try {
        const entry = await cache.get(id);
        if (failures > 0)
          logger.info("schema registry answers again: the partition goes on", { partition, id });
        teach(entry);
        taught.set(id, entry);
        return;
      } catch (err) {
        if (!(err instanceof RegistryUnavailable)) throw err;
        metrics.registryFailures.inc();
        if (failures++ === 0) {
          logger.warn("schema registry does not answer: the partition waits (nothing is dead-lettered)", {
            partition,
            id,
            error: err.message,
          });
        }
        await sleep(delay);
      }
    }
  }

  async function resolveAll(ids: number[], partition: number): Promise<void> {
    metrics.registryWaiting.set(++waiting);
    try {
      for (const id of ids)
        if (cache.peek(id) === undefined || taught.get(id) !== cache.peek(id))
          await fetchWaiting(id, partition);
    } finally {
      metrics.registryWaiting.set(--waiting);
    }
  }

  return {
    pass(batch, go) {
      const { partition } = batch;
      const tail = tails.get(partition);
      const ids = unknown(batch.messages);
      if (tail === undefined && ids === null) return go();
      let finish: Promise<void> = Promise.resolve();
      const posted = (tail ?? Promise.resolve())
        .then(() => (ids === null ? undefined : resolveAll(ids, partition)))
        .then(() => {
          // What the cache learned meanwhile (another partition's fetch) is taught before the batch.
          unknown(batch.messages);
          finish = go();
        });
      tails.set(partition, posted);
      const clear = () => {
        if (tails.get(partition) === posted) tails.delete(partition);
      };
      posted.then(clear, clear);
      return posted.then(() => finish);
    },
    close() {
      closed = true;
      for (const wake of [...sleeping]) wake();
    },
  };
}
