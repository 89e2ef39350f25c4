/**
 * Who gets which partitions in the two consumer groups of an instance (pure; the kafkajs
 * assigners in kafka/assigners.ts wrap it). Each member announces its shard in its join metadata.
 *
 * - The reader group is each process's own (one member): every member gets all of its shard's
 *   partitions, so it replays its whole shard and never shares a partition with anyone.
 * - The dead-letter group is shared by every instance: each partition goes to exactly one member
 *   whose shard owns it (fewest partitions first, ties by member id), and that member alone
 *   writes the partition's dead letters and commits its offsets there.
 */
import { ownsPartition, type Shard, shardPartitions } from "./shard.ts";

export interface ShardMember {
  memberId: string;
  /** null when the member announced no shard we can read (another version, another client). */
  shard: Shard | null;
}

export type Plan = (members: readonly ShardMember[], partitions: readonly number[]) => Map<string, number[]>;

const byId = (a: ShardMember, b: ShardMember) =>
  a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
const ascending = (partitions: readonly number[]) => [...partitions].sort((a, b) => a - b);

/** Who fetches what: each member its whole shard. */

export const readerPlan: Plan = (members, partitions) => {
  const plan = new Map<string, number[]>();
  for (const m of members) {
    const shard = m.shard;
    plan.set(m.memberId, shard === null ? [] : shardPartitions(shard, partitions));
  }
  return plan;
};

/** Who writes a partition's dead letters: one member of the shard that owns it. */
export const ownerPlan: Plan = (members, partitions) => {
  const sorted = [...members].sort(byId);
  const plan = new Map<string, number[]>(sorted.map((m) => [m.memberId, []]));
  for (const p of ascending(partitions)) {
    let best: number[] | undefined;
    for (const m of sorted) {
      if (m.shard === null || !ownsPartition(m.shard, p)) continue;
      const load = plan.get(m.memberId) as number[];
      if (best === undefined || load.length < best.length) best = load;
    }
    best?.push(p);
  }
  return plan;
};
