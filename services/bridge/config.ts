/**
 * The bridge's settings, read and validated once at start from KYMAROS_* variables; a bad one
 * stops the start naming it (ConfigError), as the service does. The KYMAROS_KAFKA_* settings
 * and KYMAROS_TOPIC are the producer SDK's, read by it.
 */

import { ConfigError, type Env } from "../config/errors.ts";
import { readKafkaSettings } from "../config/kafka.ts";
import { readHost, readLogLevel, readPort } from "../config/process.ts";
import { readTopic } from "../config/topic.ts";
import type { LogLevel } from "../log/logger.ts";

export const DEFAULT_BRIDGE_PORT = 8081;
export const DEFAULT_GROUP = "restore.kymaros.io";
export const DEFAULT_VERSION = "v1alpha1";

export interface BridgeConfig {
  /** Namespaces watched; empty: all (one cluster-wide watch). */
  namespaces: string[];
  /** Kubeconfig file; absent: in-cluster when there, else the default kubeconfig. */
  kubeconfig?: string;
  group: string;
  version: string;
  /** Written as the runs' `cluster` (schema v2); null leaves it out. */
  cluster: string | null;
  topic: string;
  port: number;
  host: string;
  logLevel: LogLevel;
  /** Longest wait between two attempts (Kafka or API server), in milliseconds. */
  maxBackoffMs: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const GROUP = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function namespaces(env: Env): string[] {
  const raw = env.KYMAROS_BRIDGE_NAMESPACES;
  if (raw === undefined || raw.trim() === "") return [];
  const list = raw
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  for (const n of list) {
    if (!DNS_LABEL.test(n)) {
      throw new ConfigError("KYMAROS_BRIDGE_NAMESPACES", `"${n}" is not a namespace name (RFC 1123 label)`);
    }
  }
  return [...new Set(list)];
}

function milliseconds(env: Env, setting: string, fallback: number): number {
  const raw = env[setting];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 100 || value > 3_600_000) {
    throw new ConfigError(setting, `"${raw}" is not a whole number of milliseconds in 100..3600000`);
  }
  return value;
}

export function readBridgeConfig(env: Env): BridgeConfig {
  // The Kafka settings are validated here too, so that a bad one stops the start at once.
  readKafkaSettings(env, "kymaros-bridge");
  const logLevel = readLogLevel(env);
  const group = env.KYMAROS_BRIDGE_GROUP ?? DEFAULT_GROUP;
  if (!GROUP.test(group))
    throw new ConfigError("KYMAROS_BRIDGE_GROUP", `"${group}" is not an API group name`);
  const version = env.KYMAROS_BRIDGE_VERSION ?? DEFAULT_VERSION;
  if (!/^v[0-9]+((alpha|beta)[0-9]+)?$/.test(version)) {
    throw new ConfigError("KYMAROS_BRIDGE_VERSION", `"${version}" is not an API version (v1, v1alpha1, ...)`);
  }
  const kubeconfig = env.KYMAROS_KUBECONFIG;
  if (kubeconfig !== undefined && kubeconfig.trim() === "")
    throw new ConfigError("KYMAROS_KUBECONFIG", "is empty");
  const cluster = env.KYMAROS_CLUSTER;
  if (cluster !== undefined && (cluster.length === 0 || cluster.length > 253)) {
    throw new ConfigError("KYMAROS_CLUSTER", "must be 1-253 characters");
  }
  const host = readHost(env, "KYMAROS_BRIDGE_HOST");
  const config: BridgeConfig = {
    namespaces: namespaces(env),
    group,
    version,
    cluster: cluster ?? null,
    topic: readTopic(env),
    port: readPort(env, "KYMAROS_BRIDGE_PORT", DEFAULT_BRIDGE_PORT),
    host,
    logLevel,
    maxBackoffMs: milliseconds(env, "KYMAROS_BRIDGE_MAX_BACKOFF_MS", 30_000),
  };
  if (kubeconfig !== undefined) config.kubeconfig = kubeconfig;
  return config;
}
