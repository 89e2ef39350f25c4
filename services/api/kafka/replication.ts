/**
 * How durable the topics are: the replication settings the service creates its topics with, and
 * the check of what the topics it found actually have. A topic with one replica, or with
 * min.insync.replicas 1, loses acknowledged runs when one broker's disk does: on a cluster that
 * could do better (three brokers or more) that is reported, never silent.
 */
import type { Admin, ConfigResourceTypes } from "kafkajs";
import { ConfigError, type Env } from "../../config/errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { SelfMetrics } from "../metrics/serve/self.ts";

// kafkajs is CommonJS and Node's ESM loader cannot see this export: the protocol value of TOPIC.
export const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** What a production cluster runs: one broker may fail with no acknowledged write lost. */
export const RECOMMENDED = { replicationFactor: 3, minInsyncReplicas: 2 } as const;

export interface ReplicationSettings {
  /** Replicas of each topic the service creates; undefined: the broker's default.replication.factor. */
  replicationFactor: number | undefined;
  /** min.insync.replicas of each topic the service creates; undefined: the broker's default. */
  minInsyncReplicas: number | undefined;
}

function positive(env: Env, setting: string): number | undefined {
  const raw = env[setting];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > 32) {
    throw new ConfigError(setting, `"${raw}" must be a whole number from 1 to 32`);
  }
  return n;
}

export function readReplication(env: Env): ReplicationSettings {
  const replicationFactor = positive(env, "KYMAROS_TOPIC_REPLICATION_FACTOR");
  const minInsyncReplicas = positive(env, "KYMAROS_TOPIC_MIN_INSYNC_REPLICAS");
  if (
    replicationFactor !== undefined &&
    minInsyncReplicas !== undefined &&
    minInsyncReplicas > replicationFactor
  ) {
    throw new ConfigError(
      "KYMAROS_TOPIC_MIN_INSYNC_REPLICAS",
      `${minInsyncReplicas} exceeds KYMAROS_TOPIC_REPLICATION_FACTOR ${replicationFactor}: no write could ever be acknowledged`,
    );
  }
  return { replicationFactor, minInsyncReplicas };
}

/** The CreateTopics fields for a topic the service creates. */
export function creationFields(settings: ReplicationSettings): {
  replicationFactor?: number;
  configEntries: Array<{ name: string; value: string }>;
} {
  return {
    ...(settings.replicationFactor === undefined ? {} : { replicationFactor: settings.replicationFactor }),
    configEntries:
      settings.minInsyncReplicas === undefined
        ? []
        : [{ name: "min.insync.replicas", value: String(settings.minInsyncReplicas) }],
  };
}

export interface TopicDurability {
  topic: string;
  /** The fewest replicas of any of its partitions. */
  replicationFactor: number;
  minInsyncReplicas: number;
}

/** Weak: below the recommendation on a cluster with the brokers to meet it. */
export function isWeak(d: TopicDurability, brokers: number): boolean {
  if (brokers < RECOMMENDED.replicationFactor) return false;
  return (
    d.replicationFactor < RECOMMENDED.replicationFactor || d.minInsyncReplicas < RECOMMENDED.minInsyncReplicas
  );
}

export type ReplicationAdmin = Pick<Admin, "describeCluster" | "fetchTopicMetadata" | "describeConfigs">;

async function describeDurability(
  admin: ReplicationAdmin,
  topics: readonly string[],
): Promise<TopicDurability[]> {
  const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ["min.insync.replicas"] })),
  });
  return topics.map((topic) => {
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions ?? [];
    const entries = configs.resources.find((r) => r.resourceName === topic)?.configEntries ?? [];
    const minIsr = entries.find((e) => e.configName === "min.insync.replicas")?.configValue;
    return {
      topic,
      replicationFactor: Math.min(...partitions.map((p) => p.replicas.length)),
      minInsyncReplicas: Number(minIsr ?? "1"),
    };
  });
}

/** Exports and warns about topics that could lose acknowledged runs on this cluster. */
export async function checkReplication(
  admin: ReplicationAdmin,
  topics: readonly string[],
  logger: Logger,
  metrics: Pick<SelfMetrics, "topicReplicationWeak">,
): Promise<void> {
  const { brokers } = await admin.describeCluster();
  for (const d of await describeDurability(admin, topics)) {
    const weak = isWeak(d, brokers.length);
    metrics.topicReplicationWeak.set({ topic: d.topic }, weak ? 1 : 0);
    if (!weak) continue;
    logger.warn(
      "topic could lose acknowledged runs when one broker fails: raise its replication factor to 3 and min.insync.replicas to 2",
      { ...d, brokers: brokers.length },
    );
  }
}
