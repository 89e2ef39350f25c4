/**
 * What the bridge reads from Velero's objects: a Restore's spec.backupName, and when a Backup was
 * taken (status.completionTimestamp, or status.startTimestamp while it has none). Pure.
 */
import { parseRfc3339 } from "../../kymaros/index.ts";

function at(object: unknown, ...path: string[]): unknown {
  let value: unknown = object;
  for (const key of path) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The Backup a Restore restored from; undefined when the Restore names none. */
export function backupNameOf(restore: unknown): string | undefined {
  const name = at(restore, "spec", "backupName");
  return typeof name === "string" && name !== "" ? name : undefined;
}

export interface TakenAt {
  /** Epoch milliseconds. */
  at: number;
  from: "completionTimestamp" | "startTimestamp";
}

/**
 * When the Backup was taken; undefined when it carries neither timestamp, or one that is not
 * RFC 3339 (no age is better than a wrong one).
 */
export function backupTakenAt(backup: unknown): TakenAt | undefined {
  for (const from of ["completionTimestamp", "startTimestamp"] as const) {
    const value = at(backup, "status", from);
    if (typeof value !== "string" || value === "") continue;
    try {
      return { at: parseRfc3339(value, `status.${from}`), from };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
