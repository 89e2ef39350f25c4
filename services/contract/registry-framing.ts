/**
 * The schema-registry wire format (Confluent's: 00, a 4-byte big-endian schema id, the Avro
 * body) beside our single-object one, decided strictly by the first bytes: C3 01 single-object,
 * 00 Confluent; 01 (a 16-byte id) is refused naming the fix, and so is anything else, naming the
 * bytes it starts with. A plain Avro body can begin with 00 too: it is never guessed at.
 *
 * The writer schemas behind the ids are fetched by the main thread (services/registry) and
 * handed in through learn(); a schema that is one of ours reads through the same in-place facts
 * reader as single-object messages (only the header differs), one that merely resolves against
 * RunCompleted or TestRetired through an avsc resolver made once per id.
 */
import avro from "avsc";
import { type Codec, MAX_MESSAGE_BYTES } from "./codec.ts";
import { CodecError } from "./errors.ts";
import {
  type EventFacts,
  type RunCompleted,
  SCHEMA_VERSIONS,
  type SchemaVersion,
  type TestRetired,
} from "./event.ts";
import { createFactsReaders, type FactsReader } from "./facts.ts";
import { fingerprint } from "./fingerprint.ts";
import { loadRetirementSchema, loadSchema } from "./schemas.ts";

export const CONFLUENT_HEADER_BYTES = 5;

/** The schema id of a Confluent-framed message at bytes[start ..], or -1 when it is not one. */
export function confluentId(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < CONFLUENT_HEADER_BYTES || bytes[start] !== 0) return -1;
  return (
    (bytes[start + 1] as number) * 0x1000000 +
    (((bytes[start + 2] as number) << 16) |
      ((bytes[start + 3] as number) << 8) |
      (bytes[start + 4] as number))
  );
}

/** An Avro body framed for the registry: 00, the id, the body. */
export function confluentFrame(id: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(CONFLUENT_HEADER_BYTES + body.length);
  out[0] = 0;
  out.writeUInt32BE(id, 1);
  out.set(body, CONFLUENT_HEADER_BYTES);
  return out;
}

/** What a message's headers say about a framing we do not read (ids carried in headers). */
export type FramingHint = "value_schema_id_header" | "apicurio_headers";

/** The hint from a message's header names, or null. Only asked for messages that are not C3 01 or 00. */
export function framingHint(headerNames: Iterable<string>): FramingHint | null {
  for (const name of headerNames) {
    if (name === "__value_schema_id") return "value_schema_id_header";
    if (name.startsWith("apicurio.value.")) return "apicurio_headers";
  }
  return null;
}

export const HINT_DETAIL: Record<FramingHint, string> = {
  value_schema_id_header:
    "the schema id is in the __value_schema_id header, not in the value: configure the serializer to write the id in the value (Confluent framing: 00 + 4-byte id)",
  apicurio_headers:
    "the schema id is in apicurio.value.* headers, not in the value: set the Apicurio serializer's apicurio.registry.headers.enabled=false (its 00 + 4-byte id framing) or publish single-object",
};

/** The registry's answer for an id: the schema's JSON text, or null for "no such id" (404). */
export interface RegistrySchema {
  id: number;
  schema: string | null;
  /** The registry's schemaType when not Avro (PROTOBUF, JSON). */
  schemaType?: string;
  /**
   * The schemas it references (named types registered on their own, as Apicurio's serde does
   * with an enum), dependencies first, fetched by the client.
   */
  references?: string[];
  /** Why the registry could not give the whole schema (a reference it does not serve, a 4xx). */
  problem?: string;
}

type Writer =
  | { kind: "ours"; version: SchemaVersion | 0; header: Buffer }
  | { kind: "resolved"; retired: boolean; type: avro.Type; resolver: avro.Resolver }
  | { kind: "refused"; reason: "unknown_schema_id" | "incompatible_schema"; detail: string };

export interface RegistryReader {
  /** Reads C3 01 and 00-framed messages alike; throws CodecError like the facts reader. */
  read: FactsReader;
  /** The writer schema behind an id (or its absence), before the first message that carries it. */
  learn(entry: RegistrySchema): void;
}

const errorOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Which of our writers `schemaText` is or resolves to; refused with the id otherwise. */
function writerOf(
  codec: Codec,
  { id, schema, schemaType, references = [], problem }: RegistrySchema,
): Writer {
  if (problem !== undefined)
    return { kind: "refused", reason: "incompatible_schema", detail: `schema id ${id}: ${problem}` };
  if (schema === null)
    return { kind: "refused", reason: "unknown_schema_id", detail: `schema id ${id} is not in the registry` };
  if (schemaType !== undefined && schemaType !== "AVRO") {
    return {
      kind: "refused",
      reason: "incompatible_schema",
      detail: `schema id ${id} is a ${schemaType} schema, not Avro`,
    };
  }
  let parsed: unknown;
  let type: avro.Type;
  try {
    // Referenced named types first, into one registry; the fingerprint is the expanded schema's.
    const registry = {};
    for (const ref of references) avro.Type.forSchema(JSON.parse(ref) as avro.Schema, { registry });
    type = avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { registry });
    parsed = type.schema();
  } catch (err) {
    return {
      kind: "refused",
      reason: "incompatible_schema",
      detail: `schema id ${id} is not a valid Avro schema: ${errorOf(err)}`,
    };
  }
  const print = fingerprint(parsed).toString("hex");
  for (const version of SCHEMA_VERSIONS) {
    if (codec.fingerprintHex(version) === print)
      return { kind: "ours", version, header: singleObjectHeader(loadSchema(version)) };
  }
  if (codec.retirementFingerprintHex === print)
    return { kind: "ours", version: 0, header: singleObjectHeader(loadRetirementSchema()) };
  const problems: string[] = [];
  for (const [retired, reader] of readers(codec)) {
    try {
      return { kind: "resolved", retired, type: reader, resolver: reader.createResolver(type) };
    } catch (err) {
      problems.push(errorOf(err));
    }
  }
  return {
    kind: "refused",
    reason: "incompatible_schema",
    detail: `schema id ${id} resolves against neither RunCompleted nor TestRetired (${problems.join("; ")})`,
  };
}

const singleObjectHeader = (schema: unknown) =>
  Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprint(schema)]);

let readerTypes: [boolean, avro.Type][] | undefined;
function readers(codec: Codec): [boolean, avro.Type][] {
  readerTypes ??= [
    [false, avro.Type.forSchema(loadSchema(codec.readerVersion) as avro.Schema)],
    [true, avro.Type.forSchema(loadRetirementSchema() as avro.Schema)],
  ];
  return readerTypes;
}

function refuse(bytes: Buffer, start: number, end: number): never {
  if (bytes[start] === 0x01) {
    throw new CodecError(
      "unsupported_framing",
      "message starts with 01 (a 16-byte schema GUID, the newer Confluent framing), which is not read: configure the serializer for the 4-byte id (00 + id) or publish single-object",
    );
  }
  if (end - start < CONFLUENT_HEADER_BYTES && bytes[start] === 0) {
    throw new CodecError(
      "truncated",
      `Confluent-framed message of ${end - start} bytes is shorter than its 5-byte header`,
    );
  }
  throw new Error("unreachable");
}

export function createRegistryReader(codec: Codec, options: { configured: boolean }): RegistryReader {
  const facts = createFactsReaders(codec);
  const writers = new Map<number, Writer>();

  /** The rare paths (an unclean body, a resolved writer) through the single-object reference path. */
  function slow(writer: Writer, body: Buffer): EventFacts {
    if (writer.kind === "ours")
      return facts.reference(Buffer.concat([writer.header, body]), 0, writer.header.length + body.length);
    if (writer.kind === "refused") throw new CodecError(writer.reason, writer.detail);
    let decoded: { value: unknown; offset: number };
    try {
      decoded = writer.type.decode(body, 0, writer.resolver);
    } catch (err) {
      throw new CodecError("undecodable", `Avro datum cannot be decoded: ${errorOf(err)}`);
    }
    if (decoded.offset !== body.length)
      throw new CodecError(
        decoded.offset < 0 ? "truncated" : "trailing_bytes",
        "Avro datum does not end at the message's end",
      );
    // Written again as ours, then read by the reference path: one place decides what is valid.
    const again = writer.retired
      ? codec.encodeRetirement({ ...(decoded.value as TestRetired) })
      : codec.encode({ ...(decoded.value as RunCompleted) });
    return facts.reference(again, 0, again.length);
  }

  function confluent(bytes: Buffer, start: number, end: number): EventFacts {
    if (!options.configured) {
      throw new CodecError(
        "registry_not_configured",
        "Confluent-framed message (00 + schema id) but no schema registry is configured (KYMAROS_SCHEMA_REGISTRY_URL)",
      );
    }
    if (end - start > MAX_MESSAGE_BYTES) return facts.read(bytes, start, end);
    const id = confluentId(bytes, start, end);
    const writer = writers.get(id);
    if (writer === undefined) throw new CodecError("unknown_schema_id", `schema id ${id} was not resolved`);
    const bodyStart = start + CONFLUENT_HEADER_BYTES;
    if (writer.kind === "ours" && writer.version !== 0) {
      const clean = facts.body(bytes, bodyStart, end, writer.version);
      if (clean !== null) return clean;
    }
    return slow(writer, bytes.subarray(bodyStart, end));
  }

  return {
    read(bytes, start, end) {
      const first = bytes[start];
      if (first === 0 && end - start >= CONFLUENT_HEADER_BYTES) return confluent(bytes, start, end);
      if (first === 0xc3 || end - start > MAX_MESSAGE_BYTES || (first !== 0 && first !== 1))
        return facts.read(bytes, start, end);
      return refuse(bytes, start, end);
    },
    learn(entry) {
      writers.set(entry.id, writerOf(codec, entry));
    },
  };
}
