/** The KYMAROS_KAFKA_* settings, shared by the service, the producer SDK and the CLIs. */
import { ConfigError, type Env } from "./errors.ts";

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
}

const HOST_PORT = /^[A-Za-z0-9.-]+:(\d{1,5})$|^\[[0-9A-Fa-f:.]+\]:(\d{1,5})$/;

export function parseBrokers(value: string, setting = "KYMAROS_KAFKA_BROKERS"): string[] {
  const brokers = value
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0) throw new ConfigError(setting, "no broker given (expected host:port[,host:port])");
  for (const broker of brokers) {
    const match = HOST_PORT.exec(broker);
    const port = Number(match?.[1] ?? match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError(setting, `"${broker}" is not host:port`);
    }
  }
  return brokers;
}

export function readKafkaSettings(env: Env, defaultClientId: string): KafkaSettings {
  const clientId = env.KYMAROS_KAFKA_CLIENT_ID ?? defaultClientId;
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(clientId)) {
    throw new ConfigError("KYMAROS_KAFKA_CLIENT_ID", `"${clientId}" must be 1-128 of [A-Za-z0-9._-]`);
  }
  return { brokers: parseBrokers(env.KYMAROS_KAFKA_BROKERS ?? "localhost:9092"), clientId };
}
