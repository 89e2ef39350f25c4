/** kymaros-publish: publish one run given by flags, or many given as NDJSON; or retire tests (--retire). */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import type { SchemaVersion } from "../../contract/index.ts";
import { InputError, PublishError } from "../errors.ts";
import { prepare } from "../prepare.ts";
import { RUN_FIELD_NAMES, RUN_FIELDS, type RunInput } from "../run-fields.ts";
import { flagName, flagQuoting, jsonQuoting, quoteRefusal, runFromFlags, runFromJson } from "../run-input.ts";
import type { EventProducer } from "../sdk.ts";
import {
  type CliDeps,
  type CliIo,
  defaultDeps,
  EXIT,
  invalidInputExit,
  judged,
  kafkaFailureLine,
  openProducer,
  parseSchemaVersion,
  progressReporter,
  UsageError,
  VERBOSE_HELP,
} from "./common.ts";
import { type NdjsonEntry, readNdjson, validRecords } from "./ndjson.ts";
import { type RetireFlags, runRetire } from "./retire-command.ts";

const PROGRAM = "kymaros-publish";
/**
 * NDJSON is read twice: once to validate every line (nothing is sent if one is invalid), then
 * again to publish, this many runs at a time, so memory stays flat however long the input.
 */
const CHUNK_RUNS = 20_000;

