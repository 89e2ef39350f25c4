/** kymaros-publish: publish one run given by flags, or many given as NDJSON; or retire tests (--retire). */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import type { RunCompleted, SchemaVersion } from "../../contract/index.ts";
import { InputError, PublishError } from "../errors.ts";
import {
  checkPublishable,
  flagName,
  flagQuoting,
  jsonQuoting,
  RUN_FIELDS,
  runFromFlags,
  runFromJson,
} from "../run-input.ts";
import {
  type CliDeps,
  type CliIo,
  defaultDeps,
  EXIT,
  invalidInputExit,
  kafkaFailureLine,
  openProducer,
  parseSchemaVersion,
  progressReporter,
  UsageError,
  VERBOSE_HELP,
} from "./common.ts";
import { runRetire } from "./retire-command.ts";

const PROGRAM = "kymaros-publish";
/**
 * NDJSON is read twice: once to validate every line (nothing is sent if one is invalid), then
 * again to publish, this many runs at a time, so memory stays flat however long the input.
 */
const CHUNK_RUNS = 20_000;

export const PUBLISH_HELP = `Usage:
  ${PROGRAM} --run-id ID --test NAME --namespace NS --result pass|fail|partial --score N
                  --started-at TIME --completed-at TIME [--rto-seconds S] [--backup-name NAME]
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
(runId, test, namespace, result, score, startedAt, completedAt, rtoSeconds, backupName,
backupCreatedAt, rtoTargetSeconds, cluster). TIME is RFC 3339 (2026-11-26T03:00:00Z) or epoch
milliseconds. The whole input is validated first: if any line is invalid, nothing is sent.
Records go out in input order.

--retire publishes TestRetired events instead: the test (name, namespace, and cluster if its
runs carry one) was deleted or renamed, and its runs completed at or before --retired-at
(default: now) count for nothing; its series disappear until a later run starts a new life.
NDJSON lines then have the fields test, namespace, cluster, retiredAt, reason.

Options:
  --file PATH         read NDJSON from PATH ("-" for stdin, which is spooled to a temporary file)
  --schema-version V  writer schema, 1 or 2 (default 2; cluster needs 2)
  --progress          report progress on stderr (on by default when stderr is a terminal)
${VERBOSE_HELP}
  --retire            retire tests instead of publishing runs
  -h, --help          this help

Exit codes: 0 all acknowledged; 1 invalid flags, input or configuration (nothing sent);
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

type Line = { line: number; run: RunCompleted } | { line: number; error: InputError };

/** The NDJSON records of a stream with their line numbers; blank lines are skipped. */
async function* ndjson(stream: Readable, schemaVersion: SchemaVersion | undefined): AsyncGenerator<Line> {
  let lineNumber = 0;
  for await (const raw of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNumber++;
    const text = lineNumber === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (text.trim() === "") continue;
    try {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new InputError("(record)", `not JSON (${(err as Error).message})`);
      }
      const run = runFromJson(value);
      checkPublishable(run, schemaVersion, jsonQuoting(value));
      yield { line: lineNumber, run };
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      yield { line: lineNumber, error: err };
    }
  }
}

/** Pass one: every line valid, or a UsageError naming the first invalid one. Returns the count. */
async function validateAll(path: string, schemaVersion: SchemaVersion | undefined): Promise<number> {
  let valid = 0;
  let invalid = 0;
  let first: string | undefined;
  for await (const entry of ndjson(createReadStream(path), schemaVersion)) {
    if ("run" in entry) {
      valid++;
    } else {
      invalid++;
      first ??= `line ${entry.line}, field ${entry.error.field}: ${entry.error.message}`;
    }
  }
  if (first !== undefined) {
    const more = invalid > 1 ? ` (and ${invalid - 1} more invalid lines)` : "";
    throw new UsageError(`${first}${more}; nothing was published`, false);
  }
  return valid;
}

interface Options {
  schemaVersion: SchemaVersion | undefined;
  progress: boolean;
  verbose: boolean;
}

/** Pass two: publish in order, a chunk at a time; a Kafka failure says which lines made it. */
async function publishFile(
  path: string,
  total: number,
  io: CliIo,
  deps: CliDeps,
  options: Options,
): Promise<number> {
  const producer = openProducer(deps, io, { schemaVersion: options.schemaVersion }, options.verbose);
  const progress = progressReporter(PROGRAM, io, options.progress);
  let acknowledged = 0;
  let lastAckedLine = 0;
  let chunk: RunCompleted[] = [];
  let lines: number[] = [];
  // One chunk in flight while the next is read: parsing overlaps the round trips, and since a
  // chunk is sent only once the previous one was acknowledged, the records stay in input order.
  let inFlight: Promise<void> | undefined;
  const send = async (runs: RunCompleted[], runLines: number[]): Promise<void> => {
    const base = acknowledged;
    try {
      await producer.publishMany(runs, { onProgress: (acked) => progress(base + acked, total) });
    } catch (err) {
      if (err instanceof PublishError) {
        const acked = err.kind === "kafka" ? err.acknowledged.length : 0;
        throw new ChunkFailure(err, base + acked, acked > 0 ? (runLines[acked - 1] ?? 0) : lastAckedLine);
      }
      throw err;
    }
    acknowledged += runs.length;
    lastAckedLine = runLines[runLines.length - 1] ?? lastAckedLine;
  };
  const flush = async (): Promise<void> => {
    await inFlight;
    inFlight = send(chunk, lines);
    // Observed at the next flush; until then, not an unhandled rejection.
    inFlight.catch(() => undefined);
    chunk = [];
    lines = [];
  };
  try {
    for await (const entry of ndjson(createReadStream(path), options.schemaVersion)) {
      if (!("run" in entry)) {
        await inFlight;
        throw new ChunkFailure(
          new PublishError(
            "validation",
            `line ${entry.line} changed since it was validated: ${entry.error.message}`,
          ),
          acknowledged,
          lastAckedLine,
        );
      }
      chunk.push(entry.run);
      lines.push(entry.line);
      if (chunk.length >= CHUNK_RUNS) await flush();
    }
    if (chunk.length > 0) await flush();
    await inFlight;
    io.stderr(`${PROGRAM}: ${acknowledged} records published to ${producer.topic} and acknowledged\n`);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof ChunkFailure)) throw err;
    const which = () => (err.lastLine === 1 ? "line 1" : `lines 1-${err.lastLine}`);
    if (err.error.kind === "kafka") {
      io.stderr(kafkaFailureLine(PROGRAM, err.error, producer.topic, err.acknowledged, total, which));
      return EXIT.kafka;
    }
    const done =
      err.acknowledged === 0
        ? "nothing was published"
        : `${err.acknowledged} records (${which()}) were published`;
    io.stderr(`${PROGRAM}: ${err.error.message}; ${done}\n`);
    return err.acknowledged === 0 ? EXIT.invalid : EXIT.kafka;
  } finally {
    await producer.close();
  }
}

class ChunkFailure extends Error {
  constructor(
    readonly error: PublishError,
    readonly acknowledged: number,
    readonly lastLine: number,
  ) {
    super(error.message);
  }
}

async function publishOne(run: RunCompleted, io: CliIo, deps: CliDeps, options: Options): Promise<number> {
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
    return EXIT.invalid;
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
    const { values } = parseArgs({
      args: argv,
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
    if (values.help) {
      io.stdout(PUBLISH_HELP);
      return EXIT.ok;
    }
    const text = (name: string): string | undefined => {
      const value = (values as Readonly<Record<string, string | boolean | undefined>>)[name];
      return typeof value === "string" ? value : undefined;
    };
    const options: Options = {
      schemaVersion: parseSchemaVersion(text("schema-version")),
      progress: values.progress === true || io.stderrIsTTY,
      verbose: values.verbose === true,
    };
    if (values.retire) {
      const runOnly = RUN_FIELDS.find(
        (f) => !["test", "namespace", "cluster"].includes(f.name) && text(flagName(f.name)) !== undefined,
      );
      if (runOnly !== undefined)
        throw new UsageError(`--retire and --${flagName(runOnly.name)} do not go together`);
      if (text("schema-version") !== undefined)
        throw new UsageError("--retire and --schema-version do not go together");
      return await runRetire(
        PROGRAM,
        {
          test: text("test"),
          namespace: text("namespace"),
          cluster: text("cluster"),
          retiredAt: text("retired-at"),
          reason: text("reason"),
          file: text("file"),
        },
        io,
        deps,
      );
    }
    for (const only of ["retired-at", "reason"]) {
      if (text(only) !== undefined) throw new UsageError(`--${only} goes with --retire`);
    }
    const flagged = RUN_FIELDS.filter((f) => text(flagName(f.name)) !== undefined);
    const file = text("file");
    if (file !== undefined) {
      if (flagged.length > 0) {
        throw new UsageError(
          `--file and --${flagName((flagged[0] as (typeof flagged)[0]).name)} do not go together`,
        );
      }
      const publish = async (path: string) => {
        const total = await validateAll(path, options.schemaVersion);
        return publishFile(path, total, io, deps, options);
      };
      return file === "-" ? await withSpooledStdin(io.stdin, publish) : await publish(file);
    }
    if (flagged.length === 0)
      throw new UsageError("give a run with --run-id, --test, ... or NDJSON with --file");
    const typed = Object.fromEntries(RUN_FIELDS.map((f) => [f.name, text(flagName(f.name))]));
    let run: RunCompleted;
    try {
      run = runFromFlags(typed);
    } catch (err) {
      // Flag syntax: the message names the flag, and points at --help.
      if (!(err instanceof InputError)) throw err;
      throw new UsageError(err.message);
    }
    try {
      checkPublishable(run, options.schemaVersion, flagQuoting(typed));
    } catch (err) {
      // A value the contract refuses: named by its flag, no pointer to --help.
      if (!(err instanceof InputError)) throw err;
      const flag = `--${flagName(err.field)}`;
      throw new UsageError(err.message.startsWith(flag) ? err.message : `${flag}: ${err.message}`, false);
    }
    return await publishOne(run, io, deps, options);
  } catch (err) {
    return invalidInputExit(PROGRAM, io, err);
  }
}
