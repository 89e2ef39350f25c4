/** What the two CLIs share: their I/O seam, exit codes, flags, progress and Kafka failure reports. */
import type { Readable } from "node:stream";
import { ConfigError, type Env } from "../../config/errors.ts";
import { type SchemaVersion, ValidationError } from "../../contract/index.ts";
import { EXIT } from "../../process/exit-codes.ts";
import { InputError, PublishError } from "../errors.ts";
import { type ClientLogLevel, stderrLogger } from "../log.ts";
import { createProducer, describeKafkaError, type EventProducer, type ProducerOptions } from "../sdk.ts";

export { EXIT } from "../../process/exit-codes.ts";

export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout(text: string): void;
  stderr(text: string): void;
  stderrIsTTY: boolean;
  env: Env;
  /** The clock of progress reports; Date.now by default. */
  now?: () => number;
}

export interface CliDeps {
  createProducer(options: ProducerOptions): EventProducer;
}

export const defaultDeps: CliDeps = { createProducer };

export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
  };
}

/** Thrown for a usage or input problem: the CLI prints the message and exits with EXIT.config. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    /** Whether to point at --help (flags), or not (a bad input record). */
    readonly pointAtHelp = true,
  ) {
    super(message);
  }
}

/**
 * The SDK's judgement of a record (its prepare), as the InputError the CLIs report: the field
 * at fault, and for a contract refusal the message `quote` gives in the user's terms.
 */
export function judged<T>(prepare: () => T, quote?: (err: ValidationError) => string): T {
  try {
    return prepare();
  } catch (err) {
    if (!(err instanceof PublishError) || err.kind === "kafka") throw err;
    const message = err.cause instanceof ValidationError && quote ? quote(err.cause) : err.message;
    throw new InputError(err.field ?? "(record)", message);
  }
}

export function parseSchemaVersion(value: string | undefined): SchemaVersion | undefined {
  if (value === undefined) return undefined;
  if (value === "1" || value === "2" || value === "3") return Number(value) as SchemaVersion;
  throw new UsageError(`--schema-version must be 1, 2 or 3, not "${value}"`);
}

/** `parseArgs` messages, and our own, as one line pointing at --help. */
export function usageLine(program: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const help = err instanceof UsageError && !err.pointAtHelp ? "" : ` (see ${program} --help)`;
  return `${program}: ${message.split("\n")[0]}${help}\n`;
}

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/^\uFEFF/, "");
}

/**
 * Publishing progress on stderr: at most once a second or every 10k records, only when asked
 * for (a TTY, or --progress), and never for small inputs that finish at once.
 */
export function progressReporter(
  program: string,
  io: CliIo,
  enabled: boolean,
): (acknowledged: number, total: number) => void {
  const clock = io.now ?? Date.now;
  let lastCount = 0;
  let lastTime = clock();
  return (acknowledged, total) => {
    if (!enabled) return;
    const now = clock();
    if (acknowledged - lastCount < 10_000 && now - lastTime < 1000) return;
    lastCount = acknowledged;
    lastTime = now;
    const percent = total === 0 ? 100 : Math.floor((acknowledged / total) * 100);
    io.stderr(`${program}: ${acknowledged}/${total} records acknowledged (${percent}%)\n`);
  };
}

/** The --verbose line of both CLIs' help. */
export const VERBOSE_HELP = `  -v, --verbose       also write the Kafka client's log on stderr (JSON lines);
                      KYMAROS_LOG_LEVEL=debug writes all of it`;

const LOG_LEVELS = ["debug", "info", "warn", "error"];

/**
 * How much of the Kafka client's log a CLI writes: none by default, since a failure is reported
 * in one line of the CLI's own (the client logs every retry with a stack trace); from info up
 * with --verbose; everything with KYMAROS_LOG_LEVEL=debug.
 */
export function cliClientLogLevel(env: Env, verbose: boolean): ClientLogLevel {
  const raw = env.KYMAROS_LOG_LEVEL;
  if (raw !== undefined && !LOG_LEVELS.includes(raw.toLowerCase())) {
    throw new ConfigError("KYMAROS_LOG_LEVEL", `"${raw}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  if (raw?.toLowerCase() === "debug") return "debug";
  return verbose ? "info" : "off";
}

/**
 * Creating the producer reads KYMAROS_KAFKA_*, KYMAROS_TOPIC and KYMAROS_LOG_LEVEL: a bad one is
 * a usage error. The client's log, when asked for, goes to the CLI's stderr.
 */
export function openProducer(
  deps: CliDeps,
  io: CliIo,
  options: ProducerOptions,
  verbose = false,
): EventProducer {
  try {
    const clientLogLevel = cliClientLogLevel(io.env, verbose);
    const logger = stderrLogger(clientLogLevel, io.stderr);
    return deps.createProducer({ env: io.env, logger, clientLogLevel, ...options });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`configuration: ${err.message}`);
    throw err;
  }
}

/**
 * The one-line report of a Kafka failure: how many records were acknowledged, and which (the
 * acknowledged records are always the first ones of the input: batches go out in order).
 */
export function kafkaFailureLine(
  program: string,
  err: PublishError,
  topic: string,
  acked: number,
  total: number,
  describe: (first: number, last: number) => string,
): string {
  const which =
    acked === 0
      ? "no record was acknowledged"
      : `${acked} of ${total} records were acknowledged (${describe(0, acked - 1)})${acked < total ? `; the other ${total - acked} were not confirmed` : ""}`;
  const cause = err.cause instanceof Error ? err.cause : err;
  return `${program}: Kafka failure publishing to ${topic}, ${which}: ${describeKafkaError(cause, topic)}\n`;
}

/** Bad flags and unreadable files: one line on stderr and the "config" exit code; anything else is rethrown. */
export function invalidInputExit(program: string, io: CliIo, err: unknown): number {
  if (err instanceof UsageError || (err instanceof TypeError && "code" in err)) {
    io.stderr(usageLine(program, err));
    return EXIT.config;
  }
  if (err instanceof Error && "code" in err && typeof err.code === "string" && "path" in err) {
    io.stderr(`${program}: cannot read ${String(err.path)}: ${err.code}\n`);
    return EXIT.config;
  }
  throw err;
}
