/**
 * kymaros-backfill: publish RestoreReports (kubectl get restorereports -A -o json) as RunCompleted;
 * with --prune, retire the tests that have reports but no RestoreTest any more. The flags become
 * a plan (parseBackfillArgs, no I/O), the inputs are loaded, and one executor runs per mode.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { SchemaVersion } from "../../contract/index.ts";
import {
  type Conversion,
  convertReports,
  parseTimestamp,
  prunable,
  restoreTestKeys,
} from "../../kymaros/index.ts";
import { InputError, PublishError } from "../errors.ts";
import { runToJsonLine } from "../run-input.ts";
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
  readAll,
  UsageError,
  VERBOSE_HELP,
} from "./common.ts";
import { publishRetirements } from "./retire-command.ts";

const PROGRAM = "kymaros-backfill";

export const BACKFILL_HELP = `Usage:
  kubectl get restorereports -A -o json | ${PROGRAM} [--dry-run] [--schema-version 1|2] [--cluster NAME]
  ${PROGRAM} --file reports.json [--dry-run] [--progress]
  ${PROGRAM} --prune --tests restoretests.json [--file reports.json] [--dry-run] [--cluster NAME]
                   [--retired-at TIME]

Publishes one RunCompleted per RestoreReport (runId = report name, namespace = report
namespace, test = spec.testRef), to KYMAROS_TOPIC (default kymaros.run-completed) on
KYMAROS_KAFKA_BROKERS (default localhost:9092). Old runs are counted by the service, and move
its gauges only where they are newer than what it has.

Reports that cannot be converted (no status yet, no completedAt, a bad duration, a score
outside 0..100, ...) are listed on stderr with the reason; the others are published.

--prune publishes no runs: it retires (TestRetired) each test that has reports but no
RestoreTest in --tests (kubectl get restoretests -A -o json), i.e. deleted or renamed tests,
at its latest report's completion (or --retired-at), so their series and alerts end. With
--dry-run it lists them as NDJSON (what kymaros-publish --retire --file reads) instead.

Options:
  --file PATH         read the kubectl JSON from PATH ("-" or absent: stdin)
  --prune             retire the tests that no RestoreTest in --tests names
  --tests PATH        kubectl get restoretests -A -o json (with --prune)
  --retired-at TIME   with --prune: retire them all at TIME instead of their latest report
  --dry-run           print the events as NDJSON on stdout (what kymaros-publish --file reads)
                      instead of publishing them
  --cluster NAME      set the events' cluster (schema version 2)
  --schema-version V  writer schema, 1, 2 or 3 (default 2)
  --progress          report progress on stderr (on by default when stderr is a terminal)
${VERBOSE_HELP}
  -h, --help          this help

Exit codes: 0 every report published (or printed); 2 unreadable input or bad flags or
configuration (nothing published); 3 Kafka failure (stderr says how many, and which, were
acknowledged); 4 some reports skipped, the others published (or printed).

Examples:
  kubectl get restorereports -A -o json | ${PROGRAM}
  kubectl get restorereports -n shop -o json > reports.json
  ${PROGRAM} --file reports.json --dry-run > runs.ndjson && kymaros-publish --file runs.ndjson
  KYMAROS_TOPIC=kymaros.run-completed ${PROGRAM} --file reports.json --cluster prod-eu-1
`;

/**
 * - publish: the reports' runs to Kafka; print: them as NDJSON on stdout (--dry-run)
 * - prune: retire the tests with reports and no RestoreTest; print-prunable: list them (--dry-run)
 */
export type BackfillMode = "publish" | "print" | "prune" | "print-prunable";

export type BackfillPlan =
  | { mode: "help" }
  | {
      mode: BackfillMode;
      /** The kubectl JSON of the reports; "-" for stdin. */
      file: string;
      cluster: string | null;
      schemaVersion: SchemaVersion | undefined;
      progress: boolean;
      verbose: boolean;
      /** The RestoreTests file (the prune modes). */
      tests?: string;
      /** One retirement time for all (the prune modes); otherwise each test's latest report. */
      retiredAt?: number;
    };

