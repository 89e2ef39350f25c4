/**
 * Secrets in settings: read from files at start, held in a wrapper that never prints its value
 * (String(), JSON.stringify, util.inspect and console.log all show "[redacted]"), so a settings
 * object can be logged or land in an error without leaking a password or a private key.
 */
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { ConfigError } from "./errors.ts";

const REDACTED = "[redacted]";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value itself: only for handing it to the client library that needs it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** The contents of the file a setting names, with trailing line breaks removed. */
export function readSettingFile(path: string, setting: string): string {
  if (path.length === 0) throw new ConfigError(setting, "is empty (expected a file path)");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    // Only the error code and the path: Node's message could quote more than we want.
    const code = (err as NodeJS.ErrnoException).code ?? "unknown error";
    throw new ConfigError(setting, `cannot read file "${path}" (${code})`);
  }
  const value = text.replace(/[\r\n]+$/, "");
  if (value.length === 0) throw new ConfigError(setting, `file "${path}" is empty`);
  return value;
}

/** A secret read from the file a setting names; errors name the setting and file, never contents. */
export function readSecretFile(path: string, setting: string): Secret {
  return new Secret(readSettingFile(path, setting));
}
