/**
 * The types of a RunCompleted's fields, checked before validateRun (which assumes them): what
 * TypeScript promises a caller written in JavaScript, or one that built a run from JSON, may
 * not keep. Throws InputError naming the field.
 */
import { RESULTS, type RunCompleted } from "../contract/index.ts";
import { InputError } from "./errors.ts";

type Check = (value: unknown) => boolean;

const isString: Check = (v) => typeof v === "string";
const isNumber: Check = (v) => typeof v === "number";
const orNull =
  (check: Check): Check =>
  (v) =>
    v === null || check(v);

const CHECKS: ReadonlyArray<readonly [keyof RunCompleted, Check, string]> = [
  ["runId", isString, "a string"],
  ["test", isString, "a string"],
  ["namespace", isString, "a string"],
  ["result", (v) => RESULTS.some((r) => r === v), `one of ${RESULTS.join(", ")}`],
  ["score", isNumber, "a number"],
  ["startedAt", isNumber, "epoch milliseconds (a number)"],
  ["completedAt", isNumber, "epoch milliseconds (a number)"],
  ["rtoSeconds", orNull(isNumber), "a number or null"],
  ["backupName", orNull(isString), "a string or null"],
  ["backupCreatedAt", orNull(isNumber), "epoch milliseconds (a number) or null"],
  ["rtoTargetSeconds", orNull(isNumber), "a number or null"],
];

export function checkRunShape(run: RunCompleted): void {
  if (run === null || typeof run !== "object") throw new InputError("(run)", "the run is not an object");
  const record = run as unknown as Record<string, unknown>;
  for (const [field, check, expected] of CHECKS) {
    if (!check(record[field])) {
      throw new InputError(
        field,
        `${field}=${JSON.stringify(record[field]) ?? "undefined"} must be ${expected}`,
      );
    }
  }
  // cluster came with schema version 2: a run built for version 1 may not have it at all.
  if (record.cluster !== undefined && !orNull(isString)(record.cluster)) {
    throw new InputError("cluster", `cluster=${JSON.stringify(record.cluster)} must be a string or null`);
  }
}