type Values = ReturnType<typeof flagValues>;

function flagValues(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      file: { type: "string", short: "f" },
      "dry-run": { type: "boolean" },
      cluster: { type: "string" },
      "schema-version": { type: "string" },
      progress: { type: "boolean" },
      verbose: { type: "boolean", short: "v" },
      prune: { type: "boolean" },
      tests: { type: "string" },
      "retired-at": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
}

/** The --prune flags: together, or not at all. */
function pruneFlags(values: Values): { tests?: string; retiredAt?: number } {
  if (!values.prune && (values.tests !== undefined || values["retired-at"] !== undefined)) {
    throw new UsageError(`--${values.tests !== undefined ? "tests" : "retired-at"} goes with --prune`);
  }
  if (values.prune && values.tests === undefined) {
    throw new UsageError("--prune needs --tests (kubectl get restoretests -A -o json saved to a file)");
  }
  const at = values["retired-at"];
  try {
    return {
      tests: values.tests,
      ...(at === undefined ? {} : { retiredAt: parseTimestamp(at, "retiredAt") }),
    };
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(`--retired-at: ${err.message}`);
    throw err;
  }
}

/** The flags as a plan, or a UsageError; no I/O. */
export function parseBackfillArgs(
  argv: readonly string[],
  tty: { stdin?: boolean; stderr?: boolean } = {},
): BackfillPlan {
  const values = flagValues(argv);
  if (values.help) return { mode: "help" };
  const schemaVersion = parseSchemaVersion(values["schema-version"]);
  const cluster = values.cluster ?? null;
  if (cluster !== null && schemaVersion === 1) {
    throw new UsageError("--cluster needs schema version 2 (version 1 has no cluster field)");
  }
  const prune = pruneFlags(values);
  const file = values.file ?? "-";
  if (file === "-" && tty.stdin === true) {
    throw new UsageError("give --file, or pipe `kubectl get restorereports -A -o json` into stdin");
  }
  const dry = values["dry-run"] === true;
  const mode: BackfillMode = values.prune ? (dry ? "print-prunable" : "prune") : dry ? "print" : "publish";
  const progress = values.progress === true || tty.stderr === true;
  return { mode, file, cluster, schemaVersion, progress, verbose: values.verbose === true, ...prune };
}

type Plan = Exclude<BackfillPlan, { mode: "help" }>;

/** A JSON document from a file, or a UsageError saying which input is not JSON. */
async function readJson(text: Promise<string>, what: string): Promise<unknown> {
  const read = await text;
  try {
    return JSON.parse(read);
  } catch (err) {
    throw new UsageError(`${what} is not JSON: ${(err as Error).message}`, false);
  }
}

/** The test keys of the RestoreTests file, or a UsageError naming it. */
async function loadTests(path: string): Promise<Set<string>> {
  const document = await readJson(readFile(path, "utf8"), `--tests ${path}`);
  try {
    return restoreTestKeys(document);
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(`--tests ${path}: ${err.message}`, false);
    throw err;
  }
}

/** The reports converted to runs, and those that could not be (listed on stderr). */
async function loadReports(plan: Plan, io: CliIo): Promise<Conversion> {
  const text = plan.file === "-" ? readAll(io.stdin) : readFile(plan.file, "utf8");
  const document = await readJson(text, "the input");
  let conversion: Conversion;
  try {
    conversion = convertReports(document, { cluster: plan.cluster });
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message, false);
    throw err;
  }
  for (const s of conversion.skipped) io.stderr(`${PROGRAM}: skipped ${s.ref}: ${s.reason}\n`);
  return conversion;
}

interface Loaded {
  conversion: Conversion;
  tests: Set<string>;
}
type Executor = (plan: Plan, loaded: Loaded, io: CliIo, deps: CliDeps) => Promise<number>;

