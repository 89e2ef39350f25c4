/** The KYMAROS_KAFKA_* settings, shared by the service, the producer SDK and the CLIs. */
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { KafkaConfig, SASLOptions } from "kafkajs";
import { ConfigError, type Env } from "./errors.ts";
import { readSecretFile, readSettingFile, Secret } from "./secrets.ts";

export interface KafkaTlsSettings {
  /** PEM CA certificate(s) to trust instead of Node's default CAs (KYMAROS_KAFKA_TLS_CA_FILE). */
  ca?: string;
  /** Client certificate and key for mutual TLS (KYMAROS_KAFKA_TLS_CERT_FILE / _KEY_FILE). */
  cert?: string;
  key?: Secret;
  /** false only with KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY=true. */
  verify: boolean;
}

export const SASL_MECHANISMS = ["scram-sha-512", "scram-sha-256", "plain"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface KafkaSaslSettings {
  mechanism: SaslMechanism;
  username: string;
  password: Secret;
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Absent: plaintext transport. */
  tls?: KafkaTlsSettings;
  /** Absent: no authentication. */
  sasl?: KafkaSaslSettings;
}

const HOST_PORT = /^[A-Za-z0-9.-]+:(\d{1,5})$|^\[[0-9A-Fa-f:.]+\]:(\d{1,5})$/;

export function parseBrokers(value: string, setting = "KYMAROS_KAFKA_BROKERS"): string[] {
  const brokers = value
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0)
    throw new ConfigError(setting, "no broker given (expected host:port[,host:port])");
  for (const broker of brokers) {
    const match = HOST_PORT.exec(broker);
    const port = Number(match?.[1] ?? match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError(setting, `"${broker}" is not host:port`);
    }
  }
  return brokers;
}

export function flag(env: Env, setting: string): boolean | undefined {
  const raw = env[setting];
  if (raw === undefined || raw === "") return undefined;
  const value = raw.trim().toLowerCase();
  if (value === "true") return true;
  if (value === "false") return false;
  throw new ConfigError(setting, `"${raw}" is not true or false`);
}

export function readCertificate(path: string, setting: string): string {
  const pem = readSettingFile(path, setting);
  try {
    new X509Certificate(pem);
  } catch {
    throw new ConfigError(setting, `file "${path}" is not a PEM certificate`);
  }
  return pem;
}

export function readPrivateKey(path: string, setting: string): Secret {
  const key = readSecretFile(path, setting);
  try {
    createPrivateKey(key.reveal());
  } catch {
    // Nothing of the key in the message, not even the parser's complaint.
    throw new ConfigError(setting, `file "${path}" is not an unencrypted PEM private key`);
  }
  return key;
}

const TLS_OPTIONS = [
  "KYMAROS_KAFKA_TLS_CA_FILE",
  "KYMAROS_KAFKA_TLS_CERT_FILE",
  "KYMAROS_KAFKA_TLS_KEY_FILE",
  "KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY",
] as const;

export function readTlsSettings(env: Env): KafkaTlsSettings | undefined {
  if (flag(env, "KYMAROS_KAFKA_TLS") !== true) {
    // A CA file without TLS on is a mistake that would silently send everything in clear.
    const stray = TLS_OPTIONS.find((s) => env[s] !== undefined && env[s] !== "");
    if (stray) throw new ConfigError(stray, "is set but KYMAROS_KAFKA_TLS is not true");
    return undefined;
  }
  const tls: KafkaTlsSettings = { verify: flag(env, "KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY") !== true };
  const caFile = env.KYMAROS_KAFKA_TLS_CA_FILE;
  if (caFile !== undefined) tls.ca = readCertificate(caFile, "KYMAROS_KAFKA_TLS_CA_FILE");
  const certFile = env.KYMAROS_KAFKA_TLS_CERT_FILE;
  const keyFile = env.KYMAROS_KAFKA_TLS_KEY_FILE;
  if (certFile !== undefined && keyFile === undefined) {
    throw new ConfigError(
      "KYMAROS_KAFKA_TLS_KEY_FILE",
      "is required with KYMAROS_KAFKA_TLS_CERT_FILE (mutual TLS)",
    );
  }
  if (keyFile !== undefined && certFile === undefined) {
    throw new ConfigError(
      "KYMAROS_KAFKA_TLS_CERT_FILE",
      "is required with KYMAROS_KAFKA_TLS_KEY_FILE (mutual TLS)",
    );
  }
  if (certFile !== undefined && keyFile !== undefined) {
    tls.cert = readCertificate(certFile, "KYMAROS_KAFKA_TLS_CERT_FILE");
    tls.key = readPrivateKey(keyFile, "KYMAROS_KAFKA_TLS_KEY_FILE");
  }
  return tls;
}

