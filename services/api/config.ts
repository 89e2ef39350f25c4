/** The service's settings, read and validated once at start from KYMAROS_* variables. */
import { ConfigError, type Env } from "../config/errors.ts";
import { type KafkaSettings, readKafkaSettings } from "../config/kafka.ts";
import { readHost, readLogLevel, readPort } from "../config/process.ts";
import { type RegistrySettings, readRegistrySettings } from "../config/registry.ts";
import { checkTopic, readTopic } from "../config/topic.ts";
import type { LogLevel } from "../log/logger.ts";
import { type ReplicationSettings, readReplication } from "./kafka/replication.ts";
import { IDENTITY_LABELS, type IdentityLabels } from "./metrics/render/identity-labels.ts";
import { readShard } from "./shard/settings.ts";
import type { Shard } from "./shard/shard.ts";

export interface Config {
  kafka: KafkaSettings;
  topic: string;
  dlqTopic: string;
  /** The state changelog (docs/changelog.md), and whether this start ignores it and writes it anew. */
  stateTopic: string;
  stateRebuild: boolean;
  groupId: string;
  port: number;
  host: string;
  logLevel: LogLevel;
  /** What keeps same-named tests apart in the series: nothing (test), namespace, or namespace and cluster. */
  testIdentity: IdentityLabels;
  shard: Shard;
  /** Absent: Confluent-framed messages are dead-lettered as registry_not_configured. */
  registry?: RegistrySettings;
  /** How the topics the service creates are replicated. */
  replication: ReplicationSettings;
}

export function readConfig(env: Env): Config {
  const topic = readTopic(env);
  const dlqTopic = checkTopic(env.KYMAROS_DLQ_TOPIC ?? `${topic}.dlq`, "KYMAROS_DLQ_TOPIC");
  if (dlqTopic === topic) throw new ConfigError("KYMAROS_DLQ_TOPIC", "must differ from KYMAROS_TOPIC");
  const stateTopic = checkTopic(env.KYMAROS_STATE_TOPIC ?? `${topic}.state`, "KYMAROS_STATE_TOPIC");
  if (stateTopic === topic || stateTopic === dlqTopic) {
    throw new ConfigError("KYMAROS_STATE_TOPIC", "must differ from KYMAROS_TOPIC and KYMAROS_DLQ_TOPIC");
  }
  const rebuild = env.KYMAROS_STATE_REBUILD ?? "false";
  if (rebuild !== "true" && rebuild !== "false") {
    throw new ConfigError("KYMAROS_STATE_REBUILD", `"${rebuild}" is not true or false`);
  }
  const groupId = env.KYMAROS_GROUP_ID ?? "kymaros-api";
  if (!/^[A-Za-z0-9._-]{1,235}$/.test(groupId)) {
    throw new ConfigError(
      "KYMAROS_GROUP_ID",
      `"${groupId}" must be 1-235 of [A-Za-z0-9._-] (the reader group adds a suffix)`,
    );
  }
  const logLevel = readLogLevel(env);
  const testIdentity = env.KYMAROS_TEST_IDENTITY ?? "test";
  if (!(IDENTITY_LABELS as readonly string[]).includes(testIdentity)) {
    throw new ConfigError(
      "KYMAROS_TEST_IDENTITY",
      `"${testIdentity}" is not one of ${IDENTITY_LABELS.join(", ")}`,
    );
  }
  const host = readHost(env, "KYMAROS_HOST");
  const registry = readRegistrySettings(env);
  return {
    ...(registry ? { registry } : {}),
    kafka: readKafkaSettings(env, "kymaros-api"),
    topic,
    dlqTopic,
    stateTopic,
    stateRebuild: rebuild === "true",
    groupId,
    port: readPort(env, "KYMAROS_PORT", 8080),
    host,
    logLevel,
    testIdentity: testIdentity as IdentityLabels,
    shard: readShard(env),
    replication: readReplication(env),
  };
}
