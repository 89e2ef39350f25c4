/**
 * The two kafkajs consumers of an instance, behind the seams their users declare: the reader
 * (source.ts's ReaderConsumer, a group of its own) and the member of the shared dead-letter
 * group (dead-letter-group.ts's GroupConsumer). Their settings and assigners live here; what
 * they do with the batches and the joins lives with their users, unit-tested on fakes.
 */
import { type Kafka, PartitionAssigners } from "kafkajs";
import { ownerPlan, readerPlan } from "../shard/assignment.ts";
import type { Shard } from "../shard/shard.ts";
import { decodeOwned, shardAssigner } from "./assigners.ts";
import type { GroupConsumerFactory } from "./dead-letter-group.ts";
import { retrying } from "./retry.ts";
import type { ReaderFactory } from "./source.ts";

/** The dead-letter group's assigner; its name is on the wire, so it keeps the one of earlier versions. */
const DEAD_LETTER_ASSIGNER = "KymarosShardLedger";
const READER_ASSIGNER = "KymarosShardReader";
/** kafkajs itself warns of each failed connection. */
const QUIET = { info: () => {} };

export function kafkaReaders(kafka: Kafka, shard: Shard, sessionMs = 10_000): ReaderFactory {
  return ({ groupId, topic }, events) => {
    const c = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      partitionAssigners: [shardAssigner(READER_ASSIGNER, shard, { fetch: readerPlan })],
      // Small fetches: a batch's objects die young instead of being promoted to the old
      // generation, which keeps the heap (and RSS) small.
      maxBytesPerPartition: 512 * 1024,
      maxBytes: 3072 * 1024,
      maxWaitTimeInMs: 500,
      // Alone in its group: the session only matters to the broker's cleanup of the group.
      sessionTimeout: sessionMs,
      heartbeatInterval: 1_000,
    });
    c.on(c.events.GROUP_JOIN, ({ payload }) =>
      events.joined(payload.memberAssignment[topic] ?? [], payload.duration),
    );
    c.on(c.events.FETCH, ({ payload }) => events.fetched(payload.nodeId));
    c.on(c.events.HEARTBEAT, () => events.contact());
    c.on(c.events.CRASH, ({ payload }) => events.crashed(payload.error, payload.restart));
    return {
      connect: () => c.connect(),
      async run(eachBatch) {
        await c.subscribe({ topic, fromBeginning: true });
        await c.run({
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: ({ batch, isStale, heartbeat }) => eachBatch(batch, { isStale, heartbeat }),
        });
      },
      seek: (partition, offset) => c.seek({ topic, partition, offset: String(offset) }),
      disconnect: () => c.disconnect(),
    };
  };
}

export function kafkaGroupMembers(kafka: Kafka, shard: Shard, sessionMs: number): GroupConsumerFactory {
  return ({ groupId, topic }, events) => {
    const c = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      // Round robin second: the protocol of the versions before shards, which read through
      // this group. While one of them is still in it (a rolling upgrade), the group agrees on
      // round robin, this member owns nothing (its assignment carries no ownership) and keeps
      // its refusals; once they left, the group turns to the dead-letter assigner.
      partitionAssigners: [
        shardAssigner(DEAD_LETTER_ASSIGNER, shard, { fetch: readerPlan, own: ownerPlan }),
        PartitionAssigners.roundRobin,
      ],
      sessionTimeout: sessionMs,
      heartbeatInterval: 1_000,
      // It reads only the live events, and only to keep heartbeating: small fetches.
      maxBytesPerPartition: 64 * 1024,
      maxWaitTimeInMs: 1_000,
    });
    c.on(c.events.GROUP_JOIN, ({ payload }) =>
      events.joined(payload.memberId, payload.memberAssignment[topic] ?? []),
    );
    c.on(c.events.HEARTBEAT, () => events.heartbeat());
    c.on(c.events.CRASH, ({ payload }) => events.crashed(payload.error, payload.restart));
    return {
      async run() {
        // kafkajs gives up a connect at once when the seed broker it picked is down.
        await retrying(QUIET, "connect the dead-letter group member", () => c.connect());
        await c.subscribe({ topic, fromBeginning: false });
        await c.run({ autoCommit: false, eachBatch: async () => {} });
      },
      seek: (partition, offset) => c.seek({ topic, partition, offset }),
      commit: (offsets) => c.commitOffsets(offsets.map((entry) => ({ topic, ...entry }))),
      async owned(memberId) {
        const me = (await c.describeGroup()).members.find((m) => m.memberId === memberId);
        return me ? decodeOwned(me.memberAssignment, topic) : null;
      },
      disconnect: () => c.disconnect(),
    };
  };
}
