/**
 * What waits to be published (runs, and retirements of deleted tests), and the one loop that
 * publishes it through the producer SDK, in the order added. A Kafka failure keeps it here and
 * retries with backoff (nothing is dropped; the bridge is not ready meanwhile); an event the SDK
 * refuses (validation, encoding) is dropped and reported, since retrying cannot change it.
 * While idle, the loop probes Kafka now and then, so readiness also follows an outage when
 * there is nothing to publish.
 */

import type { RunCompleted } from "../../contract/index.ts";
import type { Logger } from "../../log/logger.ts";
import { PublishError } from "../../producer/errors.ts";
import type { RetirementInput } from "../../producer/retirement-input.ts";
import { type Backoff, sleep } from "../backoff.ts";

/** The part of the producer SDK the outbox uses. */
export interface EventPublisher {
  publishMany(runs: readonly RunCompleted[]): Promise<readonly unknown[]>;
  retireMany(retirements: readonly RetirementInput[]): Promise<readonly unknown[]>;
}

export type Outgoing =
  | { kind: "run"; run: RunCompleted }
  | { kind: "retirement"; retirement: RetirementInput };
export type OutgoingKind = Outgoing["kind"];

export interface OutboxOptions {
  publisher: EventPublisher;
  /** Checks that Kafka answers and the topic exists; rejects otherwise. */
  probe(): Promise<void>;
  backoff: Backoff;
  logger: Logger;
  onPublished(kind: OutgoingKind, count: number): void;
  onError(kind: "kafka" | "refused", err: Error): void;
  /** Events per publish. */
  batchSize?: number;
  /** How often an idle loop probes Kafka. */
  idleProbeMs?: number;
}

export interface Outbox {
  add(run: RunCompleted): void;
  addRetirement(retirement: RetirementInput): void;
  pending(): number;
  /** True while the last publish or probe succeeded. */
  healthy(): boolean;
  /** Stops after the publish in flight, trying to flush what waits for at most flushMs. */
  stop(flushMs: number): Promise<number>;
}

function describe(item: Outgoing): Record<string, string> {
  return item.kind === "run"
    ? { runId: item.run.runId }
    : { test: item.retirement.test, namespace: item.retirement.namespace };
}

/** The leading events of one kind: one SDK call sends them, in order. */
function leadingBatch(queue: readonly Outgoing[], batchSize: number): Outgoing[] {
  const kind = queue[0]?.kind;
  let end = 0;
  while (end < queue.length && end < batchSize && queue[end]?.kind === kind) end++;
  return queue.slice(0, end);
}

function send(publisher: EventPublisher, batch: readonly Outgoing[]): Promise<readonly unknown[]> {
  const runs: RunCompleted[] = [];
  const retirements: RetirementInput[] = [];
  for (const item of batch) {
    if (item.kind === "run") runs.push(item.run);
    else retirements.push(item.retirement);
  }
  return runs.length > 0 ? publisher.publishMany(runs) : publisher.retireMany(retirements);
}

export function createOutbox(o: OutboxOptions): Outbox {
  const queue: Outgoing[] = [];
  const batchSize = o.batchSize ?? 500;
  const idleProbeMs = o.idleProbeMs ?? 10_000;
  const abort = new AbortController();
  let healthy = false;
  let wake: AbortController = new AbortController();
  let flushUntil = Number.POSITIVE_INFINITY;

  function failed(err: unknown): void {
    healthy = false;
    const error = err instanceof Error ? err : new Error(String(err));
    o.onError("kafka", error);
  }

  async function publishBatch(): Promise<void> {
    const batch = leadingBatch(queue, batchSize);
    const kind = (batch[0] as Outgoing).kind;
    try {
      await send(o.publisher, batch);
      queue.splice(0, batch.length);
      o.onPublished(kind, batch.length);
      healthy = true;
      o.backoff.reset();
    } catch (err) {
      if (err instanceof PublishError && err.kind !== "kafka" && err.index !== undefined) {
        // The SDK validates every event before sending any: drop the one refused, keep the rest.
        const [refused] = queue.splice(err.index, 1);
        o.onError("refused", err);
        o.logger.error(`${kind} refused by the producer; dropped`, {
          ...(refused ? describe(refused) : {}),
          error: err,
        });
        return;
      }
      const acknowledged = err instanceof PublishError ? err.acknowledged.length : 0;
      queue.splice(0, acknowledged);
      if (acknowledged > 0) o.onPublished(kind, acknowledged);
      failed(err);
      const wait = o.backoff.next();
      o.logger.warn("publishing to Kafka failed; retrying", {
        pending: queue.length,
        error: err,
        retryInMs: wait,
      });
      await sleep(wait, abort.signal);
    }
  }

  const loop = (async () => {
    while (true) {
      // Stopping: flush while Kafka answers and time is left; runs left are republished by the
      // next start's list, since the reports stay in the API server.
      if (abort.signal.aborted && (queue.length === 0 || !healthy || Date.now() >= flushUntil)) break;
      if (queue.length > 0) {
        await publishBatch();
        continue;
      }
      if (!healthy) {
        try {
          await o.probe();
          healthy = true;
          o.backoff.reset();
          continue;
        } catch (err) {
          failed(err);
          const wait = o.backoff.next();
          o.logger.warn("Kafka does not answer; retrying", { error: err, retryInMs: wait });
          await sleep(wait, wake.signal);
          continue;
        }
      }
      await sleep(idleProbeMs, wake.signal);
      if (queue.length === 0 && !abort.signal.aborted) {
        try {
          await o.probe();
        } catch (err) {
          failed(err);
        }
      }
    }
  })();

  function push(item: Outgoing): void {
    queue.push(item);
    wake.abort();
    wake = new AbortController();
  }

  return {
    add: (run) => push({ kind: "run", run }),
    addRetirement: (retirement) => push({ kind: "retirement", retirement }),
    pending: () => queue.length,
    healthy: () => healthy,
    async stop(flushMs) {
      flushUntil = Date.now() + flushMs;
      abort.abort();
      wake.abort();
      await loop;
      return queue.length;
    },
  };
}
