/**
 * The main thread's part of a batch: hand it to the transform (the pipeline worker: decode,
 * validate, apply), then send what it refused to the dead-letter topic before the batch counts
 * as handled. One log line per batch that had refusals, never one per message.
 */
import type { BatchResult, RawMessage } from "./ingest/index.ts";
import type { DeadLetter, DeadLetterSink } from "./kafka/dead-letters.ts";
import type { BatchHandler } from "./kafka/source.ts";
import type { Logger } from "./log.ts";
import { recordBatch, type SelfMetrics } from "./metrics/self.ts";

/** A batch's outcomes, and how many tests the state holds after it. */
export type TransformResult = BatchResult & { tests: number };
export type Transform = (messages: readonly RawMessage[]) => Promise<TransformResult>;

export interface PipelineParts {
  transform: Transform;
  deadLetters: DeadLetterSink;
  metrics: SelfMetrics;
  logger: Logger;
  now?: () => number;
}

export function createPipeline(parts: PipelineParts): BatchHandler {
  const { transform, deadLetters, metrics, logger } = parts;
  const now = parts.now ?? Date.now;
  return async (batch) => {
    const result = await transform(batch.messages);
    const letters: DeadLetter[] = [];
    let alreadyDeadLettered = 0;
    for (const reject of result.rejects) {
      const m = batch.messages[reject.index];
      if (m === undefined) continue;
      // An earlier run of the service dead-lettered everything below its committed offset.
      if (Number(m.offset) < batch.handledBefore) {
        alreadyDeadLettered += 1;
        continue;
      }
      letters.push({
        key: m.key,
        value: m.value,
        reason: reject.reason,
        detail: reject.detail,
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        timestamp: m.timestamp,
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
        topic: batch.topic,
        partition: batch.partition,
        reasons,
        deadLettered: letters.length,
        alreadyDeadLettered,
        ...(first ? { firstOffset: first.offset, firstDetail: first.detail } : {}),
      });
    }
  };
}
