/**
 * The service's hot path: a message's facts (RunFacts), read straight from the bytes it arrived
 * in, with the verdict of decode() + validateRun() but none of the objects they make. Everything
 * that makes it fast stays in this file: the core and ingest see one form of facts, whichever
 * path made them.
 *
 * The reader below takes only the clean case: a known writer, an ASCII runId within its limit,
 * every union index and boolean 0 or 1, every long within ±2^52, every unkept string at most
 * MAX_NAME_LENGTH bytes (so within its limit in characters too), kept fields that pass
 * validation, and the datum ending exactly at the message's end. Whatever else it meets goes
 * through avsc and validateRun() instead, so that every refusal, and its reason, comes from the
 * reference path. Refusals are rare, and so are retirements (one per deleted test): they take
 * the reference path too.
 */
import { type Codec, HEADER_BYTES, LONG_LIMIT, MAX_MESSAGE_BYTES } from "./codec.ts";
import {
  type EventFacts,
  RESULTS,
  type Result,
  type RetirementFacts,
  type RunCompleted,
  type RunFacts,
  SCHEMA_VERSIONS,
  type SchemaVersion,
  type TestRetired,
} from "./event.ts";
import { FNV_OFFSET, FNV_PRIME, mix32 } from "./hash.ts";
import { loadSchema } from "./schemas.ts";
import {
  MAX_NAME_LENGTH,
  MAX_RUN_ID_LENGTH,
  MAX_SECONDS,
  MAX_TIMESTAMP_MS,
  validateRetirement,
  validateRun,
} from "./validate.ts";

/**
 * Reads one message, bytes[start .. end); throws CodecError or ValidationError like the
 * reference. The facts may be one object the reader refills on every read: use them before the
 * next read, and copy what must outlive it.
 */
export type FactsReader = (bytes: Buffer, start: number, end: number) => EventFacts;

const TIMESTAMP = { type: "long", logicalType: "timestamp-millis" };
const optional = (type: unknown) => ["null", type];

/**
 * The writers' fields, in order, with the Avro type this reader reads each as: checked against
 * schemas/ at start, so that a schema change cannot silently shift what the reader takes.
 */
const FIELDS_V1: readonly (readonly [string, unknown])[] = [
  ["runId", "string"],
  ["test", "string"],
  ["namespace", "string"],
  // The reader maps the enum's index through RESULTS: the symbols must be in that order.
  ["result", { type: "enum", symbols: RESULTS }],
  ["score", "int"],
  ["startedAt", TIMESTAMP],
  ["completedAt", TIMESTAMP],
  ["rtoSeconds", optional("double")],
  ["backupName", optional("string")],
  ["backupCreatedAt", optional(TIMESTAMP)],
  ["rtoTargetSeconds", optional("double")],
];
const FIELDS: Record<SchemaVersion, readonly (readonly [string, unknown])[]> = {
  1: FIELDS_V1,
  2: [...FIELDS_V1, ["cluster", optional("string")]],
  3: [...FIELDS_V1, ["cluster", optional("string")], ["startedAtKnown", "boolean"]],
};

/** An Avro type with only what decides how its bytes read (no names, docs or defaults). */
function readShape(type: unknown): unknown {
  if (Array.isArray(type)) return type.map(readShape);
  if (typeof type !== "object" || type === null) return type;
  const { type: kind, logicalType, symbols } = type as Record<string, unknown>;
  return { type: readShape(kind), logicalType, symbols };
}

/** Throws unless `schema` (version `version`'s) has exactly the fields and types the reader walks. */
export function checkLayout(version: SchemaVersion, schema: unknown = loadSchema(version)): void {
  const fields = (schema as { fields: { name: string; type: unknown }[] }).fields;
  const actual = JSON.stringify(fields.map((f) => [f.name, readShape(f.type)]));
  const expected = JSON.stringify(FIELDS[version].map(([name, type]) => [name, readShape(type)]));
  if (actual !== expected) {
    throw new Error(
      `schemas/run-completed.v${version}.avsc no longer has the fields and types facts.ts reads`,
    );
  }
}

/** A ByteSpan the reader refills in place. */
interface Span {
  bytes: Buffer;
  start: number;
  end: number;
}

