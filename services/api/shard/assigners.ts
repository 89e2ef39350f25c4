/**
 * kafkajs partition assigners over the plans of assignment.ts. kafkajs has neither manual
 * assignment nor static membership, but a group's leader runs the assigner the members agreed
 * on, with every member's join metadata: a member's shard travels there as user data.
 */
import { AssignerProtocol, type GroupMemberAssignment, type PartitionAssigner } from "kafkajs";
import type { Plan, ShardMember } from "./assignment.ts";
import type { Shard } from "./shard.ts";

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

export function shardAssigner(name: string, shard: Shard, plan: Plan): PartitionAssigner {
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
      const assignments = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
        for (const [memberId, mine] of plan(decoded, partitions)) {
          const a = assignments.get(memberId);
          if (a && mine.length > 0) a[topic] = mine;
        }
      }
      return [...assignments].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: USER_DATA_VERSION,
          assignment,
          userData: Buffer.alloc(0),
        }),
      }));
    },
  });
}
