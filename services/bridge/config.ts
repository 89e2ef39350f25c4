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
export const DEFAULT_VELERO_NAMESPACE = "velero";
/** What k8s/base ships as KYMAROS_CLUSTER: refused, so that every install names its cluster. */
export const CLUSTER_PLACEHOLDER = "REPLACE-WITH-THE-CLUSTER-NAME";
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
  /** Where a run's backup age comes from: Velero's Restore and Backup, or the report alone. */
  backupAge: "velero" | "off";
  /** Velero's namespace (its Restores and Backups). */
  veleroNamespace: string;
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

function apiGroup(env: Env): string {
  // Refused rather than honoured: the old name read alone would leave the new one unset and
  // the bridge watching the default group, silently.
  if (env.KYMAROS_BRIDGE_GROUP !== undefined) {
    throw new ConfigError("KYMAROS_BRIDGE_GROUP", "was renamed: set KYMAROS_BRIDGE_API_GROUP instead");
  }
  const group = env.KYMAROS_BRIDGE_API_GROUP ?? DEFAULT_GROUP;
  if (!GROUP.test(group))
    throw new ConfigError("KYMAROS_BRIDGE_API_GROUP", `"${group}" is not an API group name`);
  return group;
}

/**
 * The runs' cluster. In a pod it must be said: unset there is ambiguous (two clusters' bridges
 * on one topic would merge, and one's deletions retire the other's tests). An empty value says
 * "no cluster" on purpose, which the service reads as the same identity as none. Outside a pod
 * (a kubeconfig: a laptop, CI) unset still means none.
 */
function cluster(env: Env): string | null {
  const value = env.KYMAROS_CLUSTER;
  if (value === undefined) {
    const inPod = env.KUBERNETES_SERVICE_HOST !== undefined && env.KYMAROS_KUBECONFIG === undefined;
    if (inPod) {
      throw new ConfigError(
        "KYMAROS_CLUSTER",
        'is unset in a pod: set this cluster\'s name (the same in every producer for it), or "" for an install with one cluster and no name',
      );
    }
    return null;
  }
  if (value === CLUSTER_PLACEHOLDER) {
    throw new ConfigError(
      "KYMAROS_CLUSTER",
      `is still the placeholder ${CLUSTER_PLACEHOLDER}: set this cluster's name in the kymaros-bridge-settings ConfigMap`,
    );
  }
  if (value.length > 253 || value.trim() !== value) {
    throw new ConfigError(
      "KYMAROS_CLUSTER",
      "must be at most 253 characters, without leading or trailing blanks",
    );
  }
  return value === "" ? null : value;
}

function backupAge(env: Env): "velero" | "off" {
  const raw = env.KYMAROS_BRIDGE_BACKUP_AGE ?? "velero";
  if (raw !== "velero" && raw !== "off") {
    throw new ConfigError("KYMAROS_BRIDGE_BACKUP_AGE", `"${raw}" is neither velero nor off`);
  }
  return raw;
}

function veleroNamespace(env: Env): string {
  const ns = env.KYMAROS_BRIDGE_VELERO_NAMESPACE ?? DEFAULT_VELERO_NAMESPACE;
  if (!DNS_LABEL.test(ns)) {
    throw new ConfigError(
      "KYMAROS_BRIDGE_VELERO_NAMESPACE",
      `"${ns}" is not a namespace name (RFC 1123 label)`,
    );
  }
  return ns;
}

export function readBridgeConfig(env: Env): BridgeConfig {
  // The Kafka settings are validated here too, so that a bad one stops the start at once.
  readKafkaSettings(env, "kymaros-bridge");
  const logLevel = readLogLevel(env);
  const group = apiGroup(env);
  const version = env.KYMAROS_BRIDGE_VERSION ?? DEFAULT_VERSION;
  if (!/^v[0-9]+((alpha|beta)[0-9]+)?$/.test(version)) {
    throw new ConfigError("KYMAROS_BRIDGE_VERSION", `"${version}" is not an API version (v1, v1alpha1, ...)`);
  }
  const kubeconfig = env.KYMAROS_KUBECONFIG;
  if (kubeconfig !== undefined && kubeconfig.trim() === "")
    throw new ConfigError("KYMAROS_KUBECONFIG", "is empty");
  const host = readHost(env, "KYMAROS_BRIDGE_HOST");
  const config: BridgeConfig = {
    namespaces: namespaces(env),
    group,
    version,
    cluster: null,
    backupAge: backupAge(env),
    veleroNamespace: veleroNamespace(env),
    topic: readTopic(env),
    port: readPort(env, "KYMAROS_BRIDGE_PORT", DEFAULT_BRIDGE_PORT),
    host,
    logLevel,
    maxBackoffMs: milliseconds(env, "KYMAROS_BRIDGE_MAX_BACKOFF_MS", 30_000),
  };
  if (kubeconfig !== undefined) config.kubeconfig = kubeconfig;
  // Last: the other settings' errors come first, whatever the environment.
  config.cluster = cluster(env);
  return config;
}
