/**
 * Handling a batch, the main thread's part: hand it to the ingest worker (decode, validate,
 * apply), then send what it refused to the dead-letter topic before the batch counts as
 * handled. One log line per batch that had refusals, never one per message.
 *
 * No message object of the Kafka client outlives the synchronous hand-off: the worker copies
 * the bytes it needs and hands back those of the messages it refused, and only the offsets (as
 * a range, usually) and the timestamps are kept meanwhile, so that the client's objects die
 * young instead of being promoted to the old generation.
 *
 * Every refusal goes to the dead-letter group, which alone decides what an earlier run already
 * dead-lettered (skipped) and what another replica writes (deferred).
 */

import type { Logger } from "../log/logger.ts";
import type { DeadLetter, DeadLetterSink } from "./kafka/dead-letters.ts";
import type { BatchHandler, SourceBatch } from "./kafka/source.ts";
import type { IdentityLabels } from "./metrics/render/identity-labels.ts";
import { recordBatch, type SelfMetrics } from "./metrics/serve/self.ts";
import type { SchemaGate } from "./registry/gate.ts";
import type { Recent } from "./status/recent.ts";
import type { BatchOutcome, IngestBatch, NameCollision } from "./worker/protocol.ts";

export interface BatchHandlerParts {
  /** The ingest worker's side of a batch (worker/client.ts). */
  ingestBatch: IngestBatch;
  /** The dead-letter group: writes the letters of the partitions this instance owns, resolves with how many. */
  deadLetters: Pick<DeadLetterSink, "send">;
  metrics: SelfMetrics;
  logger: Logger;
  /** What keeps same-named tests apart in the series; the collision line says what it means. */
  testIdentity?: IdentityLabels;
  /** Where the status page learns of the last refusals and collisions. */
  recent?: Recent;
  /** With a schema registry: holds a batch until the writer schemas of its ids are known. */
  gate?: SchemaGate;
  now?: () => number;
}

/** A name in several namespaces or clusters: what its series do in this identity mode, and which setting keeps them apart. */
function collisionHint(mode: IdentityLabels, { apartBy }: NameCollision): string {
  if (mode === "cluster") return "test_namespace and test_cluster keep them apart";
  if (mode === "namespace") {
    return apartBy === "namespace"
      ? "test_namespace keeps them apart"
      : "runs of one namespace from several clusters merge; KYMAROS_TEST_IDENTITY=cluster keeps them apart";
  }
  return `its series merge them; KYMAROS_TEST_IDENTITY=${apartBy} keeps them apart`;
}

/** Where each message of a batch came from, without a number parsed per message. */
interface Origin {
  topic: string;
  partition: number;
  firstOffset: number;
  /** Per message, unless the offsets run without gaps from firstOffset (the usual case). */
  offsets: Float64Array | null;
  /** As numbers, not the client's strings: kept while the worker ingests the batch, they must be cheap to scavenge. */
  timestamps: Float64Array;
}

/**
 * Number(s) for the client's timestamp strings, cheaper: plain decimal digits are read by hand
 * (at most 15 of them, so the result is exact); anything else goes to Number().
 */
export function decimal(s: string): number {
  if (s.length === 0 || s.length > 15) return Number(s);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number(s);
    n = n * 10 + d;
  }
  return n;
}

function originOf(batch: SourceBatch): Origin {
  const { messages } = batch;
  const n = messages.length;
  const firstOffset = n === 0 ? 0 : Number(messages[0]?.offset);
  let offsets: Float64Array | null = null;
  // Compacted topics and transaction markers leave gaps: then each offset is kept.
  if (n > 0 && Number(messages[n - 1]?.offset) - firstOffset !== n - 1) {
    offsets = new Float64Array(n);
    for (let i = 0; i < n; i++) offsets[i] = Number(messages[i]?.offset);
  }
  const timestamps = new Float64Array(n);
  for (let i = 0; i < n; i++)
    timestamps[i] = decimal((messages[i] as SourceBatch["messages"][number]).timestamp);
  return {
    topic: batch.topic,
    partition: batch.partition,
    firstOffset,
    offsets,
    timestamps,
  };
}

const asBuffer = (bytes: Uint8Array | null) =>
  bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function createBatchHandler(parts: BatchHandlerParts): BatchHandler {
  const { ingestBatch, deadLetters, metrics, logger } = parts;
  const now = parts.now ?? Date.now;
  const mode = parts.testIdentity ?? "test";

  async function finish(pending: Promise<BatchOutcome>, origin: Origin): Promise<void> {
    const result = await pending;
    const letters: DeadLetter[] = [];
    for (const reject of result.refused) {
      if (reject.index >= origin.timestamps.length) continue;
      const offset = origin.offsets?.[reject.index] ?? origin.firstOffset + reject.index;
      letters.push({
        key: asBuffer(reject.key),
        value: asBuffer(reject.value),
        reason: reject.reason,
        detail: reject.detail,
        topic: origin.topic,
        partition: origin.partition,
        offset: String(offset),
        timestamp: String(origin.timestamps[reject.index]),
      });
      const { topic, partition } = origin;
      parts.recent?.deadLetter({ topic, partition, offset: String(offset), reason: reject.reason });
    }
    const published = await deadLetters.send(letters);

    const reasons: Record<string, number> = {};
    for (const r of result.refused) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
    recordBatch(metrics, result.applied, result.duplicate, reasons);
    if (published > 0) metrics.deadLetters.inc({ result: "published" }, published);
    if (result.applied > 0) metrics.lastAppliedTime.set(now() / 1000);
    metrics.tests.set(result.tests);
    metrics.retiredTests.set(result.retiredTests);
    metrics.nameCollisions.set(result.collidingNames);
    if (result.retired > 0) metrics.retirements.inc(result.retired);
    for (const collision of result.newCollisions) {
      parts.recent?.collision(collision);
      logger.warn("one test name is used by more than one namespace or cluster", {
        test: collision.test,
        hint: collisionHint(mode, collision),
      });
    }
    if (result.refused.length > 0) {
      const first = letters[0];
      logger.warn("refused messages", {
        topic: origin.topic,
        partition: origin.partition,
        reasons,
        deadLettered: published,
        ...(first ? { firstOffset: first.offset, firstDetail: first.detail } : {}),
      });
    }
  }

  // Not async: the batch must not be captured by anything that waits.
  const gate = parts.gate;
  if (!gate) return (batch) => finish(ingestBatch(batch.messages, batch.partition), originOf(batch));
  return (batch) =>
    gate.pass(batch, () => finish(ingestBatch(batch.messages, batch.partition), originOf(batch)));
}
