/**
 * The shard settings: KYMAROS_TOTAL_SHARDS (default 1) and KYMAROS_SHARD. When KYMAROS_SHARD is
 * unset and there is more than one shard, the shard is the StatefulSet pod's ordinal (the
 * number that ends HOSTNAME, "kymaros-api-4") modulo the shard count, so ordinals i, i+N, i+2N
 * ... are the replicas of shard i and scaling the StatefulSet by N adds one replica to each.
 */
import { ConfigError, type Env } from "../../config/errors.ts";
import type { Shard } from "./shard.ts";

/** Far above any sensible count; keeps a typo from asking for millions of shards. */
export const MAX_SHARDS = 1024;

function count(setting: string, raw: string, min: number, max: number): number {
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(setting, `"${raw}" is not an integer from ${min} to ${max}`);
  }
  return Number(raw);
}

/** The trailing ordinal of a StatefulSet pod's hostname ("<statefulset>-<ordinal>"), or null. */
export function podOrdinal(hostname: string | undefined): number | null {
  const match = /-(\d{1,7})$/.exec(hostname ?? "");
  return match ? Number(match[1]) : null;
}

export function readShard(env: Env): Shard {
  const totalRaw = env.KYMAROS_TOTAL_SHARDS;
  const total = totalRaw === undefined ? 1 : count("KYMAROS_TOTAL_SHARDS", totalRaw, 1, MAX_SHARDS);
  const shardRaw = env.KYMAROS_SHARD;
  if (shardRaw !== undefined) {
    const index = count("KYMAROS_SHARD", shardRaw, 0, MAX_SHARDS - 1);
    if (index >= total) {
      throw new ConfigError(
        "KYMAROS_SHARD",
        `${index} is not below KYMAROS_TOTAL_SHARDS (${total}): shards are numbered 0 to ${total - 1}`,
      );
    }
    return { index, total };
  }
  if (total === 1) return { index: 0, total };
  const ordinal = podOrdinal(env.HOSTNAME);
  if (ordinal === null) {
    throw new ConfigError(
      "KYMAROS_SHARD",
      `unset with KYMAROS_TOTAL_SHARDS=${total}, and HOSTNAME "${env.HOSTNAME ?? ""}" ends in no StatefulSet ordinal (-<n>)`,
    );
  }
  return { index: ordinal % total, total };
}