export function readSaslSettings(env: Env): KafkaSaslSettings | undefined {
  const raw = env.KYMAROS_KAFKA_SASL_MECHANISM;
  if (raw === undefined || raw === "") {
    for (const s of [
      "KYMAROS_KAFKA_SASL_USERNAME",
      "KYMAROS_KAFKA_SASL_PASSWORD_FILE",
      "KYMAROS_KAFKA_SASL_PASSWORD",
    ]) {
      if (env[s] !== undefined) {
        throw new ConfigError(
          s,
          `is set but KYMAROS_KAFKA_SASL_MECHANISM is not (one of ${SASL_MECHANISMS.join(", ")})`,
        );
      }
    }
    return undefined;
  }
  const mechanism = raw.trim().toLowerCase();
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    throw new ConfigError(
      "KYMAROS_KAFKA_SASL_MECHANISM",
      `"${raw}" is not one of ${SASL_MECHANISMS.join(", ")}`,
    );
  }
  const username = env.KYMAROS_KAFKA_SASL_USERNAME;
  if (username === undefined || username.length === 0) {
    throw new ConfigError(
      "KYMAROS_KAFKA_SASL_USERNAME",
      `is required with KYMAROS_KAFKA_SASL_MECHANISM=${mechanism}`,
    );
  }
  const passwordFile = env.KYMAROS_KAFKA_SASL_PASSWORD_FILE;
  const password = env.KYMAROS_KAFKA_SASL_PASSWORD;
  if (passwordFile !== undefined && password !== undefined) {
    throw new ConfigError(
      "KYMAROS_KAFKA_SASL_PASSWORD",
      "set either KYMAROS_KAFKA_SASL_PASSWORD_FILE (preferred) or KYMAROS_KAFKA_SASL_PASSWORD, not both",
    );
  }
  if (passwordFile !== undefined) {
    return {
      mechanism: mechanism as SaslMechanism,
      username,
      password: readSecretFile(passwordFile, "KYMAROS_KAFKA_SASL_PASSWORD_FILE"),
    };
  }
  if (password === undefined || password.length === 0) {
    throw new ConfigError(
      "KYMAROS_KAFKA_SASL_PASSWORD_FILE",
      `is required with KYMAROS_KAFKA_SASL_MECHANISM=${mechanism} (or KYMAROS_KAFKA_SASL_PASSWORD, less safe)`,
    );
  }
  return { mechanism: mechanism as SaslMechanism, username, password: new Secret(password) };
}

export function readKafkaSettings(env: Env, defaultClientId: string): KafkaSettings {
  const clientId = env.KYMAROS_KAFKA_CLIENT_ID ?? defaultClientId;
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(clientId)) {
    throw new ConfigError("KYMAROS_KAFKA_CLIENT_ID", `"${clientId}" must be 1-128 of [A-Za-z0-9._-]`);
  }
  const settings: KafkaSettings = {
    brokers: parseBrokers(env.KYMAROS_KAFKA_BROKERS ?? "localhost:9092"),
    clientId,
  };
  const tls = readTlsSettings(env);
  if (tls) settings.tls = tls;
  const sasl = readSaslSettings(env);
  if (sasl) settings.sasl = sasl;
  return settings;
}

/** What a client should warn about at start (weakened security the operator chose). */
export function securityWarnings(settings: Pick<KafkaSettings, "tls" | "sasl">): string[] {
  const warnings: string[] = [];
  if (settings.tls && !settings.tls.verify) {
    warnings.push(
      "KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY=true: the broker's certificate is not verified, so the connection is open to a man in the middle",
    );
  }
  if (settings.sasl?.mechanism === "plain" && !settings.tls) {
    warnings.push(
      "KYMAROS_KAFKA_SASL_MECHANISM=plain without KYMAROS_KAFKA_TLS: the password crosses the network in clear",
    );
  }
  return warnings;
}

/** The ssl and sasl options of a kafkajs client for these settings (empty for plaintext). */
export function kafkaSecurity(
  settings: Pick<KafkaSettings, "tls" | "sasl">,
): Pick<KafkaConfig, "ssl" | "sasl"> {
  const options: Pick<KafkaConfig, "ssl" | "sasl"> = {};
  const { tls, sasl } = settings;
  if (tls) {
    options.ssl = {
      rejectUnauthorized: tls.verify,
      ...(tls.ca !== undefined ? { ca: [tls.ca] } : {}),
      ...(tls.cert !== undefined && tls.key !== undefined ? { cert: tls.cert, key: tls.key.reveal() } : {}),
    };
  }
  if (sasl) {
    const credentials = { username: sasl.username, password: sasl.password.reveal() };
    const saslOptions: SASLOptions =
      sasl.mechanism === "plain"
        ? { mechanism: "plain", ...credentials }
        : sasl.mechanism === "scram-sha-256"
          ? { mechanism: "scram-sha-256", ...credentials }
          : { mechanism: "scram-sha-512", ...credentials };
    options.sasl = saslOptions;
  }
  return options;
}
