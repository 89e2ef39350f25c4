/**
 * Avro single-object encoding of the topic's events (RunCompleted, TestRetired): C3 01, the
 * writer schema's 8-byte CRC-64-AVRO fingerprint (little-endian), then the Avro binary datum.
 * The only module that knows the wire.
 */
import avro from "avsc";
import { CodecError } from "./errors.ts";
import {
  type DecodedEvent,
  LATEST_SCHEMA_VERSION,
  type RunCompleted,
  SCHEMA_VERSIONS,
  type SchemaVersion,
  type TestRetired,
  writerVersionFor,
} from "./event.ts";
import { fingerprint } from "./fingerprint.ts";
import { loadRetirementSchema, loadSchema } from "./schemas.ts";

export const MAGIC = Buffer.from([0xc3, 0x01]);
export const HEADER_BYTES = 10;
/** Far above any real event (a few hundred bytes); larger messages are refused before parsing. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/**
 * avsc does zigzag varint arithmetic on doubles: a long below -2^52 is written as a different (positive)
 * number, and Java's correct bytes for it decode with the sign flipped. Longs are therefore carried only
 * in (-2^52, 2^52), which is thousands of times wider than any valid timestamp.
 */
export const LONG_LIMIT = 2 ** 52;
const LONG_FIELDS = ["startedAt", "completedAt", "backupCreatedAt"] as const;

function exactLong(value: number | null): boolean {
  return value === null || (value > -LONG_LIMIT && value < LONG_LIMIT);
}

interface Writer {
  version: SchemaVersion;
  type: avro.Type;
  header: Buffer;
}

interface Reading {
  writer: Writer;
  resolver: avro.Resolver | undefined;
}

export interface Codec {
  readonly readerVersion: SchemaVersion;
  /**
   * Writes the run with `writerVersion`, by default the lowest that carries it (writerVersionFor);
   * refuses a version that would drop a field the run sets, naming it (CodecError.field).
   */
  encode(run: RunCompleted, writerVersion?: SchemaVersion): Buffer;
  /**
   * Decodes a RunCompleted of any known writer into the reader's shape; throws CodecError
   * (a TestRetired too: callers that take both use decodeEvent).
   */
  decode(message: Uint8Array): RunCompleted;
  encodeRetirement(retirement: TestRetired): Buffer;
  /** Decodes either event; throws CodecError. */
  decodeEvent(message: Uint8Array): DecodedEvent;
  /**
   * The writer of the message at bytes[start ..] by its header (magic and fingerprint), or 0
   * when the header is not one of ours. Byte by byte, so that no number or string is made.
   */
  writerAt(bytes: Uint8Array, start: number): SchemaVersion | 0;
  /** The fingerprint of a schema version, as hex (for logs and vectors). */
  fingerprintHex(version: SchemaVersion): string;
  /** The fingerprint of TestRetired, as hex. */
  readonly retirementFingerprintHex: string;
}

function makeWriter(version: SchemaVersion): Writer {
  const schema = loadSchema(version);
  const type = avro.Type.forSchema(schema as avro.Schema);
  return { version, type, header: Buffer.concat([MAGIC, fingerprint(schema)]) };
}

const sameHeader = (bytes: Uint8Array, header: Buffer) => {
  for (let i = 0; i < HEADER_BYTES; i++) if (bytes[i] !== header[i]) return false;
  return true;
};

