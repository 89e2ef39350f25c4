/**
 * kymaros-publish --retire: retire tests that were deleted or renamed, one from flags or many
 * from NDJSON. Every retirement is validated first: if one is refused, nothing is sent.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type { TestRetired } from "../../contract/index.ts";
import { parseTimestamp } from "../../kymaros/rfc3339.ts";
import { InputError, PublishError, type RetireResult } from "../errors.ts";
import { prepareRetirement } from "../prepare.ts";
import { type RetirementInput, retirementFromJson } from "../retirement-input.ts";
import {
  type CliDeps,
  type CliIo,
  EXIT,
  judged,
  kafkaFailureLine,
  openProducer,
  UsageError,
} from "./common.ts";
import { readNdjson, validRecords } from "./ndjson.ts";

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

/** The SDK's checks (types, then the contract's), as InputError naming the field. */
const checked = (r: RetirementInput): TestRetired => judged(() => prepareRetirement(r).retirement);

/** The retirement the flags describe; --retired-at defaults to now. */
export function retirementFromFlags(flags: RetireFlags, now: () => number = Date.now): TestRetired {
  if (flags.test === undefined) throw new UsageError("--retire needs --test (and --namespace)");
  if (flags.namespace === undefined) throw new UsageError("--retire needs --namespace");
  try {
    return checked({
      test: flags.test,
      namespace: flags.namespace,
      cluster: flags.cluster ?? null,
      retiredAt: flags.retiredAt === undefined ? now() : parseTimestamp(flags.retiredAt, "retiredAt"),
      reason: flags.reason ?? null,
    });
  } catch (err) {
    if (err instanceof InputError)
      throw new UsageError(`${FLAG[err.field] ?? err.field}: ${err.message}`, false);
    throw err;
  }
}

/** Every NDJSON line as a retirement, or a UsageError naming the first bad line (nothing sent). */
export async function readRetirements(stream: Readable): Promise<TestRetired[]> {
  const out: TestRetired[] = [];
  await validRecords(
    readNdjson(stream, (value) => checked(retirementFromJson(value))),
    (r) => out.push(r),
  );
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
    return EXIT.config;
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
    const stream = flags.file === "-" ? io.stdin : createReadStream(flags.file);
    return publishRetirements(program, await readRetirements(stream), io, deps);
  }
  return publishRetirements(program, [retirementFromFlags(flags)], io, deps);
}
