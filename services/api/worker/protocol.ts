/**
 * What crosses the thread boundary between the main thread (Kafka, HTTP) and the ingest worker
 * (codec, validation, core state, exposition rendering), and the one place its shapes are
 * written down.
 * A batch travels packed in one transferred buffer: no per-message structured clone.
 */
import { type FramingHint, framingHint, type RegistrySchema } from "../../contract/index.ts";
import type { RejectReason } from "../ingest/index.ts";
import type { ExpositionFormat } from "../metrics/render/domain.ts";
import type { IdentityLabels } from "../metrics/render/identity-labels.ts";
import type { TestsQuery } from "../status/query.ts";
import type { TestsPage } from "../status/tests.ts";

/** What the worker is started with (its workerData). */
export interface WorkerSettings {
  labels: IdentityLabels;
  /** Whether a schema registry is configured (Confluent-framed messages are read). */
  registry?: boolean;
}

/** A message as the Kafka client hands it over: only the bytes the worker reads. */
export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** Looked at only for values that are neither single-object nor Confluent-framed. */
  headers?: Readonly<Record<string, unknown>>;
}

/**
 * The packed layout: keys and values end to end in `data`, and in `index` per message
 * MESSAGE_FIELDS integers at these offsets (a length of -1 for null). No object per message:
 * the worker reads the fields where they lie.
 */
export const KEY_START = 0;
export const KEY_LENGTH = 1;
export const VALUE_START = 2;
export const VALUE_LENGTH = 3;
export const MESSAGE_FIELDS = 4;

export interface PackedBatch {
  data: ArrayBuffer;
  index: Int32Array;
  /** Messages whose headers name a framing we do not read (schema ids in headers), by position. */
  hints?: [number, FramingHint][];
}

/** A refused message, with its own bytes (the batch it came from is gone by then). */
export interface RefusedMessage {
  /** Position of the message in its batch. */
  index: number;
  reason: RejectReason;
  detail: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

/** A batch's outcomes, and how the state's tests stand after it. */
export interface BatchOutcome {
  /** Runs and retirements applied. */
  applied: number;
  /** Of them, retirements that moved a test's retirement time. */
  retired: number;
  duplicate: number;
  refused: RefusedMessage[];
  /** Test identities (name, namespace, cluster) in the state. */
  tests: number;
  retiredTests: number;
  collidingNames: number;
  /** Names that this batch made colliding, each reported once. */
  newCollisions: NameCollision[];
}

/**
 * A test name carried by runs of several identities, and the identity setting that keeps them
 * apart: "namespace" when their namespaces all differ, "cluster" when two share a namespace.
 */
export interface NameCollision {
  test: string;
  apartBy: "namespace" | "cluster";
}

/**
 * The main thread's view of the worker: hands a batch over, resolves with its outcome. Takes
 * what it needs from the messages before it returns: they are not kept.
 */
export type IngestBatch = (messages: readonly RawMessage[], partition: number) => Promise<BatchOutcome>;

/** A partition's changelog restored into the state: where the source goes on from. */
export interface RestoreOutcome {
  checkpoint: number;
  identities: number;
  /** Why the records could not be loaded (the state then holds nothing of the partition). */
  error: string | null;
}

export type ToWorker =
  | ({ type: "batch"; id: number; partition: number } & PackedBatch)
  /** The partition's changelog records, packed as a batch is (key and value). */
  | ({ type: "restore"; id: number; partition: number } & PackedBatch)
  /** The records that bring the partition's changelog up to date, its checkpoint at appliedThrough. */
  | { type: "flush"; id: number; partition: number; appliedThrough: number }
  /** Render this format from now on (the first call makes the domain metrics visible). */
  | { type: "render"; format: ExpositionFormat }
  /** A page of the status page's tests table, from the rows of the last snapshot sent. */
  | { type: "tests"; id: number; query: TestsQuery }

  /** A registry id's writer schema, sent before the first batch that carries the id. */
  | { type: "schema"; entry: RegistrySchema };

export type FromWorker =
  | ({ type: "done"; id: number } & BatchOutcome)
  | { type: "tests"; id: number; page: TestsPage }
  | ({ type: "restored"; id: number } & RestoreOutcome)
  | ({ type: "flushed"; id: number; frozen: boolean } & PackedBatch)
  | {
      type: "snapshot";
      format: ExpositionFormat;
      revision: number;
      gzip: boolean;
      body: ArrayBuffer | SharedArrayBuffer;
    };

/**
 * The batch in the packed layout, in a buffer of its own that can be transferred: keys and
 * values copied one by one, end to end, so that nothing of the fetch buffer travels along.
 */
export function pack(messages: readonly RawMessage[]): PackedBatch {
  let size = 0;
  for (const m of messages) size += (m.key?.length ?? 0) + (m.value?.length ?? 0);
  // Every byte is written below: no zero-filling first. Its own ArrayBuffer, never the pool's.
  const data = Buffer.allocUnsafeSlow(size);
  const index = new Int32Array(messages.length * MESSAGE_FIELDS);
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const { key, value } = messages[i] as RawMessage;
    const fields = i * MESSAGE_FIELDS;
    index[fields + KEY_START] = at;
    index[fields + KEY_LENGTH] = key === null ? -1 : key.length;
    if (key !== null) {
      data.set(key, at);
      at += key.length;
    }
    index[fields + VALUE_START] = at;
    index[fields + VALUE_LENGTH] = value === null ? -1 : value.length;
    if (value !== null) {
      data.set(value, at);
      at += value.length;
    }
  }
  const hints = headerHints(messages);
  return hints === undefined ? { data: data.buffer, index } : { data: data.buffer, index, hints };
}

/** Hints for the messages that are neither C3 01 nor 00 and carry a schema id in their headers. */
function headerHints(messages: readonly RawMessage[]): [number, FramingHint][] | undefined {
  let hints: [number, FramingHint][] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const { value, headers } = messages[i] as RawMessage;
    if (headers === undefined || value === null || value[0] === 0xc3 || value[0] === 0) continue;
    const hint = framingHint(Object.keys(headers));
    if (hint === null) continue;
    hints ??= [];
    hints.push([i, hint]);
  }
  return hints;
}

/** A copy of data[start .. start + length) alone (null for -1): a view would carry the whole batch along. */
function copyBytes(data: Uint8Array, start: number, length: number): Uint8Array | null {
  return length < 0 ? null : new Uint8Array(data.subarray(start, start + length));
}

/** Message `i` of a packed batch, refused: its key and value copied back out of `data`. */
export function refusedMessage(
  data: Uint8Array,
  index: Int32Array,
  i: number,
  reason: RejectReason,
  detail: string,
): RefusedMessage {
  const fields = i * MESSAGE_FIELDS;
  return {
    index: i,
    reason,
    detail,
    key: copyBytes(data, index[fields + KEY_START] as number, index[fields + KEY_LENGTH] as number),
    value: copyBytes(data, index[fields + VALUE_START] as number, index[fields + VALUE_LENGTH] as number),
  };
}

/** A Buffer's bytes as an ArrayBuffer of their own, safe to transfer. */
export function ownBuffer(buf: Buffer): ArrayBuffer {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) {
    return buf.buffer;
  }
  return new Uint8Array(buf).buffer;
}
