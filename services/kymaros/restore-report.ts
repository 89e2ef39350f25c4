/**
 * RestoreReports, as `kubectl get restorereports -A -o json` prints them, to RunCompleted
 * events: one per report, runId = report name, namespace = report namespace. A report that
 * cannot be converted is set aside with the reason, never guessed at. The one mapping from a
 * report to a run, shared by kymaros-backfill (a snapshot) and kymaros-bridge (live).
 */
import { type RunCompleted, ValidationError, validateRun } from "../contract/index.ts";
import { InputError } from "../producer/errors.ts";
import { parseResult, type Quoting, quoteRefusal } from "../producer/run-input.ts";
import { parseGoDuration } from "./go-duration.ts";
import { parseRfc3339 } from "./rfc3339.ts";

export interface ConvertedReport {
  /** `namespace/name`, or `items[i]` when the report has no name. */
  ref: string;
  run: RunCompleted;
}

export interface SkippedReport {
  ref: string;
  field: string;
  reason: string;
}

export interface Conversion {
  converted: ConvertedReport[];
  skipped: SkippedReport[];
}

export interface ConvertOptions {
  /** Written as `cluster` (schema version 2); RestoreReports do not say. */
  cluster?: string | null;
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The value at a dotted path, or undefined. */
function at(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split(".")) {
    if (!isObj(value)) return undefined;
    value = value[key];
  }
  return value;
}

function requiredString(root: unknown, path: string, why = "is missing"): string {
  const value = at(root, path);
  if (value === undefined || value === null) throw new InputError(path, `${path} ${why}`);
  if (typeof value !== "string" || value === "") {
    throw new InputError(path, `${path}=${JSON.stringify(value)} is not a non-empty string`);
  }
  return value;
}

function optionalString(root: unknown, path: string): string | null {
  const value = at(root, path);
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string")
    throw new InputError(path, `${path}=${JSON.stringify(value)} is not a string`);
  return value;
}

function timestamp(root: unknown, path: string, why?: string): number {
  return parseRfc3339(requiredString(root, path, why), path);
}

function optionalTimestamp(root: unknown, path: string): number | null {
  const text = optionalString(root, path);
  return text === null ? null : parseRfc3339(text, path);
}

/** A Go duration as seconds (integer milliseconds / 1000), null when absent. */
function optionalSeconds(root: unknown, path: string): number | null {
  const text = optionalString(root, path);
  if (text === null) return null;
  const ms = parseGoDuration(text, path);
  if (ms < 0) throw new InputError(path, `${path} "${text}" is negative`);
  return ms / 1000;
}

/** Kymaros writes "0s" for a test with no SLA (a Go struct is never omitted): that is no target. */
function rtoTarget(report: unknown): number | null {
  const seconds = optionalSeconds(report, "status.rto.target");
  return seconds === 0 ? null : seconds;
}

/** spec.testRef: the test's name, or an object reference with a name. */
function testName(report: unknown): string {
  const ref = at(report, "spec.testRef");
  if (isObj(ref)) return requiredString(report, "spec.testRef.name");
  if (ref === undefined || ref === null) throw new InputError("spec.testRef", "spec.testRef is missing");
  if (typeof ref !== "string" || ref === "") {
    throw new InputError("spec.testRef", `spec.testRef=${JSON.stringify(ref)} is neither a name nor {name}`);
  }
  return ref;
}

function score(report: unknown): number {
  const value = at(report, "status.score");
  if (value === undefined || value === null) throw new InputError("status.score", "status.score is missing");
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new InputError("status.score", `status.score=${JSON.stringify(value)} is not an integer`);
  }
  if (value < 0 || value > 100) {
    throw new InputError("status.score", `status.score=${value} is outside 0..100`);
  }
  return value;
}

