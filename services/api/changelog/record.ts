/**
 * The state changelog's records, as schemas/state-record.v1.avsc writes them: the key (JSON text
 * of an array, so that compaction keeps one record per identity, chunk and checkpoint) and the
 * value (Avro single-object encoding, as the events are). The only module that knows the layout.
 */
import avro from "avsc";
import type { Result } from "../../contract/event.ts";
import { fingerprint } from "../../contract/fingerprint.ts";
import { loadStateRecordSchema } from "../../contract/schemas.ts";

/** Runs per chunk: 256 runs of the longest runId (512 UTF-16 units, at most 1536 bytes of UTF-8) stay under 400 KB. */
export const CHUNK_RUNS = 256;
/** The broker's default message.max.bytes is 1 MB: no record comes near it. */
export const MAX_RECORD_BYTES = 1_000_000;

export interface IdentityKey {
  test: string;
  namespace: string;
  cluster: string;
}

export interface LatestRecord {
  completedAt: number;
  /** Position of the run among the identity's runs. */
  run: number;
  value: number;
}

export interface TestStateRecord extends IdentityKey {
  retiredAt: number | null;
  hasRuns: boolean;
  runCount: number;
  pass: number;
  fail: number;
  partial: number;
  buckets: number[];
  durationSumMs: number;
  lifeRuns: number;
  earliest: number | null;
  score: LatestRecord | null;
  rtoSeconds: LatestRecord | null;
  backupAgeMs: LatestRecord | null;
}

export interface RunRecord {
  prefixed: boolean;
  runId: string;
  completedAt: number;
  durationMs: number;
  result: Result;
  bucket: number;
}

export interface RunChunkRecord extends IdentityKey {
  chunk: number;
  runs: RunRecord[];
}

export type StateBody =
  | { kind: "checkpoint" }
  | ({ kind: "test" } & TestStateRecord)
  | ({ kind: "runs" } & RunChunkRecord);

export interface StateRecord {
  sourcePartition: number;
  appliedThrough: number;
  body: StateBody;
}

/** A changelog record as Kafka carries it. */
export interface RawRecord {
  key: Buffer;
  value: Buffer;
}

/** A changelog record that cannot be read: the start stops and names it (or rebuilds). */
export class ChangelogError extends Error {
  override readonly name = "ChangelogError";
}

const NS = "io.kymaros.state.";
const BRANCH = { checkpoint: `${NS}Checkpoint`, test: `${NS}TestState`, runs: `${NS}RunChunk` } as const;
const MAGIC = Buffer.from([0xc3, 0x01]);

const schema = loadStateRecordSchema(1);
const type = avro.Type.forSchema(schema as avro.Schema);
export const STATE_FINGERPRINT = fingerprint(schema);
const HEADER = Buffer.concat([MAGIC, STATE_FINGERPRINT]);

export function keyOf(partition: number, body: StateBody): Buffer {
  const parts: (string | number)[] =
    body.kind === "checkpoint"
      ? ["checkpoint", partition]
      : [body.kind, partition, body.test, body.namespace, body.cluster];
  if (body.kind === "runs") parts.push(body.chunk);
  return Buffer.from(JSON.stringify(parts), "utf8");
}

export function encodeRecord(record: StateRecord): RawRecord {
  const { kind, ...fields } = record.body;
  const datum = {
    sourcePartition: record.sourcePartition,
    appliedThrough: record.appliedThrough,
    body: { [BRANCH[kind]]: fields },
  };
  const value = Buffer.concat([HEADER, type.toBuffer(datum)]);
  if (value.length > MAX_RECORD_BYTES) {
    throw new ChangelogError(`state record of ${value.length} bytes exceeds ${MAX_RECORD_BYTES}`);
  }
  return { key: keyOf(record.sourcePartition, record.body), value };
}

interface Datum {
  sourcePartition: number;
  appliedThrough: number;
  body: Record<string, Record<string, unknown>>;
}

function bodyOf(wrapped: Record<string, Record<string, unknown>>): StateBody {
  const [branch, fields] = Object.entries(wrapped)[0] as [string, Record<string, unknown>];
  if (branch === BRANCH.checkpoint) return { kind: "checkpoint" };
  // avsc's record instances as they are: a copy per run would cost a restore more than decoding.
  if (branch === BRANCH.test) return { kind: "test", ...(fields as unknown as TestStateRecord) };
  return { kind: "runs", ...(fields as unknown as RunChunkRecord) };
}

/** A zigzag varint (Avro int or long) at `at`: its value and where the next field begins. */
function varint(bytes: Buffer, at: number): [number, number] {
  let n = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const b = bytes[i] as number;
    n += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [n % 2 === 0 ? n / 2 : -(n + 1) / 2, i + 1];
  }
  throw new ChangelogError("undecodable state record: a truncated number");
}

/**
 * A record's appliedThrough, read from its first bytes without decoding the rest: a restore
 * decodes only the newest record of each key, not every version the log still holds.
 */
export function appliedThroughOf(value: Buffer | null): number {
  if (value === null || value.length < HEADER.length || !value.subarray(0, HEADER.length).equals(HEADER)) {
    return decodeRecord(value).appliedThrough; // throws what is wrong
  }
  const [, next] = varint(value, HEADER.length);
  return varint(value, next)[0];
}

/** The record in `value`; a ChangelogError that says why when it is not one this version reads. */
export function decodeRecord(value: Buffer | null): StateRecord {
  if (value === null) throw new ChangelogError("a tombstone (this version writes none)");
  if (value.length < HEADER.length || !value.subarray(0, 2).equals(MAGIC)) {
    throw new ChangelogError("not an Avro single-object record (bad magic)");
  }
  const fp = value.subarray(2, HEADER.length);
  if (!fp.equals(STATE_FINGERPRINT)) {
    throw new ChangelogError(`unknown state schema fingerprint ${fp.toString("hex")} (a newer version?)`);
  }
  let datum: Datum;
  try {
    datum = type.fromBuffer(value.subarray(HEADER.length)) as Datum;
  } catch (err) {
    throw new ChangelogError(`undecodable state record: ${(err as Error).message}`);
  }
  return {
    sourcePartition: datum.sourcePartition,
    appliedThrough: datum.appliedThrough,
    body: bodyOf(datum.body),
  };
}