/** A comma-separated list broken into lines of at most `width` characters. */
function wrap(list: string, width = 92): string {
  const lines: string[] = [];
  let line = "";
  for (const word of list.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  return [...lines, line].join("\n");
}

export const PUBLISH_HELP = `Usage:
  ${PROGRAM} --run-id ID --test NAME --namespace NS --result pass|fail|partial --score N
                  [--started-at TIME] --completed-at TIME [--rto-seconds S] [--backup-name NAME]
                  [--backup-created-at TIME] [--rto-target-seconds S] [--cluster NAME]
                  [--schema-version 1|2]
  ${PROGRAM} --file FILE.ndjson [--schema-version 1|2] [--progress]
  ${PROGRAM} --file - < FILE.ndjson
  ${PROGRAM} --retire --test NAME --namespace NS [--cluster NAME] [--retired-at TIME] [--reason TEXT]
  ${PROGRAM} --retire --file FILE.ndjson

Publishes RunCompleted events to Kafka (topic KYMAROS_TOPIC, default kymaros.run-completed;
brokers KYMAROS_KAFKA_BROKERS, default localhost:9092), keyed by test name, and exits 0 only
once the broker acknowledged every record (acks=all).

One run from flags, or many from NDJSON: one JSON object per line with the event's field names
(${wrap(RUN_FIELD_NAMES.join(", "))}).
TIME is RFC 3339 (2026-11-26T03:00:00Z) or epoch milliseconds. Without startedAt the run's
start is not known: the service then counts the run but observes no duration for it.
The whole input is validated first: if any line is invalid, nothing is sent. Records go out
in input order.

--retire publishes TestRetired events instead: the test (name, namespace, and cluster if its
runs carry one) was deleted or renamed, and its runs completed at or before --retired-at
(default: now) count for nothing; its series disappear until a later run starts a new life.
NDJSON lines then have the fields test, namespace, cluster, retiredAt, reason.

Options:
  --file PATH         read NDJSON from PATH ("-" for stdin, which is spooled to a temporary file)
  --schema-version V  writer schema, 1, 2 or 3 (default 2, or 3 without a start; cluster needs 2)
  --progress          report progress on stderr (on by default when stderr is a terminal)
${VERBOSE_HELP}
  --retire            retire tests instead of publishing runs
  -h, --help          this help

Exit codes: 0 all acknowledged; 2 invalid flags, input or configuration (nothing sent);
3 Kafka failure (stderr says how many records, and which lines, were acknowledged).

Examples:
  ${PROGRAM} --run-id my-app-nightly-20261126-030000 --test my-app-nightly --namespace shop \\
    --result pass --score 97 --started-at 2026-11-26T03:00:00Z \\
    --completed-at 2026-11-26T03:14:10Z --rto-seconds 695 --rto-target-seconds 900 \\
    --backup-name velero-daily-20261126 --backup-created-at 2026-11-26T01:00:00Z
  ${PROGRAM} --file runs.ndjson --progress
  kymaros-backfill --dry-run --file reports.json | ${PROGRAM} --file -
`;

const RUN_FLAGS = Object.fromEntries(RUN_FIELDS.map((f) => [flagName(f.name), { type: "string" as const }]));

export interface PublishOptions {
  schemaVersion: SchemaVersion | undefined;
  progress: boolean;
  verbose: boolean;
}

/** What the flags ask for, checked; nothing read or sent yet. */
export type PublishPlan =
  | { mode: "help" }
  | { mode: "retire"; flags: RetireFlags }
  | { mode: "file"; file: string; options: PublishOptions }
  | { mode: "one"; run: RunInput; options: PublishOptions };

type FlagText = (name: string) => string | undefined;

function retirePlan(text: FlagText): PublishPlan {
  const runOnly = RUN_FIELDS.find(
    (f) => !["test", "namespace", "cluster"].includes(f.name) && text(flagName(f.name)) !== undefined,
  );
  if (runOnly !== undefined)
    throw new UsageError(`--retire and --${flagName(runOnly.name)} do not go together`);
  if (text("schema-version") !== undefined)
    throw new UsageError("--retire and --schema-version do not go together");
  const flags: RetireFlags = {
    test: text("test"),
    namespace: text("namespace"),
    cluster: text("cluster"),
    retiredAt: text("retired-at"),
    reason: text("reason"),
    file: text("file"),
  };
  return { mode: "retire", flags };
}

/** The run the flags give, judged by the SDK; errors name the flag. */
export function runOfFlags(
  typed: Readonly<Record<string, string | undefined>>,
  schemaVersion?: SchemaVersion,
): RunInput {
  let run: RunInput;
  try {
    run = runFromFlags(typed);
  } catch (err) {
    // Flag syntax: the message names the flag, and points at --help.
    if (!(err instanceof InputError)) throw err;
    throw new UsageError(err.message);
  }
  try {
    judged(
      () => prepare(run, { schemaVersion }),
      (refusal) => quoteRefusal(refusal, run, flagQuoting(typed)),
    );
  } catch (err) {
    // A value the contract refuses: named by its flag, no pointer to --help.
    if (!(err instanceof InputError)) throw err;
    const flag = `--${flagName(err.field)}`;
    throw new UsageError(err.message.startsWith(flag) ? err.message : `${flag}: ${err.message}`, false);
  }
  return run;
}

function runPlan(text: FlagText, options: PublishOptions): PublishPlan {
  for (const only of ["retired-at", "reason"]) {
    if (text(only) !== undefined) throw new UsageError(`--${only} goes with --retire`);
  }
  const flagged = RUN_FIELDS.filter((f) => text(flagName(f.name)) !== undefined);
  const file = text("file");
  if (file !== undefined) {
    const first = flagged[0];
    if (first !== undefined) throw new UsageError(`--file and --${flagName(first.name)} do not go together`);
    return { mode: "file", file, options };
  }
  if (flagged.length === 0)
    throw new UsageError("give a run with --run-id, --test, ... or NDJSON with --file");
  const typed = Object.fromEntries(RUN_FIELDS.map((f) => [f.name, text(flagName(f.name))]));
  return { mode: "one", run: runOfFlags(typed, options.schemaVersion), options };
}

/** The flags as a plan, or a UsageError; no I/O. */
export function parsePublishArgs(argv: readonly string[], stderrIsTTY = false): PublishPlan {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      ...RUN_FLAGS,
      "schema-version": { type: "string" },
      file: { type: "string", short: "f" },
      progress: { type: "boolean" },
      verbose: { type: "boolean", short: "v" },
      retire: { type: "boolean" },
      "retired-at": { type: "string" },
      reason: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return { mode: "help" };
  const text: FlagText = (name) => {
    const value = (values as Readonly<Record<string, string | boolean | undefined>>)[name];
    return typeof value === "string" ? value : undefined;
  };
  const options: PublishOptions = {
    schemaVersion: parseSchemaVersion(text("schema-version")),
    progress: values.progress === true || stderrIsTTY,
    verbose: values.verbose === true,
  };
  return values.retire ? retirePlan(text) : runPlan(text, options);
}

/** One NDJSON line as a run, judged by the SDK, refusals quoted as the line has them. */
const runOfLine =
  (schemaVersion: SchemaVersion | undefined) =>
  (value: unknown): RunInput => {
    const run = runFromJson(value);
    judged(
      () => prepare(run, { schemaVersion }),
      (refusal) => quoteRefusal(refusal, run, jsonQuoting(value)),
    );
    return run;
  };

/** A failure while publishing a file: how many records were acknowledged, up to which line. */
class ChunkFailure extends Error {
  constructor(
    readonly error: PublishError,
    readonly acknowledged: number,
    readonly lastLine: number,
  ) {
    super(error.message);
  }
}

/**
 * Sends chunks in input order, one in flight while the next is read: parsing overlaps the round
 * trips, and since a chunk is sent only once the previous one was acknowledged, the records
 * stay in input order.
 */
function chunkSender(producer: EventProducer, progress: (acknowledged: number) => void) {
  let acknowledged = 0;
  let lastLine = 0;
  let inFlight: Promise<void> | undefined;
  /** A line that no longer passes: stop with what was acknowledged so far. */
  const changed = (line: number, message: string) =>
    new ChunkFailure(
      new PublishError("validation", `line ${line} changed since it was validated: ${message}`),
      acknowledged,
      lastLine,
    );
  const send = async (runs: RunInput[], lines: number[]): Promise<void> => {
    const base = acknowledged;
    try {
      await producer.publishMany(runs, { onProgress: (acked) => progress(base + acked) });
    } catch (err) {
      if (!(err instanceof PublishError)) throw err;
      if (err.kind !== "kafka")
        throw changed(lines[err.index ?? 0] ?? 0, err.message.replace(/^run \d+: /, ""));
      const acked = err.acknowledged.length;
      throw new ChunkFailure(err, base + acked, acked > 0 ? (lines[acked - 1] ?? 0) : lastLine);
    }
    acknowledged += runs.length;
    lastLine = lines[lines.length - 1] ?? lastLine;
  };
  return {
    async push(runs: RunInput[], lines: number[]): Promise<void> {
      await inFlight;
      inFlight = send(runs, lines);
      // Observed at the next push or drain; until then, not an unhandled rejection.
      inFlight.catch(() => undefined);
    },
    async drain(): Promise<number> {
      await inFlight;
      return acknowledged;
    },
    async changed(line: number, error: InputError): Promise<never> {
      await inFlight;
      throw changed(line, error.message);
    },
  };
}

/** Pass two: the lines' runs to the sender, a chunk at a time. Returns how many were acknowledged. */
async function sendLines(
  entries: AsyncIterable<NdjsonEntry<RunInput>>,
  sender: ReturnType<typeof chunkSender>,
) {
  let chunk: RunInput[] = [];
  let lines: number[] = [];
  for await (const entry of entries) {
    if (!("record" in entry)) return sender.changed(entry.line, entry.error);
    chunk.push(entry.record);
    lines.push(entry.line);
    if (chunk.length >= CHUNK_RUNS) {
      await sender.push(chunk, lines);
      chunk = [];
      lines = [];
    }
  }
  if (chunk.length > 0) await sender.push(chunk, lines);
  return sender.drain();
}

/** The one line on stderr for a failed file, and the exit code. */
function chunkFailureExit(io: CliIo, err: ChunkFailure, topic: string, total: number): number {
  const which = () => (err.lastLine === 1 ? "line 1" : `lines 1-${err.lastLine}`);
  if (err.error.kind === "kafka") {
    io.stderr(kafkaFailureLine(PROGRAM, err.error, topic, err.acknowledged, total, which));
    return EXIT.kafka;
  }
  const done =
    err.acknowledged === 0
      ? "nothing was published"
      : `${err.acknowledged} records (${which()}) were published`;
  io.stderr(`${PROGRAM}: ${err.error.message}; ${done}\n`);
  return err.acknowledged === 0 ? EXIT.config : EXIT.kafka;
}

/** Validates every line, then publishes them in order; a Kafka failure says which lines made it. */
async function publishFile(path: string, io: CliIo, deps: CliDeps, options: PublishOptions): Promise<number> {
  const total = await validRecords(readNdjson(createReadStream(path), runOfLine(options.schemaVersion)));
  const producer = openProducer(deps, io, { schemaVersion: options.schemaVersion }, options.verbose);
  const progress = progressReporter(PROGRAM, io, options.progress);
  try {
    const sender = chunkSender(producer, (acked) => progress(acked, total));
    // Judged in pass one; the SDK judges again what it sends, which catches a changed file.
    const acknowledged = await sendLines(readNdjson(createReadStream(path), runFromJson), sender);
    io.stderr(`${PROGRAM}: ${acknowledged} records published to ${producer.topic} and acknowledged\n`);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof ChunkFailure)) throw err;
    return chunkFailureExit(io, err, producer.topic, total);
  } finally {
    await producer.close();
  }
}