/** One report to one event; throws InputError naming the report's field at fault. */
export function reportToRun(report: unknown, options: ConvertOptions = {}): RunCompleted {
  if (!isObj(report)) throw new InputError("(item)", "the item is not an object");
  const runId = requiredString(report, "metadata.name");
  const namespace = requiredString(report, "metadata.namespace");
  const test = testName(report);
  if (!isObj(report.status)) throw new InputError("status", "no status (the run has not reported yet)");
  const resultValue = at(report, "status.result");
  if (resultValue === undefined || resultValue === null) {
    throw new InputError("status.result", "status.result is missing");
  }
  const run: RunCompleted = {
    runId,
    test,
    namespace,
    result: parseResult(resultValue, "status.result"),
    score: score(report),
    startedAt: timestamp(report, "status.startedAt"),
    completedAt: timestamp(report, "status.completedAt", "is missing (the run has not completed)"),
    rtoSeconds: optionalSeconds(report, "status.rto.measured"),
    backupName: optionalString(report, "status.backup.name"),
    backupCreatedAt:
      optionalTimestamp(report, "status.backup.createdAt") ??
      optionalTimestamp(report, "status.backup.creationTimestamp"),
    rtoTargetSeconds: rtoTarget(report),
    cluster: options.cluster ?? null,
  };
  try {
    validateRun(run);
  } catch (err) {
    if (err instanceof ValidationError) {
      const field = STATUS_FIELD[err.field] ?? err.field;
      const message = quoteRefusal(err, run, reportQuoting(report));
      throw new InputError(field, message.startsWith(field) ? message : `${field}: ${message}`);
    }
    throw err;
  }
  return run;
}

/** The report field an event field comes from, so a refusal names what to fix in the report. */
const STATUS_FIELD: Readonly<Record<string, string>> = {
  runId: "metadata.name",
  namespace: "metadata.namespace",
  test: "spec.testRef",
  score: "status.score",
  startedAt: "status.startedAt",
  completedAt: "status.completedAt",
  rtoSeconds: "status.rto.measured",
  rtoTargetSeconds: "status.rto.target",
  backupName: "status.backup.name",
  backupCreatedAt: "status.backup.createdAt",
};

/** Quoting for a report: its own values, named by its own fields. */
function reportQuoting(report: unknown): Quoting {
  const name = (field: string): string => STATUS_FIELD[field] ?? field;
  return { given: (field) => at(report, name(field)), label: name, bare: true };
}

/**
 * What one report stands for, for a reader that sees reports as they change (the bridge):
 * a finished run, a run still going (nothing to publish yet), or a finished report that
 * cannot be converted (the reason names the field).
 */
export type ReportVerdict =
  | { kind: "final"; run: RunCompleted }
  | { kind: "pending" }
  | { kind: "invalid"; field: string; reason: string };

/**
 * A report is final once its status has a completedAt and a result: Kymaros writes both when
 * the run ends (an unset time serialises as null), and never changes them afterwards.
 */
export function isFinalReport(report: unknown): boolean {
  const completedAt = at(report, "status.completedAt");
  const result = at(report, "status.result");
  return typeof completedAt === "string" && completedAt !== "" && typeof result === "string" && result !== "";
}

export function classifyReport(report: unknown, options: ConvertOptions = {}): ReportVerdict {
  if (!isFinalReport(report)) return { kind: "pending" };
  try {
    return { kind: "final", run: reportToRun(report, options) };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { kind: "invalid", field: err.field, reason: err.message };
  }
}

/** The items of a `kubectl get -o json` document: a List, or one RestoreReport. */
export function reportItems(document: unknown): unknown[] {
  if (isObj(document) && Array.isArray(document.items)) return document.items;
  if (isObj(document) && document.kind === "RestoreReport") return [document];
  throw new InputError(
    "items",
    'the input is neither a List with "items" (kubectl get restorereports -A -o json) nor a RestoreReport',
  );
}

function refOf(item: unknown, index: number): string {
  const name = at(item, "metadata.name");
  const namespace = at(item, "metadata.namespace");
  if (typeof name !== "string" || name === "") return `items[${index}]`;
  return typeof namespace === "string" && namespace !== "" ? `${namespace}/${name}` : name;
}

/** Every report of the document, converted or set aside with the reason. */
export function convertReports(document: unknown, options: ConvertOptions = {}): Conversion {
  const conversion: Conversion = { converted: [], skipped: [] };
  reportItems(document).forEach((item, index) => {
    const ref = refOf(item, index);
    try {
      conversion.converted.push({ ref, run: reportToRun(item, options) });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      conversion.skipped.push({ ref, field: err.field, reason: err.message });
    }
  });
  return conversion;
}
