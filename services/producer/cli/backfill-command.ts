/**
 * kymaros-backfill: publish RestoreReports (kubectl get restorereports -A -o json) as RunCompleted;
 * with --prune, retire the tests that have reports but no RestoreTest any more.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { convertReports, parseTimestamp, prunable, restoreTestKeys } from "../../kymaros/index.ts";
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
  --schema-version V  writer schema, 1 or 2 (default 2)
  --progress          report progress on stderr (on by default when stderr is a terminal)
${VERBOSE_HELP}
  -h, --help          this help

Exit codes: 0 every report published (or printed); 1 unreadable input or bad flags or
configuration (nothing published); 2 some reports skipped, the others published (or printed);
3 Kafka failure (stderr says how many, and which, were acknowledged).

Examples:
  kubectl get restorereports -A -o json | ${PROGRAM}
  kubectl get restorereports -n shop -o json > reports.json
  ${PROGRAM} --file reports.json --dry-run > runs.ndjson && kymaros-publish --file runs.ndjson
  KYMAROS_TOPIC=kymaros.run-completed ${PROGRAM} --file reports.json --cluster prod-eu-1
`;

export async function runBackfill(argv: string[], io: CliIo, deps: CliDeps = defaultDeps): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
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
    });
    if (values.help) {
      io.stdout(BACKFILL_HELP);
      return EXIT.ok;
    }
    const schemaVersion = parseSchemaVersion(values["schema-version"]);
    const cluster = values.cluster ?? null;
    if (cluster !== null && schemaVersion === 1) {
      throw new UsageError("--cluster needs schema version 2 (version 1 has no cluster field)");
    }
    if (!values.prune && (values.tests !== undefined || values["retired-at"] !== undefined)) {
      throw new UsageError(`--${values.tests !== undefined ? "tests" : "retired-at"} goes with --prune`);
    }
    if (values.prune && values.tests === undefined) {
      throw new UsageError("--prune needs --tests (kubectl get restoretests -A -o json saved to a file)");
    }
    // Read before the reports, so that a bad RestoreTests file stops everything first.
    let tests: Set<string> | undefined;
    if (values.tests !== undefined) {
      let testsDocument: unknown;
      try {
        testsDocument = JSON.parse(await readFile(values.tests, "utf8"));
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        throw new UsageError(`--tests ${values.tests} is not JSON: ${err.message}`, false);
      }
      try {
        tests = restoreTestKeys(testsDocument);
      } catch (err) {
        if (err instanceof InputError) throw new UsageError(`--tests ${values.tests}: ${err.message}`, false);
        throw err;
      }
    }
    let retiredAt: number | undefined;
    try {
      retiredAt =
        values["retired-at"] === undefined ? undefined : parseTimestamp(values["retired-at"], "retiredAt");
    } catch (err) {
      if (err instanceof InputError) throw new UsageError(`--retired-at: ${err.message}`);
      throw err;
    }
    const file = values.file ?? "-";
    if (file === "-" && io.stdin.isTTY === true) {
      throw new UsageError("give --file, or pipe `kubectl get restorereports -A -o json` into stdin");
    }
    const text = file === "-" ? await readAll(io.stdin) : await readFile(file, "utf8");
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`the input is not JSON: ${(err as Error).message}`, false);
    }
    let conversion: ReturnType<typeof convertReports>;
    try {
      conversion = convertReports(document, { cluster });
    } catch (err) {
      if (err instanceof InputError) throw new UsageError(err.message, false);
      throw err;
    }
    const { converted, skipped } = conversion;
    for (const s of skipped) io.stderr(`${PROGRAM}: skipped ${s.ref}: ${s.reason}\n`);
    const total = converted.length + skipped.length;
    const done = skipped.length > 0 ? EXIT.skipped : EXIT.ok;

    if (tests !== undefined) {
      const retirements = prunable(
        converted.map((c) => c.run),
        tests,
        { cluster, ...(retiredAt === undefined ? {} : { retiredAt }) },
      );
      if (values["dry-run"] || retirements.length === 0) {
        io.stdout(retirements.map((r) => `${JSON.stringify(r)}\n`).join(""));
        io.stderr(
          `${PROGRAM}: ${retirements.length} tests have reports but no RestoreTest${values["dry-run"] ? " (dry run: not retired)" : ""}\n`,
        );
        return done;
      }
      const code = await publishRetirements(PROGRAM, retirements, io, deps);
      return code === EXIT.ok ? done : code;
    }

    if (values["dry-run"]) {
      io.stdout(converted.map(({ run }) => `${runToJsonLine(run)}\n`).join(""));
      io.stderr(
        `${PROGRAM}: dry run, ${converted.length} of ${total} reports converted, ${skipped.length} skipped\n`,
      );
      return done;
    }

    const producer = openProducer(deps, io, { schemaVersion }, values.verbose === true);
    try {
      await producer.publishMany(
        converted.map((c) => c.run),
        { onProgress: progressReporter(PROGRAM, io, values.progress === true || io.stderrIsTTY) },
      );
      io.stderr(
        `${PROGRAM}: ${converted.length} of ${total} reports published to ${producer.topic} and acknowledged, ${skipped.length} skipped\n`,
      );
      return done;
    } catch (err) {
      if (!(err instanceof PublishError)) throw err;
      if (err.kind === "kafka") {
        io.stderr(
          kafkaFailureLine(
            PROGRAM,
            err,
            producer.topic,
            err.acknowledged.length,
            converted.length,
            (first, last) =>
              first === last
                ? `${converted[first]?.ref}`
                : `${converted[first]?.ref} .. ${converted[last]?.ref}, in input order`,
          ),
        );
        return EXIT.kafka;
      }
      // Converted runs passed validateRun already: only an encoding problem can land here.
      const ref = err.index === undefined ? "" : `${converted[err.index]?.ref}: `;
      io.stderr(`${PROGRAM}: ${ref}${err.message}; nothing was published\n`);
      return EXIT.invalid;
    } finally {
      await producer.close();
    }
  } catch (err) {
    return invalidInputExit(PROGRAM, io, err);
  }
}
