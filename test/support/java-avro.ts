/**
 * The Avro reference implementation (Java, tools/avro-interop) as a test oracle. Built with Maven once
 * (skipped while target/ is newer than the pom and the source), then run as a child process per call.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type RunCompleted, SCHEMA_VERSIONS, type SchemaVersion } from "../../services/contract/index.ts";

const interopDir = fileURLToPath(new URL("../../tools/avro-interop/", import.meta.url));
const schemasDir = fileURLToPath(new URL("../../schemas/", import.meta.url));
const sources = [`${interopDir}pom.xml`, `${interopDir}src/main/java/io/kymaros/interop/AvroInterop.java`];
const classFile = `${interopDir}target/classes/io/kymaros/interop/AvroInterop.class`;
const classpathFile = `${interopDir}target/classpath.txt`;
const MAIN_CLASS = "io.kymaros.interop.AvroInterop";

let classpath: string | undefined;

function mtime(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : Number.NEGATIVE_INFINITY;
}

function upToDate(): boolean {
  const built = Math.min(mtime(classFile), mtime(classpathFile));
  return sources.every((source) => mtime(source) <= built);
}

/** Builds the harness unless it is up to date; returns whether it built and how long that took. */
export function buildJavaAvro(): { built: boolean; ms: number } {
  const start = performance.now();
  let built = false;
  if (!upToDate()) {
    // Maven runs silent for a while: say what the wait is (the runner shows stderr as it comes).
    process.stderr.write(
      "java-avro: building tools/avro-interop with Maven (once, until its sources change)\n",
    );
    const mvn = spawnSync(
      "mvn",
      ["-q", "-B", "compile", "dependency:build-classpath", `-Dmdep.outputFile=${classpathFile}`],
      { cwd: interopDir, encoding: "utf8" },
    );
    if (mvn.error)
      throw new Error(`cannot run mvn (Maven is needed for the Java interop test): ${mvn.error}`);
    if (mvn.status !== 0)
      throw new Error(`building tools/avro-interop failed:\n${mvn.stdout}\n${mvn.stderr}`);
    built = true;
  }
  classpath = `${interopDir}target/classes:${readFileSync(classpathFile, "utf8").trim()}`;
  return { built, ms: performance.now() - start };
}

function schemaFile(version: SchemaVersion): string {
  return `${schemasDir}run-completed.v${version}.avsc`;
}

/** Runs one mode with the given stdin lines; returns the output lines (failed lines start with "ERROR "). */
export function runJavaAvro(args: string[], lines: readonly string[] = []): string[] {
  if (!classpath) buildJavaAvro();
  const java = spawnSync("java", ["-cp", classpath as string, MAIN_CLASS, ...args], {
    input: lines.map((line) => `${line}\n`).join(""),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (java.error) throw new Error(`cannot run java: ${java.error}`);
  if (java.status !== 0) throw new Error(`java ${args.join(" ")} exited ${java.status}:\n${java.stderr}`);
  return java.stdout.split("\n").filter((line) => line.length > 0);
}

/** Java's single-object encoding of each event with the given writer schema, as hex (absent fields take their defaults). */
export function javaEncode(writer: SchemaVersion, events: readonly RunCompleted[]): string[] {
  const out = runJavaAvro(
    ["encode", schemaFile(writer)],
    events.map((event) => JSON.stringify(event)),
  );
  if (out.length !== events.length) throw new Error(`java encoded ${out.length} of ${events.length} events`);
  return out;
}

/** A message decoded by Java: the reader schema's fields, or the error Java gave. */
export type JavaDecoded = Record<string, unknown> | { error: string };

/** Java's decoding of single-object messages with a reader schema, knowing every writer schema. */
export function javaDecode(reader: SchemaVersion, messages: readonly Uint8Array[]): JavaDecoded[] {
  const out = runJavaAvro(
    ["decode", schemaFile(reader), ...SCHEMA_VERSIONS.map(schemaFile)],
    messages.map((m) => Buffer.from(m).toString("hex")),
  );
  if (out.length !== messages.length) throw new Error(`java decoded ${out.length} of ${messages.length}`);
  return out.map((line) =>
    line.startsWith("ERROR ") ? { error: line.slice(6) } : (JSON.parse(line) as Record<string, unknown>),
  );
}

/** Java's Parsing Canonical Form and parsingFingerprint64 (little-endian hex) of a schema version or file. */
export function javaFingerprint(schema: SchemaVersion | string): { fingerprint: string; canonical: string } {
  const [line] = runJavaAvro(["fingerprint", typeof schema === "string" ? schema : schemaFile(schema)]);
  if (!line) throw new Error("java printed no fingerprint");
  if (line.startsWith("ERROR ")) throw new Error(`java: ${line}`);
  return JSON.parse(line) as { fingerprint: string; canonical: string };
}

/**
 * Apicurio's AvroKafkaSerializer (3.1.7) on each event, with its default framing (00 + id) and
 * auto-registration against the registry's v3 API at `registryUrl`; hex per event.
 */
export function javaSerdeEncode(
  registryUrl: string,
  topic: string,
  writer: SchemaVersion,
  events: readonly RunCompleted[],
): string[] {
  const out = runJavaAvro(
    ["serde-encode", registryUrl, topic, schemaFile(writer)],
    events.map((event) => JSON.stringify(event)),
  );
  if (out.length !== events.length || out.some((l) => l.startsWith("ERROR "))) {
    throw new Error(`java serde encoded ${out.length} of ${events.length} events: ${out.join("\n")}`);
  }
  return out;
}
