/**
 * The main thread's part of a batch: hand it to the transform (the pipeline worker: decode,
 * validate, apply), then send what it refused to the dead-letter topic before the batch counts
 * as handled. One log line per batch that had refusals, never one per message.
 *
 * Nothing of the Kafka client's batch outlives the synchronous hand-off: the transform copies
 * the bytes it needs and hands back those of the messages it refused, and only two numbers per
 * message are kept meanwhile. Holding the client's message objects across the wait promoted
 * them all to the old generation, which doubled the main thread's CPU in garbage collection.
 */
import type { BatchResult, RawMessage, Reject } from "./ingest/index.ts";
import type { DeadLetter, DeadLetterSink } from "./kafka/dead-letters.ts";
import type { BatchHandler, SourceBatch } from "./kafka/source.ts";
import type { Logger } from "./log.ts";
import { recordBatch, type SelfMetrics } from "./metrics/self.ts";

/** A refused message, with its own bytes (the batch it came from is gone by then). */
export interface RefusedMessage extends Reject {
  key: Uint8Array | null;
  value: Uint8Array | null;
}

/** A batch's outcomes, and how many tests the state holds after it. */
export type TransformResult = Omit<BatchResult, "rejects"> & { rejects: RefusedMessage[]; tests: number };
/** Must take what it needs from the messages before it returns: they are not kept. */
export type Transform = (messages: readonly RawMessage[]) => Promise<TransformResult>;

export interface PipelineParts {
  transform: Transform;
  deadLetters: DeadLetterSink;
  metrics: SelfMetrics;
  logger: Logger;
  now?: () => number;
}

/** Where each message of a batch came from, as plain numbers (offsets and timestamps are below 2^53). */
interface Origin {
  topic: string;
  partition: number;
  handledBefore: number;
  offsets: Float64Array;
  timestamps: Float64Array;
}

function originOf(batch: SourceBatch): Origin {
  const n = batch.messages.length;
  const offsets = new Float64Array(n);
  const timestamps = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = batch.messages[i] as SourceBatch["messages"][number];
    offsets[i] = Number(m.offset);
    timestamps[i] = Number(m.timestamp);
  }
  return {
    topic: batch.topic,
    partition: batch.partition,
    handledBefore: batch.handledBefore,
    offsets,
    timestamps,
  };
}

const asBuffer = (bytes: Uint8Array | null) =>
  bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function createPipeline(parts: PipelineParts): BatchHandler {
  const { transform, deadLetters, metrics, logger } = parts;
  const now = parts.now ?? Date.now;

  async function finish(pending: Promise<TransformResult>, origin: Origin): Promise<void> {
    const result = await pending;
    const letters: DeadLetter[] = [];
    let alreadyDeadLettered = 0;
    for (const reject of result.rejects) {
      const offset = origin.offsets[reject.index];
      if (offset === undefined) continue;
      // An earlier run of the service dead-lettered everything below its committed offset.
      if (offset < origin.handledBefore) {
        alreadyDeadLettered += 1;
        continue;
      }
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
    }
    await deadLetters.send(letters);

    const reasons: Record<string, number> = {};
    for (const r of result.rejects) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
    recordBatch(metrics, result, reasons);
    if (letters.length > 0) metrics.deadLetters.inc({ result: "published" }, letters.length);
    if (alreadyDeadLettered > 0) metrics.deadLetters.inc({ result: "skipped" }, alreadyDeadLettered);
    if (result.applied > 0) metrics.lastAppliedTime.set(now() / 1000);
    metrics.tests.set(result.tests);
    if (result.rejects.length > 0) {
      const first = letters[0];
      logger.warn("refused messages", {
        topic: origin.topic,
        partition: origin.partition,
        reasons,
        deadLettered: letters.length,
        alreadyDeadLettered,
        ...(first ? { firstOffset: first.offset, firstDetail: first.detail } : {}),
      });
    }
  }

  // Not async: the batch must not be captured by anything that waits.
  return (batch) => finish(transform(batch.messages), originOf(batch));
}