const emptySpan = (): Span => ({ bytes: Buffer.alloc(0), start: 0, end: 0 });

/** Where the reader is in a message. One per reader, its fields read and written by the helpers below. */
class Cursor {
  bytes: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  /** Set when the clean case does not hold; the message then takes the reference path. */
  unclean = false;
}

/** A zigzag varint of at most 8 bytes (every long within ±2^52 fits in 8). */
function readLong(c: Cursor): number {
  const { bytes, end } = c;
  let pos = c.pos;
  if (pos < end) {
    const first = bytes[pos++] as number;
    // Lengths, indexes and scores take one byte: integer arithmetic only.
    if (first < 0x80) {
      c.pos = pos;
      return (first >>> 1) ^ -(first & 1);
    }
    let n = first & 0x7f;
    let scale = 128;
    for (let i = 1; i < 8 && pos < end; i++) {
      const b = bytes[pos++] as number;
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        c.pos = pos;
        const value = first & 1 ? -(n + 1) / 2 : n / 2;
        if (value > -LONG_LIMIT && value < LONG_LIMIT) return value;
        break;
      }
      scale *= 128;
    }
  }
  c.unclean = true;
  return 0;
}

function readDouble(c: Cursor): number {
  if (c.pos + 8 > c.end) {
    c.unclean = true;
    return 0;
  }
  const value = c.bytes.readDoubleLE(c.pos);
  c.pos += 8;
  return value;
}

/** A string's length, and the cursor past it; -1 (and unclean) when it does not fit in `max` bytes. */
function stringLength(c: Cursor, max: number): number {
  const length = readLong(c);
  if (c.unclean || length < 0 || length > max || c.pos + length > c.end) {
    c.unclean = true;
    return -1;
  }
  c.pos += length;
  return length;
}

/** A runId of 1 to MAX_RUN_ID_LENGTH bytes, all below 0x80: where it lies, into `span`. */
function readAsciiRunId(c: Cursor, span: Span): void {
  const length = stringLength(c, MAX_RUN_ID_LENGTH);
  if (length < 1) {
    c.unclean = true;
    return;
  }
  const { bytes, pos } = c;
  let high = 0;
  for (let i = pos - length; i < pos; i++) high |= bytes[i] as number;
  if (high >= 0x80) c.unclean = true;
  span.start = pos - length;
  span.end = pos;
}

/** A string that recurs (a test name): read once, then found by its bytes. */
function readName(c: Cursor, names: Names): Name | null {
  const length = stringLength(c, MAX_MESSAGE_BYTES);
  if (length < 0) return null;
  return names.get(c.bytes, c.pos - length, length);
}

/** A name (of a test, namespace or cluster) as the table keeps it: made once per name, never per event. */
interface Name {
  /** The bytes it arrived as, which find it. */
  readonly bytes: Buffer;
  readonly value: string;
  /** value's UTF-8: `bytes` themselves, unless they are ill-formed UTF-8 (decoded lossily). */
  readonly utf8: Buffer;
}

/**
 * Test names by their UTF-8 bytes. Every run of a test carries its name: handing back the
 * string made the first time spares making a string per event, and the Map the core keeps
 * tests in then looks up a string whose hash it already has. Bounded: past MAX_NAMES names
 * (only hostile input gets there) it starts over.
 */
class Names {
  static readonly MAX_NAMES = 1 << 16;
  #slots = new Int32Array(Names.MAX_NAMES * 2);
  #names: Name[] = [];

  get(bytes: Buffer, start: number, length: number): Name {
    let h = FNV_OFFSET;
    for (let i = start; i < start + length; i++) h = Math.imul(h ^ (bytes[i] as number), FNV_PRIME);
    h = mix32(h);
    const mask = this.#slots.length - 1;
    let s = h & mask;
    for (let slot = this.#slots[s] as number; slot !== 0; slot = this.#slots[s] as number) {
      const known = this.#names[slot - 1] as Name;
      if (known.bytes.length === length && Names.#equal(known.bytes, bytes, start)) return known;
      s = (s + 1) & mask;
    }
    if (this.#names.length === Names.MAX_NAMES) {
      this.#slots.fill(0);
      this.#names = [];
      return this.get(bytes, start, length);
    }
    const own = Buffer.from(bytes.subarray(start, start + length));
    const value = own.toString("utf8");
    const utf8 = Buffer.from(value, "utf8");
    const name = { bytes: own, value, utf8: utf8.equals(own) ? own : utf8 };
    this.#names.push(name);
    this.#slots[s] = this.#names.length;
    return name;
  }

  static #equal(known: Buffer, bytes: Buffer, start: number): boolean {
    for (let i = 0; i < known.length; i++) if (known[i] !== bytes[start + i]) return false;
    return true;
  }
}

