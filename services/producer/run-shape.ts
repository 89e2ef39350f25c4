/**
 * The types of a run's fields, checked before validateRun (which assumes them): what
 * TypeScript promises a caller written in JavaScript, or one that built a run from JSON, may
 * not keep. Derived from RUN_FIELDS. Throws InputError naming the field.
 */
import { RESULTS } from "../contract/index.ts";
import { InputError } from "./errors.ts";
import { type FieldKind, RUN_FIELDS, type RunInput, type WireRun } from "./run-fields.ts";

const EXPECTED: Record<FieldKind, readonly [(v: unknown) => boolean, string]> = {
  string: [(v) => typeof v === "string", "a string"],
  result: [(v) => RESULTS.some((r) => r === v), `one of ${RESULTS.join(", ")}`],
  score: [(v) => typeof v === "number", "a number"],
  timestamp: [(v) => typeof v === "number", "epoch milliseconds (a number)"],
  seconds: [(v) => typeof v === "number", "a number"],
};

export function checkRunShape(run: RunInput): void {
  if (run === null || typeof run !== "object") throw new InputError("(run)", "the run is not an object");
  const record = run as unknown as Record<string, unknown>;
  for (const spec of RUN_FIELDS) {
    const value = record[spec.name];
    if (value === undefined && spec.omittable) continue;
    if (value === null && !spec.required) continue;
    const [check, expected] = EXPECTED[spec.kind];
    if (!check(value)) {
      const text = JSON.stringify(value) ?? "undefined";
      throw new InputError(
        spec.name,
        `${spec.name}=${text} must be ${expected}${spec.required ? "" : " or null"}`,
      );
    }
  }
  if (record.startedAtKnown !== undefined && typeof record.startedAtKnown !== "boolean") {
    throw new InputError(
      "startedAtKnown",
      `startedAtKnown=${JSON.stringify(record.startedAtKnown)} must be a boolean`,
    );
  }
  if (record.startedAtKnown === true && (record.startedAt === undefined || record.startedAt === null)) {
    throw new InputError("startedAt", "startedAtKnown is true but startedAt is not given");
  }
}

/** The event of a checked input: an unknown start goes out as startedAt = completedAt. */
export function toWireRun(input: RunInput): WireRun {
  const { startedAt, startedAtKnown, cluster, ...rest } = input;
  const known = startedAtKnown ?? (startedAt !== undefined && startedAt !== null);
  if (known) return { ...rest, startedAt: startedAt as number, cluster: cluster ?? null };
  return { ...rest, startedAt: input.completedAt, cluster: cluster ?? null, startedAtKnown: false };
}
