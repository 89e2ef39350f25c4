/**
 * RunCompleted from what a person or a script types: a JSON object (one NDJSON line) or the
 * string values of CLI flags. Same field names as the event; timestamps as RFC 3339 or epoch
 * milliseconds. Only the shape is checked here (types, formats, unknown fields); the contract's
 * validateRun judges the values (score range, ordering of timestamps, sizes).
 */
import { RESULTS, type Result, type ValidationError } from "../contract/index.ts";
import { MAX_TIMESTAMP_MS } from "../contract/validate.ts";
import { formatRfc3339, parseTimestamp } from "../kymaros/rfc3339.ts";
import { InputError } from "./errors.ts";
import { type FieldSpec, RUN_FIELD_NAMES, RUN_FIELDS, type RunInput } from "./run-fields.ts";

export { RUN_FIELDS } from "./run-fields.ts";

const FIELD_NAMES = new Set<string>(RUN_FIELD_NAMES);
const DECIMAL = /^\d+(?:\.\d+)?$/;
const INTEGER = /^-?\d+$/;

function describe(value: unknown): string {
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** `pass`, `fail`, `partial` in any letter case. */
export function parseResult(value: unknown, field = "result"): Result {
  const lower = typeof value === "string" ? value.toLowerCase() : undefined;
  const result = RESULTS.find((r) => r === lower);
  if (result === undefined) {
    throw new InputError(field, `${field}=${describe(value)} is not one of ${RESULTS.join(", ")}`);
  }
  return result;
}

type FieldValue = string | number | null;

/** One field from a JSON value (numbers are numbers) or from flag text (everything is a string). */
function parseField(spec: FieldSpec, value: unknown, fromText: boolean, label: string): FieldValue {
  switch (spec.kind) {
    case "string":
      if (typeof value !== "string") throw new InputError(spec.name, `${label} must be a string`);
      return value;
    case "result":
      return parseResult(value, label);
    case "score": {
      if (fromText && typeof value === "string" && INTEGER.test(value)) return Number(value);
      if (typeof value === "number" && Number.isInteger(value)) return value;
      throw new InputError(spec.name, `${label}=${describe(value)} is not an integer`);
    }
    case "timestamp":
      if (typeof value === "string" || typeof value === "number") {
        return parseTimestamp(value, label);
      }
      throw new InputError(spec.name, `${label} must be an RFC 3339 string or epoch milliseconds`);
    case "seconds": {
      if (fromText && typeof value === "string" && DECIMAL.test(value)) return Number(value);
      if (typeof value === "number" && Number.isFinite(value)) return value;
      throw new InputError(spec.name, `${label}=${describe(value)} is not a number of seconds`);
    }
  }
}

function build(values: Map<string, unknown>, fromText: boolean, label: (name: string) => string): RunInput {
  const run: Record<string, FieldValue> = {};
  for (const spec of RUN_FIELDS) {
    const value = values.get(spec.name);
    if (value === undefined || (value === null && !spec.required)) {
      if (spec.required) throw new InputError(spec.name, `${label(spec.name)} is missing`);
      run[spec.name] = null;
      continue;
    }
    try {
      run[spec.name] = parseField(spec, value, fromText, label(spec.name));
    } catch (err) {
      // Errors name the event's field, whatever the label in the message says.
      if (err instanceof InputError && err.field !== spec.name) throw new InputError(spec.name, err.message);
      throw err;
    }
  }
  return run as unknown as RunInput;
}

/** A RunCompleted from a parsed JSON value (one NDJSON line). Unknown fields are refused. */
export function runFromJson(value: unknown): RunInput {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError("(record)", "the line is not a JSON object");
  }
  const entries = Object.entries(value);
  for (const [key] of entries) {
    if (!FIELD_NAMES.has(key)) {
      throw new InputError(key, `unknown field "${key}" (expected ${[...FIELD_NAMES].join(", ")})`);
    }
  }
  return build(new Map(entries), false, (name) => name);
}

/** The CLI flag of a field: runId -> run-id. */
export function flagName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A RunCompleted from flag values keyed by field name (`runId`, ...); errors name the flag. */
export function runFromFlags(values: Readonly<Record<string, string | undefined>>): RunInput {
  const map = new Map<string, unknown>();
  for (const spec of RUN_FIELDS) {
    const value = values[spec.name];
    if (value !== undefined) map.set(spec.name, value);
  }
  return build(map, true, (name) => `--${flagName(name)}`);
}

/** A run as one NDJSON line in the shape runFromJson reads (timestamps as RFC 3339). */
export function runToJsonLine(run: RunInput): string {
  const record = run as unknown as Record<string, unknown>;
  const line: Record<string, unknown> = {};
  for (const spec of RUN_FIELDS) {
    const value = record[spec.name] ?? null;
    line[spec.name] = spec.kind === "timestamp" && typeof value === "number" ? formatRfc3339(value) : value;
  }
  return JSON.stringify(line);
}

/**
 * How a refusal quotes the input back: the value of each event field as the user gave it, and
 * the field's name there (`--completed-at`, `completedAt`, `status.completedAt`).
 */
export interface Quoting {
  given(field: string): unknown;
  label(field: string): string;
  /** Flags are text as typed; JSON values are quoted as JSON. */
  bare: boolean;
}

/** Quoting for CLI flags: the typed text of each, named by its flag. */
export function flagQuoting(values: Readonly<Record<string, string | undefined>>): Quoting {
  return { given: (field) => values[field], label: (field) => `--${flagName(field)}`, bare: true };
}

/** Quoting for an NDJSON record: its JSON values, named by the event's field names. */
export function jsonQuoting(value: unknown): Quoting {
  const record = value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
  return { given: (field) => record[field], label: (field) => field, bare: false };
}

/**
 * A timestamp as the user gave it; epoch milliseconds also as RFC 3339, which a person reads.
 * Timestamps are compared as epoch milliseconds, but nobody typed 1795662850000 to mean it.
 */
function givenTime(q: Quoting, field: string, ms: number): string {
  const value = q.given(field);
  if (value === undefined || value === null) return formatRfc3339(ms);
  const text = q.bare && typeof value === "string" ? value : describe(value);
  const epoch = typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value));
  return epoch && ms >= 0 && ms <= MAX_TIMESTAMP_MS ? `${text} (${formatRfc3339(ms)})` : text;
}

/** The contract's refusal in the user's terms: timestamps as given, fields as named there. */
export function quoteRefusal(err: ValidationError, run: RunInput, q: Quoting): string {
  const time = (field: string): number => (run as unknown as Record<string, number>)[field] as number;
  switch (err.reason) {
    case "completed_before_started":
      return `${q.label("completedAt")} ${givenTime(q, "completedAt", run.completedAt)} is before ${q.label("startedAt")} ${givenTime(q, "startedAt", time("startedAt"))}`;
    case "timestamp_out_of_range":
      return `${q.label(err.field)} ${givenTime(q, err.field, time(err.field))} is not a time between 1970 and 9999`;
    default:
      return err.message;
  }
}
