/** KYMAROS_TOPIC: the topic the SDK and CLIs publish to. */
import { ConfigError, type Env } from "../config/errors.ts";

export const DEFAULT_TOPIC = "kymaros.run-completed";
const LEGAL_TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export function checkTopic(topic: string, setting: string): string {
  if (!LEGAL_TOPIC.test(topic) || topic === "." || topic === "..") {
    throw new ConfigError(setting, `"${topic}" is not a Kafka topic name (1-249 of [A-Za-z0-9._-])`);
  }
  return topic;
}

export function readTopic(env: Env): string {
  return checkTopic(env.KYMAROS_TOPIC ?? DEFAULT_TOPIC, "KYMAROS_TOPIC");
}
