/**
 * The state changelog's topic (docs/changelog.md): created compacted, with the events topic's
 * partition count (partition p holds source partition p's records), when missing; an existing
 * one is checked (a delete policy, or more partitions than the topic, stops the start with the
 * fix), and grown when the events topic grew.
 */
import type { Admin } from "kafkajs";
import { ConfigError } from "../../config/errors.ts";
import type { Logger } from "../../log/logger.ts";
import { creationFields, type ReplicationSettings, TOPIC_RESOURCE } from "./replication.ts";
import { retrying } from "./retry.ts";

export type StateTopicAdmin = Pick<
  Admin,
  "listTopics" | "createTopics" | "describeConfigs" | "fetchTopicMetadata" | "createPartitions"
>;

async function partitionCount(admin: StateTopicAdmin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.length ?? 0;
}

async function create(
  admin: StateTopicAdmin,
  stateTopic: string,
  partitions: number,
  replication: ReplicationSettings,
  logger: Logger,
) {
  const { configEntries: durability, ...replicas } = creationFields(replication);
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: stateTopic,
          numPartitions: partitions,
          ...replicas,
          configEntries: [
            ...durability,
            { name: "cleanup.policy", value: "compact" },
            // Records stay until a newer one of their key replaces them: no time or size limit.
            { name: "retention.ms", value: "-1" },
            { name: "retention.bytes", value: "-1" },
            // Compaction never touches the active segment: small segments let it keep the
            // log (and so a restore's read) near the state's size.
            { name: "segment.bytes", value: String(16 * 1024 * 1024) },
            { name: "segment.ms", value: String(3_600_000) },
          ],
        },
      ],
    });
    logger.info("created topic", { topic: stateTopic, partitions, cleanupPolicy: "compact" });
  } catch (err) {
    // Another instance may have created it at the same time.
    if (!(await admin.listTopics()).includes(stateTopic)) throw err;
  }
}

async function cleanupPolicy(admin: StateTopicAdmin, topic: string): Promise<string | undefined> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ["cleanup.policy"] }],
  });
  return described.resources[0]?.configEntries.find((e) => e.configName === "cleanup.policy")?.configValue;
}

/** The state topic exists, compacted, with as many partitions as the events topic. */
export async function prepareStateTopic(
  admin: StateTopicAdmin,
  { topic, stateTopic, replication }: { topic: string; stateTopic: string; replication: ReplicationSettings },
  logger: Logger,
): Promise<void> {
  const sourcePartitions = await retrying(logger, "read the topic's partitions", () =>
    partitionCount(admin, topic),
  );
  if (!(await retrying(logger, "list the topics", () => admin.listTopics())).includes(stateTopic)) {
    await retrying(logger, "create the state topic", () =>
      create(admin, stateTopic, sourcePartitions, replication, logger),
    );
  }
  const policy = await retrying(logger, "describe the state topic", () => cleanupPolicy(admin, stateTopic));
  if (policy !== "compact") {
    throw new ConfigError(
      "KYMAROS_STATE_TOPIC",
      `topic ${stateTopic} has cleanup.policy=${policy ?? "unknown"}: it must be compact alone (set cleanup.policy=compact, or delete the topic to have it created)`,
    );
  }
  const count = await retrying(logger, "read the state topic's partitions", () =>
    partitionCount(admin, stateTopic),
  );
  if (count > sourcePartitions) {
    throw new ConfigError(
      "KYMAROS_STATE_TOPIC",
      `topic ${stateTopic} has ${count} partitions, ${topic} has ${sourcePartitions}: it is not this topic's changelog (delete ${stateTopic} and start with KYMAROS_STATE_REBUILD=true)`,
    );
  }
  if (count < sourcePartitions) {
    // The events topic grew: its new partitions get theirs. A test whose runs now lie in two
    // partitions stops the checkpoint of the second (changelog/tracker.ts), so nothing is served wrong.
    await retrying(logger, "add the state topic's partitions", () =>
      admin.createPartitions({ topicPartitions: [{ topic: stateTopic, count: sourcePartitions }] }),
    );
    logger.warn("state topic grown with the events topic", { stateTopic, from: count, to: sourcePartitions });
  }
}