function skipString(c: Cursor): void {
  stringLength(c, MAX_NAME_LENGTH);
}

/** An Avro boolean: the byte 0 or 1; anything else is not clean. */
function readBoolean(c: Cursor): boolean {
  if (c.pos >= c.end) {
    c.unclean = true;
    return true;
  }
  const b = c.bytes[c.pos++] as number;
  if (b > 1) c.unclean = true;
  return b === 1;
}

/** 0 for null, 1 for the value; anything else is not clean. */
function readBranch(c: Cursor): boolean {
  const index = readLong(c);
  if (index === 1) return true;
  if (index !== 0) c.unclean = true;
  return false;
}

/**
 * The reader's one facts object, refilled by every clean read: replay makes no object, and no
 * runId string, per event.
 */
class InPlaceFacts implements RunFacts {
  readonly kind = "run";
  readonly runId: Span = emptySpan();
  test = "";
  testUtf8: Uint8Array = Buffer.alloc(0);
  namespace = "";
  cluster = "";
  result: Result = "pass";
  score = 0;
  startedAt = 0;
  completedAt = 0;
  startedAtKnown = true;
  rtoSeconds: number | null = null;
  backupCreatedAt: number | null = null;
  rtoTargetSeconds: number | null = null;
}

const isTimestamp = (ms: number) => ms >= 0 && ms <= MAX_TIMESTAMP_MS;
const isSeconds = (s: number | null) => s === null || (s >= 0 && s <= MAX_SECONDS);

/**
 * Whether validateRun() passes what the clean read left unchecked (the reader has bounded the
 * runId and the unkept strings, and read only integer longs). A predicate, not a second
 * validation: when it says no, the reference path finds the fault and its reason.
 */
function keptFieldsValid(f: InPlaceFacts): boolean {
  return (
    f.test.length > 0 &&
    f.test.length <= MAX_NAME_LENGTH &&
    f.namespace.length <= MAX_NAME_LENGTH &&
    f.cluster.length <= MAX_NAME_LENGTH &&
    f.score >= 0 &&
    f.score <= 100 &&
    isTimestamp(f.startedAt) &&
    isTimestamp(f.completedAt) &&
    f.completedAt >= f.startedAt &&
    isSeconds(f.rtoSeconds) &&
    isSeconds(f.rtoTargetSeconds) &&
    (f.backupCreatedAt === null || isTimestamp(f.backupCreatedAt))
  );
}

/** The facts of a decoded, validated run: the reference path's (and the tests') way in. */
export function factsOf(run: RunCompleted): RunFacts {
  const runId = Buffer.from(run.runId, "utf8");
  return {
    kind: "run",
    runId: { bytes: runId, start: 0, end: runId.length },
    test: run.test,
    testUtf8: Buffer.from(run.test, "utf8"),
    namespace: run.namespace,
    cluster: run.cluster ?? "",
    result: run.result,
    score: run.score,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
    startedAtKnown: run.startedAtKnown !== false,
    rtoSeconds: run.rtoSeconds,
    backupCreatedAt: run.backupCreatedAt,
    rtoTargetSeconds: run.rtoTargetSeconds,
  };
}

/** The facts of a decoded, validated retirement. */
export function retirementFactsOf(retirement: TestRetired): RetirementFacts {
  return {
    kind: "retired",
    test: retirement.test,
    testUtf8: Buffer.from(retirement.test, "utf8"),
    namespace: retirement.namespace,
    cluster: retirement.cluster ?? "",
    retiredAt: retirement.retiredAt,
  };
}

