/**
 * Topic setup, the first thing a start does with Kafka: creates the events and dead-letter
 * topics when missing (with the replication settings), and checks (and exports) the events
 * topic's retention and both topics' replication.
 */
import type { Admin } from "kafkajs";
import type { Logger } from "../../log/logger.ts";
import type { SelfMetrics } from "../metrics/serve/self.ts";
import {
  checkReplication,
  creationFields,
  type ReplicationAdmin,
  type ReplicationSettings,
  TOPIC_RESOURCE,
} from "./replication.ts";
import { retrying } from "./retry.ts";

/** What topic setup asks of the admin client. */
export type TopicAdmin = Pick<Admin, "listTopics" | "createTopics" | "describeConfigs"> & ReplicationAdmin;

export interface TopicNames {
  topic: string;
  dlqTopic: string;
  replication: ReplicationSettings;
}

const EVENTS_TOPIC_PARTITIONS = 6;

interface RetentionCheck {
  finite: boolean;
  retentionMs: string | undefined;
  retentionBytes: string | undefined;
  cleanupPolicy: string | undefined;
}

async function ensureTopics(admin: TopicAdmin, names: TopicNames, logger: Logger): Promise<void> {
  const { topic, dlqTopic } = names;
  const existing = new Set(await admin.listTopics());
  const { configEntries: durability, ...replicas } = creationFields(names.replication);
  const wanted = [
    // The log is the system of record: it must never forget a run.
    {
      topic,
      numPartitions: EVENTS_TOPIC_PARTITIONS,
      configEntries: [
        { name: "retention.ms", value: "-1" },
        { name: "retention.bytes", value: "-1" },
        { name: "cleanup.policy", value: "delete" },
      ],
    },
    { topic: dlqTopic, numPartitions: 1, configEntries: [{ name: "retention.ms", value: "-1" }] },
  ]
    .filter((t) => !existing.has(t.topic))
    .map((t) => ({ ...t, ...replicas, configEntries: [...t.configEntries, ...durability] }));
  if (wanted.length === 0) return;
  try {
    await admin.createTopics({ topics: wanted, waitForLeaders: true });
  } catch (err) {
    // Another instance may have created it at the same time; only a still-missing topic is an error.
    const now = new Set(await admin.listTopics());
    if (wanted.some((t) => !now.has(t.topic))) throw err;
  }
  for (const t of wanted) logger.info("created topic", { topic: t.topic, partitions: t.numPartitions });
}

async function checkRetention(admin: TopicAdmin, topic: string): Promise<RetentionCheck> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      {
        type: TOPIC_RESOURCE,
        name: topic,
        configNames: ["retention.ms", "retention.bytes", "cleanup.policy"],
      },
    ],
  });
  const entries = described.resources[0]?.configEntries ?? [];
  const value = (name: string) => entries.find((e) => e.configName === name)?.configValue;
  const retentionMs = value("retention.ms");
  const retentionBytes = value("retention.bytes");
  const cleanupPolicy = value("cleanup.policy");
  const finite =
    (retentionMs !== undefined && retentionMs !== "-1") ||
    (retentionBytes !== undefined && retentionBytes !== "-1") ||
    (cleanupPolicy?.includes("compact") ?? false);
  return { finite, retentionMs, retentionBytes, cleanupPolicy };
}

/**
 * Both topics exist and the events topic's retention is known (exported, and warned about when
 * it would lose runs). Awaited before anything reads the topic.
 */
export async function prepareTopics(
  admin: TopicAdmin,
  names: TopicNames,
  logger: Logger,
  metrics: Pick<SelfMetrics, "retentionFinite" | "topicReplicationWeak">,
): Promise<void> {
  const { topic, dlqTopic } = names;
  await ensureTopics(admin, names, logger);
  await retrying(logger, "describe the topics' replication", () =>
    checkReplication(admin, [topic, dlqTopic], logger, metrics),
  );
  const retention = await retrying(logger, "describe the topic's configuration", () =>
    checkRetention(admin, topic),
  );
  metrics.retentionFinite.set({ topic }, retention.finite ? 1 : 0);
  if (retention.finite) {
    logger.warn(
      "events topic retention is finite: runs older than it live on only in the state changelog (a replica down longer than it leaves a gap)",
      {
        topic,
        ...retention,
      },
    );
  }
}
