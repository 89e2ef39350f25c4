/**
 * kymaros-publish --retire: retire tests that were deleted or renamed, one from flags or many
 * from NDJSON. Every retirement is validated first: if one is refused, nothing is sent.
 */
import { readFile } from "node:fs/promises";
import { type TestRetired, ValidationError, validateRetirement } from "../../contract/index.ts";
import { parseTimestamp } from "../../kymaros/rfc3339.ts";
import { InputError, PublishError, type RetireResult } from "../errors.ts";
import { retirementFromJson, toRetirement } from "../retirement-input.ts";
import {
  type CliDeps,
  type CliIo,
  EXIT,
  kafkaFailureLine,
  openProducer,
  readAll,
  UsageError,
} from "./common.ts";

/** Flag of each field, for messages. */
const FLAG: Record<string, string> = {
  test: "--test",
  namespace: "--namespace",
  cluster: "--cluster",
  retiredAt: "--retired-at",
  reason: "--reason",
};

export interface RetireFlags {
  test?: string;
  namespace?: string;
  cluster?: string;
  retiredAt?: string;
  reason?: string;
  file?: string;
}

/** Contract checks, as InputError naming the field (the CLI's one kind of refusal). */
function checked(r: TestRetired): TestRetired {
  try {
    validateRetirement(r);
  } catch (err) {
    if (err instanceof ValidationError) throw new InputError(err.field, err.message);
    throw err;
  }
  return r;
}

/** The retirement the flags describe; --retired-at defaults to now. */
export function retirementFromFlags(flags: RetireFlags, now: () => number = Date.now): TestRetired {
  if (flags.test === undefined) throw new UsageError("--retire needs --test (and --namespace)");
  if (flags.namespace === undefined) throw new UsageError("--retire needs --namespace");
  try {
    return checked(
      toRetirement({
        test: flags.test,
        namespace: flags.namespace,
        cluster: flags.cluster ?? null,
        retiredAt: flags.retiredAt === undefined ? now() : parseTimestamp(flags.retiredAt, "retiredAt"),
        reason: flags.reason ?? null,
      }),
    );
  } catch (err) {
    if (err instanceof InputError)
      throw new UsageError(`${FLAG[err.field] ?? err.field}: ${err.message}`, false);
    throw err;
  }
}

/** Every NDJSON line as a retirement, or a UsageError naming the first bad line (nothing sent). */
export function retirementsFromNdjson(text: string): TestRetired[] {
  const out: TestRetired[] = [];
  let invalid = 0;
  let first: string | undefined;
  for (const [i, raw] of text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .entries()) {
    if (raw.trim() === "") continue;
    try {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new InputError("(record)", `not JSON (${(err as Error).message})`);
      }
      out.push(checked(retirementFromJson(value)));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      invalid++;
      first ??= `line ${i + 1}, field ${err.field}: ${err.message}`;
    }
  }
  if (first !== undefined) {
    const more = invalid > 1 ? ` (and ${invalid - 1} more invalid lines)` : "";
    throw new UsageError(`${first}${more}; nothing was published`, false);
  }
  if (out.length === 0) throw new UsageError("the input has no retirement; nothing was published", false);
  return out;
}

/** Sends the retirements; prints one JSON line per acknowledged one on stdout. */
export async function publishRetirements(
  program: string,
  retirements: readonly TestRetired[],
  io: CliIo,
  deps: CliDeps,
): Promise<number> {
  const producer = openProducer(deps, io, {});
  try {
    const results: RetireResult[] = await producer.retireMany(retirements);
    for (const r of results) io.stdout(`${JSON.stringify(r)}\n`);
    io.stderr(`${program}: ${results.length} retirements published to ${producer.topic} and acknowledged\n`);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof PublishError)) throw err;
    if (err.kind === "kafka") {
      const acked = err.acknowledged.length;
      io.stderr(
        kafkaFailureLine(program, err, producer.topic, acked, retirements.length, (a, b) =>
          a === b ? `retirement ${a + 1}` : `retirements ${a + 1}-${b + 1}`,
        ),
      );
      return EXIT.kafka;
    }
    io.stderr(`${program}: ${err.message}; nothing was published\n`);
    return EXIT.invalid;
  } finally {
    await producer.close();
  }
}

export async function runRetire(
  program: string,
  flags: RetireFlags,
  io: CliIo,
  deps: CliDeps,
): Promise<number> {
  if (flags.file !== undefined) {
    const given = (["test", "namespace", "cluster", "retiredAt", "reason"] as const).find(
      (f) => flags[f] !== undefined,
    );
    if (given !== undefined) throw new UsageError(`--file and ${FLAG[given]} do not go together`);
    const text = flags.file === "-" ? await readAll(io.stdin) : await readFile(flags.file, "utf8");
    return publishRetirements(program, retirementsFromNdjson(text), io, deps);
  }
  return publishRetirements(program, [retirementFromFlags(flags)], io, deps);
}
