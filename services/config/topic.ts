/** The events topic: its default, and the naming rule every topic setting is held to. */
import { ConfigError, type Env } from "./errors.ts";

export const DEFAULT_TOPIC = "kymaros.run-completed";
const LEGAL_TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/** `topic` when Kafka accepts it as a topic name; otherwise a ConfigError naming `setting`. */
export function checkTopic(topic: string, setting: string): string {
  if (!LEGAL_TOPIC.test(topic) || topic === "." || topic === "..") {
    throw new ConfigError(setting, `"${topic}" is not a Kafka topic name (1-249 of [A-Za-z0-9._-])`);
  }
  return topic;
}

/** KYMAROS_TOPIC, the events topic the service reads and the SDK and CLIs publish to. */
export function readTopic(env: Env): string {
  return checkTopic(env.KYMAROS_TOPIC ?? DEFAULT_TOPIC, "KYMAROS_TOPIC");
}
