/**
 * A start that Kafka's authorizer refuses: named as the grant to add, not as what kafkajs makes
 * of it (a group it may not use surfaces as "failed to find group coordinator" once it retried).
 * The grants are those of docs/security.md.
 */
import { ConfigError } from "../../config/errors.ts";

export interface Resources {
  topic: string;
  dlqTopic: string;
  groupId: string;
}

/** The authorizer's error type carried by a kafkajs error or one it wraps, if any. */
function denial(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === "string" && type.endsWith("_AUTHORIZATION_FAILED")) return type;
  }
  return undefined;
}

/** `err` as a ConfigError naming the resource and the grant when the authorizer refused; else `err`. */
export function explainDenied(err: unknown, r: Resources): unknown {
  // kafkajs turns a refused FindCoordinator into this, with the broker's answer only in its log.
  if (err instanceof Error && err.name === "KafkaJSGroupCoordinatorNotFound") {
    return new ConfigError(
      "Kafka ACLs",
      `no broker names a coordinator for group ${r.groupId}: the broker denies this principal the group (grant Read, Describe and Delete on the group prefix ${r.groupId}), or its coordinator is still loading (docs/security.md)`,
    );
  }
  const type = denial(err);
  if (type === undefined) return err;
  const grant = {
    GROUP_AUTHORIZATION_FAILED: `group ${r.groupId}: grant Read, Describe and Delete on the group prefix ${r.groupId}`,
    TOPIC_AUTHORIZATION_FAILED: `a topic: grant Read, Describe and DescribeConfigs on topic ${r.topic}, and Write, Describe and DescribeConfigs on topic ${r.dlqTopic} (and Create on the topic prefix ${r.topic} where the service creates them)`,
    CLUSTER_AUTHORIZATION_FAILED:
      "the cluster: grant IdempotentWrite on the cluster (brokers before Kafka 3.0), or Write on the topics",
  }[type];
  return new ConfigError(
    "Kafka ACLs",
    `the broker denies this principal ${grant ?? `an operation (${type})`} (docs/security.md)`,
  );
}
