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

/** Where each of this shard's partitions is read on from. */
export async function restoreState(options: RestoreOptions): Promise<Map<number, number>> {
  const { topic, stateTopic, logger, metrics, worker } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const ends = await retrying(logger, "fetch the topic's offsets", () =>
    options.admin.fetchTopicOffsets(topic),
  );
  const mine = shardPartitions(
    options.shard,
    ends.map((e) => e.partition),
  );
  const starts = new Map(
    ends.filter((e) => mine.includes(e.partition)).map((e) => [e.partition, Number(e.low)]),
  );
  const endsOf = new Map(ends.map((e) => [e.partition, Number(e.high)]));
  const resume = new Map<number, number>();
  if (options.rebuild) {
    refuseRebuild(topic, starts);
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
    const restored = await worker.restore(partition, list);
    if (restored.error !== null) {
      throw new ConfigError(
        "KYMAROS_STATE_TOPIC",
        `topic ${stateTopic} partition ${partition} cannot be read: ${restored.error} (delete the topic and start with KYMAROS_STATE_REBUILD=true while ${topic} still starts at offset 0)`,
      );
    }
    records += list.length;
    if (restored.checkpoint > (endsOf.get(partition) ?? 0)) {
      throw new ConfigError(
        "KYMAROS_STATE_TOPIC",
        `topic ${stateTopic} partition ${partition} has a checkpoint at ${restored.checkpoint}, beyond the end of ${topic} (${endsOf.get(partition)}): it belongs to another topic's history (delete ${stateTopic} and start with KYMAROS_STATE_REBUILD=true)`,
      );
    }
    resume.set(partition, restored.checkpoint);
    const low = starts.get(partition) ?? 0;
    if (low > restored.checkpoint) {
      metrics.stateGaps.inc({ partition });
      logger.error(
        "gap: events were deleted from the topic before the state changelog held them; their runs are missing",
        {
          topic,
          partition,
          logStart: low,
          checkpoint: restored.checkpoint,
        },
      );
    }
  }
  const seconds = (now() - startedAt) / 1000;
  metrics.stateRecordsRestored.set(records);
  metrics.stateRestoreSeconds.set(seconds);
  logger.info("state changelog restored", {
    stateTopic,
    records,
    bytes: read.bytes,
    seconds,
    resume: Object.fromEntries(resume),
  });
  return resume;
}