/**
 * The body of a message whose writer is already known (a registry id that names one of our
 * schemas): the datum at bytes[bodyStart .. stop); null when it is not the clean case.
 */
export type BodyReader = (
  bytes: Buffer,
  bodyStart: number,
  stop: number,
  version: SchemaVersion,
) => EventFacts | null;

export interface FactsReaders {
  /** Single-object messages: the clean case here, the rest through the reference path. */
  read: FactsReader;
  /** A known writer's body, clean case only. */
  body: BodyReader;
  /** The reference path alone (avsc and validation), for single-object messages. */
  reference: FactsReader;
}

export function createFactsReader(codec: Codec): FactsReader {
  return createFactsReaders(codec).read;
}

export function createFactsReaders(codec: Codec): FactsReaders {
  for (const version of SCHEMA_VERSIONS) checkLayout(version);
  const names = new Names();
  // Namespaces and clusters recur as test names do: the same string back, none made per event.
  const namespaces = new Names();
  const clusters = new Names();
  // What the reader's version does not know reads as its default, as Avro resolution has it.
  const keepCluster = codec.readerVersion >= 2;
  const keepStart = codec.readerVersion >= 3;
  const facts = new InPlaceFacts();
  const cursor = new Cursor();

  /** Fills `facts` from a clean message; false when it is not one. */
  function clean(bytes: Buffer, start: number, stop: number): boolean {
    if (stop - start > MAX_MESSAGE_BYTES || stop - start < HEADER_BYTES) return false;
    const version = codec.writerAt(bytes, start);
    if (version === 0) return false;
    return cleanBody(bytes, start + HEADER_BYTES, stop, version);
  }

  /** Fills `facts` from the datum at bytes[bodyStart .. stop) written with `version`; false when not clean. */
  function cleanBody(bytes: Buffer, bodyStart: number, stop: number, version: SchemaVersion): boolean {
    const c = cursor;
    c.bytes = bytes;
    c.pos = bodyStart;
    c.end = stop;
    c.unclean = false;
    facts.runId.bytes = bytes;
    readAsciiRunId(c, facts.runId);
    const name = readName(c, names);
    const namespace = readName(c, namespaces);
    const result = RESULTS[readLong(c)];
    const score = readLong(c);
    const startedAt = readLong(c);
    const completedAt = readLong(c);
    const rtoSeconds = readBranch(c) ? readDouble(c) : null;
    if (readBranch(c)) skipString(c);
    const backupCreatedAt = readBranch(c) ? readLong(c) : null;
    const rtoTargetSeconds = readBranch(c) ? readDouble(c) : null;
    const cluster = version >= 2 && readBranch(c) ? readName(c, clusters) : null;
    const startedAtKnown = version >= 3 ? readBoolean(c) : true;
    if (
      c.unclean ||
      name === null ||
      namespace === null ||
      c.pos !== stop ||
      result === undefined ||
      (score | 0) !== score
    )
      return false;
    facts.test = name.value;
    facts.testUtf8 = name.utf8;
    facts.namespace = namespace.value;
    facts.cluster = cluster !== null && keepCluster ? cluster.value : "";
    facts.result = result;
    facts.score = score;
    facts.startedAt = startedAt;
    facts.completedAt = completedAt;
    facts.startedAtKnown = startedAtKnown || !keepStart;
    facts.rtoSeconds = rtoSeconds;
    facts.backupCreatedAt = backupCreatedAt;
    facts.rtoTargetSeconds = rtoTargetSeconds;
    return keptFieldsValid(facts);
  }

  const reference: FactsReader = (bytes, start, stop) => {
    const event = codec.decodeEvent(bytes.subarray(start, stop));
    if (event.kind === "retired") {
      validateRetirement(event.retirement);
      return retirementFactsOf(event.retirement);
    }
    validateRun(event.run);
    return factsOf(event.run);
  };
  return {
    read: (bytes, start, stop) => (clean(bytes, start, stop) ? facts : reference(bytes, start, stop)),
    body: (bytes, bodyStart, stop, version) =>
      stop - bodyStart <= MAX_MESSAGE_BYTES && cleanBody(bytes, bodyStart, stop, version) ? facts : null,
    reference,
  };
}
