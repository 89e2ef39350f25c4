/**
 * The runs waiting to be published, and the one loop that publishes them through the producer
 * SDK. A Kafka failure keeps them here and retries with backoff (nothing is dropped; the bridge
 * is not ready meanwhile); a run the SDK refuses (validation, encoding) is dropped and reported,
 * since retrying cannot change it. While idle, the loop probes Kafka now and then, so readiness
 * also follows an outage when there is nothing to publish.
 */

import type { RunCompleted } from "../../contract/index.ts";
import type { Logger } from "../../log/logger.ts";
import { PublishError, type PublishResult } from "../../producer/errors.ts";
import { type Backoff, sleep } from "../backoff.ts";

export interface RunPublisher {
  publishMany(runs: readonly RunCompleted[]): Promise<PublishResult[]>;
}

export interface OutboxOptions {
  publisher: RunPublisher;
  /** Checks that Kafka answers and the topic exists; rejects otherwise. */
  probe(): Promise<void>;
  backoff: Backoff;
  logger: Logger;
  onPublished(count: number): void;
  onError(kind: "kafka" | "refused", err: Error): void;
  /** Runs per publish. */
  batchSize?: number;
  /** How often an idle loop probes Kafka. */
  idleProbeMs?: number;
}

export interface Outbox {
  add(run: RunCompleted): void;
  pending(): number;
  /** True while the last publish or probe succeeded. */
  healthy(): boolean;
  /** Stops after the publish in flight, trying to flush what waits for at most flushMs. */
  stop(flushMs: number): Promise<number>;
}

export function createOutbox(o: OutboxOptions): Outbox {
  const queue: RunCompleted[] = [];
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
    const batch = queue.slice(0, batchSize);
    try {
      await o.publisher.publishMany(batch);
      queue.splice(0, batch.length);
      o.onPublished(batch.length);
      healthy = true;
      o.backoff.reset();
    } catch (err) {
      if (err instanceof PublishError && err.kind !== "kafka" && err.index !== undefined) {
        // The SDK validates every run before sending any: drop the one refused, keep the rest.
        const [refused] = queue.splice(err.index, 1);
        o.onError("refused", err);
        o.logger.error("run refused by the producer; dropped", { runId: refused?.runId, error: err });
        return;
      }
      const acknowledged = err instanceof PublishError ? err.acknowledged.length : 0;
      queue.splice(0, acknowledged);
      if (acknowledged > 0) o.onPublished(acknowledged);
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
      // Stopping: flush while Kafka answers and time is left; the rest is republished by the
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

  return {
    add(run) {
      queue.push(run);
      wake.abort();
      wake = new AbortController();
    },
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