function printRuns(_plan: Plan, { conversion: { converted, skipped } }: Loaded, io: CliIo): Promise<number> {
  io.stdout(converted.map(({ run }) => `${runToJsonLine(run)}\n`).join(""));
  const total = converted.length + skipped.length;
  io.stderr(
    `${PROGRAM}: dry run, ${converted.length} of ${total} reports converted, ${skipped.length} skipped\n`,
  );
  return Promise.resolve(EXIT.ok);
}

async function publishRuns(plan: Plan, { conversion }: Loaded, io: CliIo, deps: CliDeps): Promise<number> {
  const { converted, skipped } = conversion;
  const producer = openProducer(deps, io, { schemaVersion: plan.schemaVersion }, plan.verbose);
  try {
    const onProgress = progressReporter(PROGRAM, io, plan.progress);
    await producer.publishMany(
      converted.map((c) => c.run),
      { onProgress },
    );
    const total = converted.length + skipped.length;
    io.stderr(
      `${PROGRAM}: ${converted.length} of ${total} reports published to ${producer.topic} and acknowledged, ${skipped.length} skipped\n`,
    );
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof PublishError)) throw err;
    const ref = (i: number) => converted[i]?.ref;
    if (err.kind === "kafka") {
      const which = (first: number, last: number) =>
        first === last ? `${ref(first)}` : `${ref(first)} .. ${ref(last)}, in input order`;
      io.stderr(
        kafkaFailureLine(PROGRAM, err, producer.topic, err.acknowledged.length, converted.length, which),
      );
      return EXIT.kafka;
    }
    // Converted runs passed validateRun already: only an encoding problem can land here.
    const at = err.index === undefined ? "" : `${ref(err.index)}: `;
    io.stderr(`${PROGRAM}: ${at}${err.message}; nothing was published\n`);
    return EXIT.config;
  } finally {
    await producer.close();
  }
}

function retirementsOf(plan: Plan, { conversion, tests }: Loaded) {
  const retiredAt = plan.retiredAt === undefined ? {} : { retiredAt: plan.retiredAt };
  return prunable(
    conversion.converted.map((c) => c.run),
    tests,
    { cluster: plan.cluster, ...retiredAt },
  );
}

/** Lists the prunable tests as NDJSON (what kymaros-publish --retire --file reads). */
function printPrunable(plan: Plan, loaded: Loaded, io: CliIo): Promise<number> {
  const retirements = retirementsOf(plan, loaded);
  io.stdout(retirements.map((r) => `${JSON.stringify(r)}\n`).join(""));
  const dry = plan.mode === "print-prunable" ? " (dry run: not retired)" : "";
  io.stderr(`${PROGRAM}: ${retirements.length} tests have reports but no RestoreTest${dry}\n`);
  return Promise.resolve(EXIT.ok);
}

async function prune(plan: Plan, loaded: Loaded, io: CliIo, deps: CliDeps): Promise<number> {
  const retirements = retirementsOf(plan, loaded);
  if (retirements.length === 0) return printPrunable(plan, loaded, io);
  return publishRetirements(PROGRAM, retirements, io, deps);
}

const EXECUTORS: Record<BackfillMode, Executor> = {
  publish: publishRuns,
  print: printRuns,
  prune,
  "print-prunable": printPrunable,
};

export async function runBackfill(argv: string[], io: CliIo, deps: CliDeps = defaultDeps): Promise<number> {
  try {
    const plan = parseBackfillArgs(argv, { stdin: io.stdin.isTTY, stderr: io.stderrIsTTY });
    if (plan.mode === "help") {
      io.stdout(BACKFILL_HELP);
      return EXIT.ok;
    }
    // Read before the reports, so that a bad RestoreTests file stops everything first.
    const tests = plan.tests === undefined ? new Set<string>() : await loadTests(plan.tests);
    const conversion = await loadReports(plan, io);
    const code = await EXECUTORS[plan.mode](plan, { conversion, tests }, io, deps);
    return code === EXIT.ok && conversion.skipped.length > 0 ? EXIT.partial : code;
  } catch (err) {
    return invalidInputExit(PROGRAM, io, err);
  }
}
