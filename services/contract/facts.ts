/**
 * The service's hot path: a message's facts (RunFacts), read straight from the bytes it arrived
 * in, with the verdict of decode() + validateRun() and at a fraction of their cost.
 *
 * The reader below takes only the clean case: a known writer, an ASCII runId within its limit,
 * every union index 0 or 1, every long within ±2^52, every unkept string at most
 * MAX_NAME_LENGTH bytes (so within its limit in characters too), and the datum ending exactly
 * at the message's end. Whatever else it meets, and every event that fails validation, goes
 * through avsc and validateRun() instead, so that every refusal, and its reason, comes from the
 * reference path. Refusals are rare; the cost of taking that path for them does not show.
 */
import { type Codec, HEADER_BYTES, LONG_LIMIT, MAX_MESSAGE_BYTES } from "./codec.ts";
import { ValidationError } from "./errors.ts";
import {
  type ByteSpan,
  RESULTS,
  type Result,
  type RunFacts,
  SCHEMA_VERSIONS,
  type SchemaVersion,
} from "./event.ts";
import { FNV_OFFSET, FNV_PRIME, mix32 } from "./hash.ts";
import { loadSchema } from "./schemas.ts";
import { MAX_NAME_LENGTH, MAX_RUN_ID_LENGTH, validateFactsAfterRunId, validateRun } from "./validate.ts";

/**
 * Reads one message, bytes[start .. end); throws CodecError or ValidationError like the
 * reference. The facts may be one object the reader refills on every read: use them before the
 * next read, and copy what must outlive it.
 */
export type FactsReader = (bytes: Buffer, start: number, end: number) => RunFacts;

/** The writers' fields, in order, as this reader walks them (checked against schemas/ at start). */
const FIELDS_V1 = [
  "runId",
  "test",
  "namespace",
  "result",
  "score",
  "startedAt",
  "completedAt",
  "rtoSeconds",
  "backupName",
  "backupCreatedAt",
  "rtoTargetSeconds",
];
const FIELDS: Record<SchemaVersion, string[]> = { 1: FIELDS_V1, 2: [...FIELDS_V1, "cluster"] };

/** A ByteSpan the reader refills in place. */
interface Span {
  bytes: Buffer;
  start: number;
  end: number;
}

const emptySpan = (): Span => ({ bytes: Buffer.alloc(0), start: 0, end: 0 });

/**
 * Where the reader is in a message. One per reader, its fields read and written by the helpers
 * below: as module-level `let`s, reading a message took 13-16% longer.
 */
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

/** A string that recurs (a test name): read once, then found by its bytes, which go into `span`. */
function readName(c: Cursor, names: Names, span: Span): Name | null {
  const length = stringLength(c, MAX_MESSAGE_BYTES);
  if (length < 0) return null;
  span.start = c.pos - length;
  span.end = c.pos;
  return names.get(c.bytes, span.start, length);
}

/** A test name as the table keeps it: made once per name, never per event. */
interface Name {
  readonly bytes: Buffer;
  readonly value: string;
  /** Whether `bytes` are exactly value's UTF-8: not so for ill-formed UTF-8, decoded lossily. */
  readonly exact: boolean;
}

/**
 * Test names by their UTF-8 bytes. Every run of a test carries its name: handing back the
 * string made the first time spares the string, and the hashing of a new string by the Map
 * the core keeps tests in (which cost more than the rest of apply). Bounded: past MAX_NAMES
 * names (only hostile input gets there) it starts over.
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
    const name = { bytes: own, value, exact: Buffer.from(value, "utf8").equals(own) };
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

/** 0 for null, 1 for the value; anything else is not clean. */
function readBranch(c: Cursor): boolean {
  const index = readLong(c);
  if (index === 1) return true;
  if (index !== 0) c.unclean = true;
  return false;
}

/**
 * The reader's one facts object, refilled by every clean read: replay makes no object, and no
 * runId string, per event. The runId is made from its bytes only when asked for (on a tie).
 */
class InPlaceFacts implements RunFacts {
  test = "";
  result: Result = "pass";
  score = 0;
  startedAt = 0;
  completedAt = 0;
  rtoSeconds: number | null = null;
  backupCreatedAt: number | null = null;
  rtoTargetSeconds: number | null = null;
  readonly runIdAscii: Span = emptySpan();
  /** The test name's bytes, when they are its UTF-8 (null when they are ill-formed). */
  testBytes: ByteSpan | null = null;
  readonly testSpan: Span = emptySpan();

  get runId(): string {
    const { bytes, start, end } = this.runIdAscii;
    return bytes.toString("latin1", start, end);
  }
}

function checkLayout(version: SchemaVersion): void {
  const names = (loadSchema(version) as { fields: { name: string }[] }).fields.map((f) => f.name);
  if (names.join() !== FIELDS[version].join()) {
    throw new Error(`schemas/run-completed.v${version}.avsc no longer has the fields facts.ts reads`);
  }
}

export function createFactsReader(codec: Codec): FactsReader {
  for (const version of SCHEMA_VERSIONS) checkLayout(version);
  const names = new Names();
  const facts = new InPlaceFacts();
  const cursor = new Cursor();

  /** Fills `facts` from a clean message; false when it is not one. */
  function clean(bytes: Buffer, start: number, stop: number): boolean {
    if (stop - start > MAX_MESSAGE_BYTES || stop - start < HEADER_BYTES) return false;
    const version = codec.writerAt(bytes, start);
    if (version === 0) return false;

    const c = cursor;
    c.bytes = bytes;
    c.pos = start + HEADER_BYTES;
    c.end = stop;
    c.unclean = false;
    facts.runIdAscii.bytes = bytes;
    readAsciiRunId(c, facts.runIdAscii);
    const span = facts.testSpan;
    span.bytes = bytes;
    const name = readName(c, names, span);
    skipString(c);
    const result = RESULTS[readLong(c)];
    const score = readLong(c);
    const startedAt = readLong(c);
    const completedAt = readLong(c);
    const rtoSeconds = readBranch(c) ? readDouble(c) : null;
    if (readBranch(c)) skipString(c);
    const backupCreatedAt = readBranch(c) ? readLong(c) : null;
    const rtoTargetSeconds = readBranch(c) ? readDouble(c) : null;
    if (version === 2 && readBranch(c)) skipString(c);
    if (c.unclean || name === null || c.pos !== stop || result === undefined || (score | 0) !== score)
      return false;
    facts.testBytes = name.exact ? span : null;
    facts.test = name.value;
    facts.result = result;
    facts.score = score;
    facts.startedAt = startedAt;
    facts.completedAt = completedAt;
    facts.rtoSeconds = rtoSeconds;
    facts.backupCreatedAt = backupCreatedAt;
    facts.rtoTargetSeconds = rtoTargetSeconds;
    return true;
  }

  return (bytes, start, stop) => {
    if (clean(bytes, start, stop)) {
      try {
        validateFactsAfterRunId(facts);
        return facts;
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
      }
    }
    const run = codec.decode(bytes.subarray(start, stop));
    validateRun(run);
    return run;
  };
}
