/**
 * The KYMAROS_SCHEMA_REGISTRY_* settings, shared by the service, the producer SDK, the CLIs and
 * the bridge. Unset URL: no registry, and nothing else may be set. Credentials come from files
 * and are held as Secrets (never logged); TLS options mirror the Kafka ones.
 */
import { ConfigError, type Env } from "./errors.ts";
import { flag, readCertificate, readPrivateKey } from "./kafka.ts";
import { readSecretFile, type Secret } from "./secrets.ts";

export type RegistryAuth =
  | { kind: "basic"; username: string; password: Secret }
  | { kind: "bearer"; token: Secret };

export interface RegistryTls {
  ca?: string;
  cert?: string;
  key?: Secret;
  verify: boolean;
}

/** How publishers name the subject a schema is registered under (the topic carries two records). */
export const SUBJECT_STRATEGIES = ["topic-record", "record"] as const;
export type SubjectStrategy = (typeof SUBJECT_STRATEGIES)[number];

export interface RegistrySettings {
  /** Base URL of the Confluent-compatible API (Apicurio: .../apis/ccompat/v7), no trailing slash. */
  url: string;
  auth?: RegistryAuth;
  tls?: RegistryTls;
  /** Every request's deadline. */
  timeoutMs: number;
  /** Publishers only: the subject naming strategy, and whether they may register schemas. */
  subjectStrategy: SubjectStrategy;
  autoRegister: boolean;
}

const PREFIX = "KYMAROS_SCHEMA_REGISTRY_";
const OPTIONS = [
  "USERNAME",
  "PASSWORD_FILE",
  "TOKEN_FILE",
  "TLS_CA_FILE",
  "TLS_CERT_FILE",
  "TLS_KEY_FILE",
  "TLS_INSECURE_SKIP_VERIFY",
  "TIMEOUT_MS",
  "SUBJECT_STRATEGY",
  "AUTO_REGISTER",
].map((s) => PREFIX + s);

const set = (env: Env, name: string): string | undefined => {
  const v = env[PREFIX + name];
  return v === undefined || v === "" ? undefined : v;
};

function readUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${PREFIX}URL`, `"${raw}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${PREFIX}URL`, `"${raw}" is not an http:// or https:// URL`);
  }
  if (url.username !== "" || url.password !== "") {
    // Credentials in the URL would be logged with it.
    throw new ConfigError(
      `${PREFIX}URL`,
      `carries credentials: use ${PREFIX}USERNAME and ${PREFIX}PASSWORD_FILE`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

function readAuth(env: Env): RegistryAuth | undefined {
  const username = set(env, "USERNAME");
  const passwordFile = set(env, "PASSWORD_FILE");
  const tokenFile = set(env, "TOKEN_FILE");
  if (tokenFile !== undefined && (username !== undefined || passwordFile !== undefined)) {
    throw new ConfigError(
      `${PREFIX}TOKEN_FILE`,
      `set either it or ${PREFIX}USERNAME/PASSWORD_FILE, not both`,
    );
  }
  if (tokenFile !== undefined)
    return { kind: "bearer", token: readSecretFile(tokenFile, `${PREFIX}TOKEN_FILE`) };
  if (username === undefined && passwordFile === undefined) return undefined;
  if (username === undefined)
    throw new ConfigError(`${PREFIX}USERNAME`, `is required with ${PREFIX}PASSWORD_FILE`);
  if (passwordFile === undefined)
    throw new ConfigError(`${PREFIX}PASSWORD_FILE`, `is required with ${PREFIX}USERNAME`);
  return { kind: "basic", username, password: readSecretFile(passwordFile, `${PREFIX}PASSWORD_FILE`) };
}

function readTls(env: Env, url: string): RegistryTls | undefined {
  const names = ["TLS_CA_FILE", "TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_INSECURE_SKIP_VERIFY"];
  if (!url.startsWith("https:")) {
    const stray = names.find((n) => set(env, n) !== undefined);
    if (stray) throw new ConfigError(PREFIX + stray, `is set but ${PREFIX}URL is not https://`);
    return undefined;
  }
  const tls: RegistryTls = { verify: flag(env, `${PREFIX}TLS_INSECURE_SKIP_VERIFY`) !== true };
  const ca = set(env, "TLS_CA_FILE");
  if (ca !== undefined) tls.ca = readCertificate(ca, `${PREFIX}TLS_CA_FILE`);
  const cert = set(env, "TLS_CERT_FILE");
  const key = set(env, "TLS_KEY_FILE");
  if ((cert === undefined) !== (key === undefined)) {
    const missing = cert === undefined ? "TLS_CERT_FILE" : "TLS_KEY_FILE";
    throw new ConfigError(
      PREFIX + missing,
      "is required with the other of TLS_CERT_FILE/TLS_KEY_FILE (mutual TLS)",
    );
  }
  if (cert !== undefined && key !== undefined) {
    tls.cert = readCertificate(cert, `${PREFIX}TLS_CERT_FILE`);
    tls.key = readPrivateKey(key, `${PREFIX}TLS_KEY_FILE`);
  }
  return tls;
}

function readTimeout(env: Env): number {
  const raw = set(env, "TIMEOUT_MS");
  if (raw === undefined) return 5_000;
  const ms = Number(raw);
  if (!/^\d+$/.test(raw) || ms < 100 || ms > 120_000) {
    throw new ConfigError(
      `${PREFIX}TIMEOUT_MS`,
      `"${raw}" is not a whole number of milliseconds in 100..120000`,
    );
  }
  return ms;
}

function readStrategy(env: Env): SubjectStrategy {
  const raw = set(env, "SUBJECT_STRATEGY") ?? "topic-record";
  if (!(SUBJECT_STRATEGIES as readonly string[]).includes(raw)) {
    throw new ConfigError(
      `${PREFIX}SUBJECT_STRATEGY`,
      `"${raw}" is not one of ${SUBJECT_STRATEGIES.join(", ")} (the topic carries RunCompleted and TestRetired, so not the topic name alone)`,
    );
  }
  return raw as SubjectStrategy;
}

/** The registry settings, or undefined when KYMAROS_SCHEMA_REGISTRY_URL is unset. */
export function readRegistrySettings(env: Env): RegistrySettings | undefined {
  const raw = set(env, "URL");
  if (raw === undefined) {
    const stray = OPTIONS.find((s) => env[s] !== undefined && env[s] !== "");
    if (stray) throw new ConfigError(stray, `is set but ${PREFIX}URL is not`);
    return undefined;
  }
  const url = readUrl(raw);
  const settings: RegistrySettings = {
    url,
    timeoutMs: readTimeout(env),
    subjectStrategy: readStrategy(env),
    autoRegister: flag(env, `${PREFIX}AUTO_REGISTER`) !== false,
  };
  const auth = readAuth(env);
  if (auth) settings.auth = auth;
  const tls = readTls(env, url);
  if (tls) settings.tls = tls;
  return settings;
}