async function publishOne(run: RunInput, io: CliIo, deps: CliDeps, options: PublishOptions): Promise<number> {
  const producer = openProducer(deps, io, { schemaVersion: options.schemaVersion }, options.verbose);
  try {
    const [result] = await producer.publishMany([run]);
    io.stdout(`${JSON.stringify(result)}\n`);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof PublishError)) throw err;
    if (err.kind === "kafka") {
      io.stderr(kafkaFailureLine(PROGRAM, err, producer.topic, 0, 1, () => "the run"));
      return EXIT.kafka;
    }
    const field = err.field === undefined ? "" : `--${flagName(err.field)}: `;
    io.stderr(`${PROGRAM}: ${field}${err.message.replace(/^run \d+: /, "")}; nothing was published\n`);
    return EXIT.config;
  } finally {
    await producer.close();
  }
}

/** stdin, copied to a private temporary file so that it can be read twice. */
async function withSpooledStdin<T>(stdin: Readable, work: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "kymaros-publish-"));
  try {
    const path = join(dir, "stdin.ndjson");
    await pipeline(stdin, createWriteStream(path, { mode: 0o600 }));
    return await work(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runPublish(argv: string[], io: CliIo, deps: CliDeps = defaultDeps): Promise<number> {
  try {
    const plan = parsePublishArgs(argv, io.stderrIsTTY);
    switch (plan.mode) {
      case "help":
        io.stdout(PUBLISH_HELP);
        return EXIT.ok;
      case "retire":
        return await runRetire(PROGRAM, plan.flags, io, deps);
      case "file": {
        const publish = (path: string) => publishFile(path, io, deps, plan.options);
        return plan.file === "-" ? await withSpooledStdin(io.stdin, publish) : await publish(plan.file);
      }
      case "one":
        return await publishOne(plan.run, io, deps, plan.options);
    }
  } catch (err) {
    return invalidInputExit(PROGRAM, io, err);
  }
}
