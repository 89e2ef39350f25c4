/**
 * The start's restore: this shard's partitions of the state changelog read to their end and
 * loaded into the worker, and the source offset each partition goes on from. No changelog (or
 * KYMAROS_STATE_REBUILD) means a full replay from the log start, and the writer then writes it.
 * A gap (the log start beyond a checkpoint: events deleted before they were saved) is said
 * loudly, counted, and served as it is: what the changelog and the log still hold.
 */
import type { Admin } from "kafkajs";
import { ConfigError } from "../../config/errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { SelfMetrics } from "../metrics/serve/self.ts";
import { type Shard, shardPartitions } from "../shard/shard.ts";
import type { IngestWorker } from "../worker/client.ts";
import type { RawMessage } from "../worker/protocol.ts";
import { readChangelog } from "./changelog-reader.ts";
import { retrying } from "./retry.ts";
import type { ReaderFactory } from "./source.ts";

export interface RestoreOptions {
  consumers: ReaderFactory;
  admin: Pick<Admin, "fetchTopicOffsets" | "deleteGroups">;
  worker: Pick<IngestWorker, "restore">;
  topic: string;
  stateTopic: string;
  rebuild: boolean;
  groupId: string;
  shard: Shard;
  logger: Logger;
  metrics: Pick<SelfMetrics, "stateRecordsRestored" | "stateRestoreSeconds" | "stateGaps">;
  now?: () => number;
}

function refuseRebuild(topic: string, starts: Map<number, number>): void {
  const late = [...starts].find(([, low]) => low > 0);
  if (late === undefined) return;
  throw new ConfigError(
    "KYMAROS_STATE_REBUILD",
    `topic ${topic} partition ${late[0]} starts at offset ${late[1]}, not 0: a rebuild would lose the events before it (unset it to restore from the changelog)`,
  );
}

/** One partition's records loaded: where it reads on from. Refuses what cannot be served right; says a gap. */
async function loadPartition(
  options: RestoreOptions,
  partition: number,
  records: RawMessage[],
  { low, high }: { low: number; high: number },
): Promise<number> {
  const { topic, stateTopic, logger, metrics } = options;
  const restored = await options.worker.restore(partition, records);
  const fix = `delete ${stateTopic} and start with KYMAROS_STATE_REBUILD=true while ${topic} still starts at offset 0`;
  if (restored.error !== null) {
    throw new ConfigError(
      "KYMAROS_STATE_TOPIC",
      `topic ${stateTopic} partition ${partition} cannot be read: ${restored.error} (${fix})`,
    );
  }
  if (restored.checkpoint > high) {
    throw new ConfigError(
      "KYMAROS_STATE_TOPIC",
      `topic ${stateTopic} partition ${partition} has a checkpoint at ${restored.checkpoint}, beyond the end of ${topic} (${high}): it belongs to another history of the topic (${fix})`,
    );
  }
  if (low > restored.checkpoint) {
    metrics.stateGaps.inc({ partition });
    logger.error(
      "gap: events were deleted from the topic before the state changelog held them; their runs are missing",
      { topic, partition, logStart: low, checkpoint: restored.checkpoint },
    );
  }
  return restored.checkpoint;
}

/** Where each of this shard's partitions is read on from. */
export async function restoreState(options: RestoreOptions): Promise<Map<number, number>> {
  const { topic, stateTopic, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const ends = await retrying(logger, "fetch the topic's offsets", () =>
    options.admin.fetchTopicOffsets(topic),
  );
  const mine = shardPartitions(
    options.shard,
    ends.map((e) => e.partition),
  );
  const spans = new Map(
    ends
      .filter((e) => mine.includes(e.partition))
      .map((e) => [e.partition, { low: Number(e.low), high: Number(e.high) }]),
  );
  const resume = new Map<number, number>();
  if (options.rebuild) {
    refuseRebuild(topic, new Map([...spans].map(([p, span]) => [p, span.low])));
    logger.warn(
      "state changelog ignored (KYMAROS_STATE_REBUILD): replaying the whole topic and writing it anew",
      {
        stateTopic,
      },
    );
    return resume;
  }
  const read = await readChangelog(
    options.consumers,
    options.admin,
    { stateTopic, groupId: options.groupId, partitions: mine },
    logger,
  );
  let records = 0;
  for (const [partition, list] of read.records) {
    const span = spans.get(partition) ?? { low: 0, high: 0 };
    resume.set(partition, await loadPartition(options, partition, list, span));
    records += list.length;
  }
  const seconds = (now() - startedAt) / 1000;
  metrics.stateRecordsRestored.set(records);
  metrics.stateRestoreSeconds.set(seconds);
  const at = Object.fromEntries(resume);
  logger.info("state changelog restored", { stateTopic, records, bytes: read.bytes, seconds, resume: at });
  return resume;
}
