/** Settings every long-running process reads the same way: its HTTP port and address, its log level. */
import { LOG_LEVELS, type LogLevel } from "../log/logger.ts";
import { ConfigError, type Env } from "./errors.ts";

export function readPort(env: Env, setting: string, fallback: number): number {
  const raw = env[setting];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65535) {
    throw new ConfigError(setting, `"${raw}" is not a TCP port (1-65535)`);
  }
  return value;
}

export function readHost(env: Env, setting: string): string {
  const host = env[setting] ?? "0.0.0.0";
  if (host.length === 0) throw new ConfigError(setting, "is empty");
  return host;
}

export function readLogLevel(env: Env): LogLevel {
  const logLevel = (env.KYMAROS_LOG_LEVEL ?? "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(
      "KYMAROS_LOG_LEVEL",
      `"${env.KYMAROS_LOG_LEVEL}" is not one of ${LOG_LEVELS.join(", ")}`,
    );
  }
  return logLevel as LogLevel;
}
