/**
 * One batch from the source, through ingest, into the state; refused messages to the dead-letter
 * sink before the batch counts as handled. Logs one line per batch that had refusals.
 */
import type { Codec } from "../contract/index.ts";
import type { State } from "./core/index.ts";
import { countResult, emptyTally, ingest } from "./ingest/index.ts";
import type { DeadLetter, DeadLetterSink } from "./kafka/dead-letters.ts";
import type { BatchHandler } from "./kafka/source.ts";
import type { Logger } from "./log.ts";
import { recordTally, type SelfMetrics } from "./metrics/self.ts";

export interface PipelineParts {
  codec: Codec;
  state: State;
  deadLetters: DeadLetterSink;
  metrics: SelfMetrics;
  logger: Logger;
  /** Called after a batch that changed the state. */
  onChange?: () => void;
  now?: () => number;
}

export function createPipeline(parts: PipelineParts): BatchHandler {
  const { codec, state, deadLetters, metrics, logger } = parts;
  const now = parts.now ?? Date.now;
  return async (batch) => {
    const tally = emptyTally();
    const letters: DeadLetter[] = [];
    let alreadyDeadLettered = 0;
    for (const m of batch.messages) {
      const result = ingest(codec, state, m.key, m.value);
      countResult(tally, result);
      if (result.outcome !== "invalid") continue;
      if (Number(m.offset) < batch.handledBefore) {
        alreadyDeadLettered += 1;
        continue;
      }
      letters.push({
        key: m.key,
        value: m.value,
        reason: result.reason,
        detail: result.detail,
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        timestamp: m.timestamp,
      });
    }
    await deadLetters.send(letters);

    recordTally(metrics, tally);
    if (letters.length > 0) metrics.deadLetters.inc({ result: "published" }, letters.length);
    if (alreadyDeadLettered > 0) metrics.deadLetters.inc({ result: "skipped" }, alreadyDeadLettered);
    if (tally.applied > 0) {
      metrics.lastAppliedTime.set(now() / 1000);
      parts.onChange?.();
    }
    metrics.tests.set(state.tests.size);
    if (tally.invalid.size > 0) {
      const first = letters[0];
      logger.warn("refused messages", {
        topic: batch.topic,
        partition: batch.partition,
        reasons: Object.fromEntries(tally.invalid),
        deadLettered: letters.length,
        alreadyDeadLettered,
        ...(first ? { firstOffset: first.offset, firstDetail: first.detail } : {}),
      });
    }
  };
}
