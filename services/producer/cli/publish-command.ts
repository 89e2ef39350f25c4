/** kymaros-publish: publish one run given by flags, or many given as NDJSON. */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { parseArgs } from "node:util";
import type { RunCompleted, SchemaVersion } from "../../contract/index.ts";
import { InputError, PublishError } from "../errors.ts";
import { checkPublishable, flagName, RUN_FIELDS, runFromFlags, runFromJson } from "../run-input.ts";
import {
  type CliDeps,
  type CliIo,
  defaultDeps,
  EXIT,
  kafkaFailureLine,
  openProducer,
  parseSchemaVersion,
  progressReporter,
  UsageError,
  usageLine,
} from "./common.ts";

const PROGRAM = "kymaros-publish";

export const PUBLISH_HELP = `Usage:
  ${PROGRAM} --run-id ID --test NAME --namespace NS --result pass|fail|partial --score N
                  --started-at TIME --completed-at TIME [--rto-seconds S] [--backup-name NAME]
                  [--backup-created-at TIME] [--rto-target-seconds S] [--cluster NAME]
                  [--schema-version 1|2]
  ${PROGRAM} --file FILE.ndjson [--schema-version 1|2] [--progress]
  ${PROGRAM} --file - < FILE.ndjson

Publishes RunCompleted events to Kafka (topic KYMAROS_TOPIC, default kymaros.run-completed;
brokers KYMAROS_KAFKA_BROKERS, default localhost:9092), keyed by test name, and exits 0 only
once the broker acknowledged every record (acks=all).

One run from flags, or many from NDJSON: one JSON object per line with the event's field names
(runId, test, namespace, result, score, startedAt, completedAt, rtoSeconds, backupName,
backupCreatedAt, rtoTargetSeconds, cluster). TIME is RFC 3339 (2026-11-26T03:00:00Z) or epoch
milliseconds. The whole input is validated first: if any line is invalid, nothing is sent.

Options:
  --file PATH         read NDJSON from PATH ("-" for stdin)
  --schema-version V  writer schema, 1 or 2 (default 2; cluster needs 2)
  --progress          report progress on stderr (on by default when stderr is a terminal)
  -h, --help          this help

Exit codes: 0 all acknowledged; 1 invalid flags, input or configuration (nothing sent);
3 Kafka failure (stderr says how many records, and which, were acknowledged).

Examples:
  ${PROGRAM} --run-id my-app-nightly-20261126-030000 --test my-app-nightly --namespace shop \\
    --result pass --score 97 --started-at 2026-11-26T03:00:00Z \\
    --completed-at 2026-11-26T03:14:10Z --rto-seconds 695 --rto-target-seconds 900 \\
    --backup-name velero-daily-20261126 --backup-created-at 2026-11-26T01:00:00Z
  ${PROGRAM} --file runs.ndjson --progress
  kymaros-backfill --dry-run --file reports.json | ${PROGRAM} --file -
`;

const RUN_FLAGS = Object.fromEntries(RUN_FIELDS.map((f) => [flagName(f.name), { type: "string" as const }]));

interface Input {
  runs: RunCompleted[];
  /** The line number of each run (1-based), or 0 when the run came from flags. */
  lines: number[];
}

async function readNdjson(stream: Readable, schemaVersion: SchemaVersion | undefined): Promise<Input> {
  const input: Input = { runs: [], lines: [] };
  let first: string | undefined;
  let invalid = 0;
  let lineNumber = 0;
  for await (const raw of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNumber++;
    const line = lineNumber === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (line.trim() === "") continue;
    try {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw new InputError("(record)", `not JSON (${(err as Error).message})`);
      }
      const run = runFromJson(value);
      checkPublishable(run, schemaVersion);
      input.runs.push(run);
      input.lines.push(lineNumber);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      invalid++;
      first ??= `line ${lineNumber}, field ${err.field}: ${err.message}`;
    }
  }
  if (first !== undefined) {
    const more = invalid > 1 ? ` (and ${invalid - 1} more invalid lines)` : "";
    throw new UsageError(`${first}${more}; nothing was published`, false);
  }
  return input;
}

function where(input: Input, index: number): string {
  const line = input.lines[index];
  return line === undefined || line === 0 ? "" : `line ${line}, `;
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
    const schemaVersion = parseSchemaVersion(text("schema-version"));
    const flagged = RUN_FIELDS.filter((f) => text(flagName(f.name)) !== undefined);
    const file = text("file");
    let input: Input;
    if (file !== undefined) {
      if (flagged.length > 0) {
        throw new UsageError(
          `--file and --${flagName((flagged[0] as (typeof flagged)[0]).name)} do not go together`,
        );
      }
      input = await readNdjson(file === "-" ? io.stdin : createReadStream(file), schemaVersion);
    } else {
      if (flagged.length === 0)
        throw new UsageError("give a run with --run-id, --test, ... or NDJSON with --file");
      const byField = Object.fromEntries(RUN_FIELDS.map((f) => [f.name, text(flagName(f.name))]));
      try {
        const run = runFromFlags(byField);
        checkPublishable(run, schemaVersion);
        input = { runs: [run], lines: [0] };
      } catch (err) {
        if (err instanceof InputError) {
          // Flag syntax points at --help; a value the contract refuses does not.
          const syntax = err.message.startsWith("--");
          throw new UsageError(syntax ? err.message : `--${flagName(err.field)}: ${err.message}`, syntax);
        }
        throw err;
      }
    }
    return await publish(input, io, deps, {
      schemaVersion,
      fromFile: file !== undefined,
      progress: values.progress === true || io.stderrIsTTY,
    });
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && "code" in err)) {
      io.stderr(usageLine(PROGRAM, err));
      return EXIT.invalid;
    }
    if (err instanceof Error && "code" in err && typeof err.code === "string" && "path" in err) {
      io.stderr(`${PROGRAM}: cannot read ${String(err.path)}: ${err.code}\n`);
      return EXIT.invalid;
    }
    throw err;
  }
}

async function publish(
  input: Input,
  io: CliIo,
  deps: CliDeps,
  options: { schemaVersion: SchemaVersion | undefined; fromFile: boolean; progress: boolean },
): Promise<number> {
  const producer = openProducer(deps, io, { schemaVersion: options.schemaVersion });
  try {
    const results = await producer.publishMany(input.runs, {
      onProgress: progressReporter(PROGRAM, io, options.progress),
    });
    if (options.fromFile) {
      io.stderr(`${PROGRAM}: ${results.length} records published to ${producer.topic} and acknowledged\n`);
    } else {
      io.stdout(`${JSON.stringify(results[0])}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof PublishError)) throw err;
    if (err.kind === "kafka") {
      io.stderr(
        kafkaFailureLine(PROGRAM, err, producer.topic, input.runs.length, (first, last) =>
          options.fromFile ? `lines ${input.lines[first]}-${input.lines[last]}` : "the run",
        ),
      );
      return EXIT.kafka;
    }
    const field =
      err.field === undefined ? "" : `field ${options.fromFile ? err.field : `--${flagName(err.field)}`}: `;
    const message = err.index === undefined ? err.message : err.message.replace(/^run \d+: /, "");
    io.stderr(`${PROGRAM}: ${where(input, err.index ?? -1)}${field}${message}; nothing was published\n`);
    return EXIT.invalid;
  } finally {
    await producer.close();
  }
}