/** Refuses what no event can be (oversize, short, not single-object); the message as a Buffer. */
function framed(message: Uint8Array): Buffer {
  if (message.length > MAX_MESSAGE_BYTES) {
    throw new CodecError("too_large", `message of ${message.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  }
  if (message.length < HEADER_BYTES) {
    // Whatever bytes there are must already be the magic: a lone 0x00 is not "truncated".
    if ((message.length >= 1 && message[0] !== 0xc3) || (message.length >= 2 && message[1] !== 0x01)) {
      const seen = Buffer.from(message.subarray(0, 2)).toString("hex").toUpperCase();
      throw new CodecError("bad_magic", `message does not start with C3 01: it starts with ${seen}`);
    }
    throw new CodecError("truncated", `message of ${message.length} bytes is shorter than the header`);
  }
  if (message[0] !== 0xc3 || message[1] !== 0x01) {
    const seen = Buffer.from(message.subarray(0, 2)).toString("hex").toUpperCase();
    throw new CodecError(
      "bad_magic",
      `message does not start with C3 01 (not Avro single-object): it starts with ${seen}`,
    );
  }
  return Buffer.isBuffer(message)
    ? message
    : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
}

/** The datum after the header, read whole with `type` (and `resolver`); throws CodecError. */
function datum(type: avro.Type, buf: Buffer, resolver?: avro.Resolver): unknown {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = type.decode(buf, HEADER_BYTES, resolver);
  } catch (err) {
    throw new CodecError("undecodable", `Avro datum cannot be decoded: ${(err as Error).message}`);
  }
  if (decoded.offset < 0) throw new CodecError("truncated", "Avro datum is truncated");
  if (decoded.offset !== buf.length) {
    throw new CodecError("trailing_bytes", `${buf.length - decoded.offset} bytes after the Avro datum`);
  }
  return decoded.value;
}

/** Refuses what avsc reads where Java reads otherwise or refuses; buf is the whole message. */
function refuseInexact(run: RunCompleted, buf: Buffer, writer: SchemaVersion): void {
  // avsc reads an int as a long and is inexact beyond 2^52.
  if ((run.score | 0) !== run.score) {
    throw new CodecError("undecodable", `score=${run.score} is not a 32-bit Avro int`);
  }
  if (!exactLong(run.startedAt) || !exactLong(run.completedAt) || !exactLong(run.backupCreatedAt)) {
    throw new CodecError("undecodable", "a timestamp is beyond ±2^52 and cannot be decoded exactly");
  }
  // v3's last byte is startedAtKnown: avsc reads any non-zero byte as true, Java all but 1 as false.
  if (writer === 3 && (buf[buf.length - 1] as number) > 1) {
    throw new CodecError("undecodable", "startedAtKnown is a byte other than 0 or 1");
  }
}

/** A TestRetired datum (its header already matched); throws CodecError. */
function decodeRetirement(type: avro.Type, buf: Buffer): TestRetired {
  const r = datum(type, buf) as TestRetired;
  if (!exactLong(r.retiredAt)) {
    throw new CodecError("undecodable", "retiredAt is beyond ±2^52 and cannot be decoded exactly");
  }
  // avsc's records are instances of a generated class: hand back a plain object.
  return {
    test: r.test,
    namespace: r.namespace,
    cluster: r.cluster,
    retiredAt: r.retiredAt,
    reason: r.reason,
  };
}

function unknownWriter(buf: Buffer): CodecError {
  return new CodecError(
    "unknown_fingerprint",
    `unknown writer schema fingerprint ${buf.subarray(2, HEADER_BYTES).toString("hex")}`,
  );
}

function describeInvalid(type: avro.Type, value: unknown): string {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook: (path, v) => problems.push(`${path.join(".") || "(record)"}=${JSON.stringify(v)}`),
  });
  return problems.length > 0
    ? `not allowed by the schema: ${problems.join(", ")}`
    : "not allowed by the schema";
}

export function createCodec(readerVersion: SchemaVersion = LATEST_SCHEMA_VERSION): Codec {
  const writers = new Map<SchemaVersion, Writer>(SCHEMA_VERSIONS.map((v) => [v, makeWriter(v)]));
  const reader = writers.get(readerVersion) as Writer;
  const readings = new Map<SchemaVersion, Reading>();
  for (const writer of writers.values()) {
    const resolver = writer === reader ? undefined : reader.type.createResolver(writer.type);
    readings.set(writer.version, { writer, resolver });
  }
  const headers = [...writers.values()].map((w) => ({ version: w.version, header: w.header }));
  const retirementSchema = loadRetirementSchema();
  const retirement = {
    type: avro.Type.forSchema(retirementSchema as avro.Schema),
    header: Buffer.concat([MAGIC, fingerprint(retirementSchema)]),
  };

  function decodeRun(buf: Buffer): RunCompleted {
    const version = writerAt(buf, 0);
    const reading = version === 0 ? undefined : readings.get(version);
    if (!reading) throw unknownWriter(buf);
    const run = datum(reader.type, buf, reading.resolver) as RunCompleted;
    refuseInexact(run, buf, reading.writer.version);
    if (readerVersion === 1) run.cluster = null;
    // Absent means true: a run reads the same whichever version wrote it.
    if (run.startedAtKnown === true) delete run.startedAtKnown;
    return run;
  }

  function writerAt(bytes: Uint8Array, start: number): SchemaVersion | 0 {
    if (bytes.length - start < HEADER_BYTES) return 0;
    for (const { version, header } of headers) {
      let i = 0;
      while (i < HEADER_BYTES && bytes[start + i] === header[i]) i++;
      if (i === HEADER_BYTES) return version;
    }
    return 0;
  }

  return {
    readerVersion,

    encode(run, writerVersion = writerVersionFor(run)) {
      const writer = writers.get(writerVersion);
      if (!writer) throw new CodecError("unknown_fingerprint", `unknown schema version ${writerVersion}`);
      for (const field of LONG_FIELDS) {
        if (typeof run[field] === "number" && !exactLong(run[field])) {
          throw new CodecError("schema_violation", `${field}=${run[field]} is beyond ±2^52`);
        }
      }
      const value = writable(run, writerVersion);
      if (!writer.type.isValid(value)) {
        throw new CodecError("schema_violation", describeInvalid(writer.type, value));
      }
      return Buffer.concat([writer.header, writer.type.toBuffer(value)]);
    },

    decode(message) {
      const buf = framed(message);
      if (sameHeader(buf, retirement.header)) {
        throw new CodecError(
          "unknown_fingerprint",
          "a TestRetired message where a RunCompleted was expected",
        );
      }
      return decodeRun(buf);
    },

    encodeRetirement(r) {
      if (!exactLong(r.retiredAt)) {
        throw new CodecError("schema_violation", `retiredAt=${r.retiredAt} is beyond ±2^52`);
      }
      if (!retirement.type.isValid(r)) {
        throw new CodecError("schema_violation", describeInvalid(retirement.type, r));
      }
      return Buffer.concat([retirement.header, retirement.type.toBuffer(r)]);
    },

    decodeEvent(message) {
      const buf = framed(message);
      if (!sameHeader(buf, retirement.header)) return { kind: "run", run: decodeRun(buf) };
      return { kind: "retired", retirement: decodeRetirement(retirement.type, buf) };
    },

    writerAt,

    fingerprintHex(version) {
      return (writers.get(version) as Writer).header.subarray(2).toString("hex");
    },

    retirementFingerprintHex: retirement.header.subarray(2).toString("hex"),
  };
}

/** The fields added after version 1, with the version that added each and whether a run needs it. */
const NEWER_FIELDS = [
  { field: "cluster", since: 2, needed: (run: RunCompleted) => run.cluster != null },
  { field: "startedAtKnown", since: 3, needed: (run: RunCompleted) => run.startedAtKnown === false },
] as const;

/** The run as `version`'s schema carries it; throws CodecError when that would drop what the run says. */
function writable(run: RunCompleted, version: SchemaVersion): object {
  if (run.startedAtKnown !== undefined && typeof run.startedAtKnown !== "boolean") {
    throw new CodecError("schema_violation", "startedAtKnown must be a boolean", "startedAtKnown");
  }
  for (const { field, since, needed } of NEWER_FIELDS) {
    if (version < since && needed(run)) {
      throw new CodecError(
        "schema_violation",
        `${field} is set but schema version ${version} has no ${field} field (version ${since} has)`,
        field,
      );
    }
  }
  const { cluster, startedAtKnown, ...v1 } = run;
  if (version === 1) return v1;
  if (version === 2) return { ...v1, cluster };
  return { ...v1, cluster, startedAtKnown: startedAtKnown ?? true };
}
