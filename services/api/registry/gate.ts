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

const STOPPING = "stopping: the batch waits for the schema registry and is not handled";

class Gate implements SchemaGate {
  /** What the worker was taught per id (a refreshed 404 is taught again). */
  private readonly taught = new Map<number, RegistrySchema>();
  /** Per partition, the last batch that waits: the next one of the partition goes after it. */
  private readonly tails = new Map<number, Promise<void>>();
  /** The sleeps between retries, cut short by close(). */
  private readonly sleeping = new Set<() => void>();
  private waiting = 0;
  private closed = false;

  constructor(private readonly parts: SchemaGateParts) {}

  pass(batch: SourceBatch, go: () => Promise<void>): Promise<void> {
    const { partition } = batch;
    const tail = this.tails.get(partition);
    const ids = this.unknown(batch.messages);
    if (tail === undefined && ids === null) return go();
    let finish: Promise<void> = Promise.resolve();
    const posted = (tail ?? Promise.resolve())
      .then(() => (ids === null ? undefined : this.resolveAll(ids, partition)))
      .then(() => {
        // What the cache learned meanwhile (another partition's fetch) is taught before the batch.
        this.unknown(batch.messages);
        finish = go();
      });
    this.tails.set(partition, posted);
    const clear = () => {
      if (this.tails.get(partition) === posted) this.tails.delete(partition);
    };
    posted.then(clear, clear);
    return posted.then(() => finish);
  }

  close(): void {
    this.closed = true;
    for (const wake of [...this.sleeping]) wake();
  }

  private learn(entry: RegistrySchema): void {
    this.parts.teach(entry);
    this.taught.set(entry.id, entry);
  }

  /** Teaches what the cache knows; the ids it does not know yet, or null. */
  private unknown(messages: SourceBatch["messages"]): number[] | null {
    let ids: number[] | null = null;
    let last = -1;
    for (const m of messages) {
      const v = m.value;
      if (v === null || v[0] !== 0) continue;
      const id = confluentId(v, 0, v.length);
      if (id === last || id < 0) continue;
      last = id;
      const entry = this.parts.cache.peek(id);
      if (entry === undefined) {
        ids ??= [];
        ids.push(id);
      } else if (this.taught.get(id) !== entry) this.learn(entry);
    }
    return ids;
  }

  private async resolveAll(ids: number[], partition: number): Promise<void> {
    const { metrics, cache } = this.parts;
    metrics.registryWaiting.set(++this.waiting);
    try {
      for (const id of ids) {
        const known = cache.peek(id);
        if (known === undefined || this.taught.get(id) !== known) await this.fetchWaiting(id, partition);
      }
    } finally {
      metrics.registryWaiting.set(--this.waiting);
    }
  }

  private async fetchWaiting(id: number, partition: number): Promise<void> {
    const { cache, metrics, logger } = this.parts;
    const maxDelay = this.parts.maxDelayMs ?? 10_000;
    for (let delay = this.parts.firstDelayMs ?? 250, failures = 0; ; delay = Math.min(delay * 2, maxDelay)) {
      if (this.closed) throw new Error(STOPPING);
      try {
        const entry = await cache.get(id);
        if (failures > 0)
          logger.info("schema registry answers again: the partition goes on", { partition, id });
        this.learn(entry);
        return;
      } catch (err) {
        if (!(err instanceof RegistryUnavailable)) throw err;
        metrics.registryFailures.inc();
        if (failures++ === 0) {
          const fields = { partition, id, error: err.message };
          logger.warn(
            "schema registry does not answer: the partition waits (nothing is dead-lettered)",
            fields,
          );
        }
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping.add(wake);
    });
  }
}

export function createSchemaGate(parts: SchemaGateParts): SchemaGate {
  return new Gate(parts);
}
