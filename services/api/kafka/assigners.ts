/**
 * kafkajs partition assigners over the plans of assignment.ts. kafkajs has neither manual
 * assignment nor static membership, but a group's leader runs the assigner the members agreed
 * on, with every member's join metadata: a member's shard travels there as user data.
 */
import { AssignerProtocol, type GroupMemberAssignment, type PartitionAssigner } from "kafkajs";
import type { Plan, ShardMember } from "../shard/assignment.ts";
import type { Shard } from "../shard/shard.ts";

const USER_DATA_VERSION = 1;

export function encodeShard(shard: Shard): Buffer {
  return Buffer.from(JSON.stringify({ v: USER_DATA_VERSION, index: shard.index, total: shard.total }));
}

/** The shard a member announced, or null when its metadata is not ours. */
export function decodeShard(metadata: Buffer): Shard | null {
  try {
    const userData = AssignerProtocol.MemberMetadata.decode(metadata)?.userData;
    if (!userData || userData.length === 0) return null;
    const v: unknown = JSON.parse(userData.toString("utf8"));
    if (typeof v !== "object" || v === null) return null;
    const { index, total } = v as Record<string, unknown>;
    if (!Number.isInteger(index) || !Number.isInteger(total)) return null;
    const shard = { index: index as number, total: total as number };
    return shard.total >= 1 && shard.index >= 0 && shard.index < shard.total ? shard : null;
  } catch {
    return null;
  }
}

/**
 * What a member of the dead-letter group writes dead letters for, from its assignment's user data
 * (what the leader's `own` plan gave it), or null when the assignment carries none.
 */
export function decodeOwned(memberAssignment: Buffer, topic: string): number[] | null {
  try {
    const userData = AssignerProtocol.MemberAssignment.decode(memberAssignment)?.userData;
    if (!userData || userData.length === 0) return null;
    const owned = (JSON.parse(userData.toString("utf8")) as Record<string, unknown>)[topic];
    return Array.isArray(owned) && owned.every((p) => Number.isInteger(p)) ? (owned as number[]) : null;
  } catch {
    return null;
  }
}

/**
 * `fetch` decides the partitions kafkajs fetches; `own`, when given, travels in each member's
 * assignment as user data. The dead-letter group fetches every partition of the member's shard, so
 * that every member, even one that owns nothing, keeps fetching and so keeps heartbeating
 * (kafkajs heartbeats only between fetched batches), and reads its ownership from `own`.
 */
export function shardAssigner(
  name: string,
  shard: Shard,
  plans: { fetch: Plan; own?: Plan },
): PartitionAssigner {
  return ({ cluster }) => ({
    name,
    version: USER_DATA_VERSION,
    protocol: ({ topics }) => ({
      name,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: USER_DATA_VERSION,
        topics,
        userData: encodeShard(shard),
      }),
    }),
    async assign({ members, topics }): Promise<GroupMemberAssignment[]> {
      const decoded: ShardMember[] = members.map((m) => ({
        memberId: m.memberId,
        shard: decodeShard(m.memberMetadata),
      }));
      const fetch = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
      const own = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
        for (const [into, plan] of [
          [fetch, plans.fetch],
          [own, plans.own],
        ] as const) {
          if (!plan) continue;
          for (const [memberId, mine] of plan(decoded, partitions)) {
            const a = into.get(memberId);
            if (a && mine.length > 0) a[topic] = mine;
          }
        }
      }
      return [...fetch].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: USER_DATA_VERSION,
          assignment,
          userData: plans.own ? Buffer.from(JSON.stringify(own.get(memberId) ?? {})) : Buffer.alloc(0),
        }),
      }));
    },
  });
}
