/**
 * Reads this shard's partitions of the state changelog to the end they had at start, through a
 * throwaway group of its own (the reader's shard assigner: the changelog is co-partitioned with
 * the events topic), and hands back each partition's records.
 */
import type { Admin } from "kafkajs";
import type { Logger } from "../../log/logger.ts";
import type { RawMessage } from "../worker/protocol.ts";
import { retrying } from "./retry.ts";
import type { ReaderFactory } from "./source.ts";

/** No batch for this long, with partitions still short of their end: said in the log. */
const SLOW_MS = 15_000;
/** ... and for this long: the start fails, naming where each partition stands. */
const STALL_MS = 120_000;

export interface ChangelogRead {
  /** Per partition of the shard, its records in log order. */
  records: Map<number, RawMessage[]>;
  bytes: number;
}

/**
 * Says in the log when no batch came for SLOW_MS, and fails the read after STALL_MS (never seen
 * in a test, but a full bench once hung at start with nothing in the log).
 */
function stallWatch(
  stateTopic: string,
  logger: Logger,
  fail: (error: Error) => void,
  standing: () => string,
): { progress(): void; stop(): void } {
  let progressAt = Date.now();
  let warned = false;
  const timer = setInterval(() => {
    const idle = Date.now() - progressAt;
    if (idle > STALL_MS) {
      fail(
        new Error(
          `reading the state topic ${stateTopic} made no progress for ${STALL_MS / 1000} s (partitions ${standing()}): start with KYMAROS_STATE_REBUILD=true to rebuild it from the events topic`,
        ),
      );
    } else if (idle > SLOW_MS && !warned) {
      warned = true;
      logger.warn("the state topic's read is slow", { stateTopic, partitions: standing() });
    }
  }, 1_000);
  timer.unref();
  return {
    progress: () => {
      progressAt = Date.now();
    },
    stop: () => clearInterval(timer),
  };
}

export async function readChangelog(
  consumers: ReaderFactory,
  admin: Pick<Admin, "fetchTopicOffsets" | "deleteGroups">,
  { stateTopic, groupId, partitions }: { stateTopic: string; groupId: string; partitions: readonly number[] },
  logger: Logger,
): Promise<ChangelogRead> {
  const ends = await retrying(logger, "fetch the state topic's offsets", () =>
    admin.fetchTopicOffsets(stateTopic),
  );
  const wanted = new Set(partitions);
  const remaining = new Map<number, number>();
  const records = new Map<number, RawMessage[]>();
  for (const { partition, low, high } of ends) {
    if (!wanted.has(partition)) continue;
    records.set(partition, []);
    if (Number(high) > Number(low)) remaining.set(partition, Number(high));
  }
  if (remaining.size === 0) return { records, bytes: 0 };

  let bytes = 0;
  let finish: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const c = consumers(
    { groupId, topic: stateTopic },
    {
      joined() {},
      contact() {},
      fetched() {},
      crashed: (error, restart) => (restart ? undefined : fail(error)),
    },
  );
  // kafkajs gives up a connect at once when the seed broker it picked is down.
  await retrying({ info: () => {} }, "connect the changelog reader", () => c.connect());
  // Where each partition's read stands: a read that stops short of an end fails loudly.
  const position = new Map<number, number>();
  const watch = stallWatch(stateTopic, logger, fail, () =>
    [...remaining].map(([p, end]) => `${p} at ${position.get(p) ?? "start"} of ${end}`).join(", "),
  );
  const running = c.run(async (batch) => {
    const end = remaining.get(batch.partition);
    if (end === undefined) return;
    watch.progress();
    position.set(batch.partition, Number(batch.lastOffset()) + 1);
    const list = records.get(batch.partition) as RawMessage[];
    for (const m of batch.messages) {
      if (Number(m.offset) >= end) break;
      list.push({ key: m.key, value: m.value });
      bytes += (m.key?.length ?? 0) + (m.value?.length ?? 0);
    }
    if (Number(batch.lastOffset()) >= end - 1) remaining.delete(batch.partition);
    if (remaining.size === 0) finish();
  });
  running.catch(fail);
  try {
    await done;
  } finally {
    watch.stop();
    await c.disconnect();
    await admin.deleteGroups([groupId]).catch(() => {});
  }
  return { records, bytes };
}
