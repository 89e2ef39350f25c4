/**
 * TestRetired from what a caller gives: the SDK's RetirementInput (cluster and reason may be
 * left out), a JSON object (one NDJSON line) or CLI flag values. Only the shape is checked here
 * (types, formats, unknown fields); the contract's validateRetirement judges the values.
 */
import type { TestRetired } from "../contract/index.ts";
import { parseTimestamp } from "../kymaros/rfc3339.ts";
import { InputError } from "./errors.ts";

/**
 * A retirement as the SDK takes it. `retiredAt` is epoch milliseconds: the moment the test was
 * deleted or renamed (its runs completed at or before it stop counting). `cluster` must be what
 * the test's runs carry (leave it out for runs without one).
 */
export interface RetirementInput {
  test: string;
  namespace: string;
  cluster?: string | null;
  retiredAt: number;
  reason?: string | null;
}

export const RETIREMENT_FIELDS = ["test", "namespace", "cluster", "retiredAt", "reason"] as const;

const text = (v: unknown) => (v === undefined ? "undefined" : JSON.stringify(v));

/** The event of an SDK input, its types checked: InputError names the field at fault. */
export function toRetirement(input: RetirementInput): TestRetired {
  if (input === null || typeof input !== "object") {
    throw new InputError("(retirement)", "the retirement is not an object");
  }
  const r = input as unknown as Record<string, unknown>;
  for (const field of ["test", "namespace"] as const) {
    if (typeof r[field] !== "string")
      throw new InputError(field, `${field}=${text(r[field])} must be a string`);
  }
  if (typeof r.retiredAt !== "number") {
    throw new InputError("retiredAt", `retiredAt=${text(r.retiredAt)} must be epoch milliseconds (a number)`);
  }
  for (const field of ["cluster", "reason"] as const) {
    if (r[field] !== undefined && r[field] !== null && typeof r[field] !== "string") {
      throw new InputError(field, `${field}=${text(r[field])} must be a string or null`);
    }
  }
  return {
    test: input.test,
    namespace: input.namespace,
    cluster: input.cluster ?? null,
    retiredAt: input.retiredAt,
    reason: input.reason ?? null,
  };
}

/** One NDJSON record: the event's field names; retiredAt as RFC 3339 or epoch milliseconds. */
export function retirementFromJson(value: unknown): TestRetired {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError("(record)", "a retirement must be a JSON object");
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).find((k) => !(RETIREMENT_FIELDS as readonly string[]).includes(k));
  if (unknown !== undefined) {
    throw new InputError(unknown, `unknown field "${unknown}" (fields: ${RETIREMENT_FIELDS.join(", ")})`);
  }
  const retiredAt = record.retiredAt;
  if (typeof retiredAt !== "string" && typeof retiredAt !== "number") {
    throw new InputError("retiredAt", "retiredAt must be an RFC 3339 string or epoch milliseconds");
  }
  return toRetirement({
    ...(record as unknown as RetirementInput),
    retiredAt: parseTimestamp(retiredAt, "retiredAt"),
  });
}
