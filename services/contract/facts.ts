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
import { RESULTS, type Result, type RunFacts, SCHEMA_VERSIONS, type SchemaVersion } from "./event.ts";
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

/** Set when the clean case does not hold; the message then takes the reference path. */
let unclean = false;
let pos = 0;
let end = 0;

/** A zigzag varint of at most 8 bytes (every long within ±2^52 fits in 8). */
function readLong(bytes: Buffer): number {
  if (pos < end) {
    const first = bytes[pos++] as number;
    // Lengths, indexes and scores take one byte: integer arithmetic only.
    if (first < 0x80) return (first >>> 1) ^ -(first & 1);
    let n = first & 0x7f;
    let scale = 128;
    for (let i = 1; i < 8 && pos < end; i++) {
      const b = bytes[pos++] as number;
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        const value = first & 1 ? -(n + 1) / 2 : n / 2;
        if (value > -LONG_LIMIT && value < LONG_LIMIT) return value;
        break;
      }
      scale *= 128;
    }
  }
  unclean = true;
  return 0;
}

function readDouble(bytes: Buffer): number {
  if (pos + 8 > end) {
    unclean = true;
    return 0;
  }
  const value = bytes.readDoubleLE(pos);
  pos += 8;
  return value;
}

/** A runId of 1 to MAX_RUN_ID_LENGTH bytes, all below 0x80: where it lies, into `span`. */
function readAsciiRunId(bytes: Buffer, span: { start: number; end: number }): void {
  const length = readLong(bytes);
  if (unclean || length < 1 || length > MAX_RUN_ID_LENGTH || pos + length > end) {
    unclean = true;
    return;
  }
  let high = 0;
  for (let i = pos; i < pos + length; i++) high |= bytes[i] as number;
  if (high >= 0x80) unclean = true;
  span.start = pos;
  span.end = pos + length;
  pos += length;
}

/** A string that recurs (a test name): read once, then found by its bytes. */
function readName(bytes: Buffer, names: Names): string {
  const length = readLong(bytes);
  if (unclean || length < 0 || pos + length > end) {
    unclean = true;
    return "";
  }
  const value = names.get(bytes, pos, length);
  pos += length;
  return value;
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
  #bytes: Buffer[] = [];
  #strings: string[] = [];

  get(bytes: Buffer, start: number, length: number): string {
    let h = FNV_OFFSET;
    for (let i = start; i < start + length; i++) h = Math.imul(h ^ (bytes[i] as number), FNV_PRIME);
    h = mix32(h);
    const mask = this.#slots.length - 1;
    let s = h & mask;
    for (let slot = this.#slots[s] as number; slot !== 0; slot = this.#slots[s] as number) {
      const known = this.#bytes[slot - 1] as Buffer;
      if (known.length === length && Names.#equal(known, bytes, start))
        return this.#strings[slot - 1] as string;
      s = (s + 1) & mask;
    }
    if (this.#strings.length === Names.MAX_NAMES) {
      this.#slots.fill(0);
      this.#bytes = [];
      this.#strings = [];
      return this.get(bytes, start, length);
    }
    const value = bytes.toString("utf8", start, start + length);
    this.#bytes.push(Buffer.from(bytes.subarray(start, start + length)));
    this.#strings.push(value);
    this.#slots[s] = this.#strings.length;
    return value;
  }

  static #equal(known: Buffer, bytes: Buffer, start: number): boolean {
    for (let i = 0; i < known.length; i++) if (known[i] !== bytes[start + i]) return false;
    return true;
  }
}

function skipString(bytes: Buffer): void {
  const length = readLong(bytes);
  if (unclean || length < 0 || length > MAX_NAME_LENGTH || pos + length > end) unclean = true;
  else pos += length;
}

/** 0 for null, 1 for the value; anything else is not clean. */
function readBranch(bytes: Buffer): boolean {
  const index = readLong(bytes);
  if (index === 1) return true;
  if (index !== 0) unclean = true;
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
  readonly runIdAscii: { bytes: Buffer; start: number; end: number } = {
    bytes: Buffer.alloc(0),
    start: 0,
    end: 0,
  };

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

  /** Fills `facts` from a clean message; false when it is not one. */
  function clean(bytes: Buffer, start: number, stop: number): boolean {
    if (stop - start > MAX_MESSAGE_BYTES || stop - start < HEADER_BYTES) return false;
    const version = codec.writerAt(bytes, start);
    if (version === 0) return false;

    unclean = false;
    pos = start + HEADER_BYTES;
    end = stop;
    const span = facts.runIdAscii;
    span.bytes = bytes;
    readAsciiRunId(bytes, span);
    const test = readName(bytes, names);
    skipString(bytes);
    const result = RESULTS[readLong(bytes)];
    const score = readLong(bytes);
    const startedAt = readLong(bytes);
    const completedAt = readLong(bytes);
    const rtoSeconds = readBranch(bytes) ? readDouble(bytes) : null;
    if (readBranch(bytes)) skipString(bytes);
    const backupCreatedAt = readBranch(bytes) ? readLong(bytes) : null;
    const rtoTargetSeconds = readBranch(bytes) ? readDouble(bytes) : null;
    if (version === 2 && readBranch(bytes)) skipString(bytes);
    if (unclean || pos !== stop || result === undefined || (score | 0) !== score) return false;
    facts.test = test;
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
