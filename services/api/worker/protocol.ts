/**
 * Messages between the main thread (Kafka, HTTP) and the pipeline worker (codec, validation,
 * core state, exposition). Batches travel packed in one transferred buffer: no per-message
 * structured clone.
 */
import type { RawMessage } from "../ingest/index.ts";
import type { ExpositionFormat } from "../metrics/domain.ts";
import type { TransformResult } from "../pipeline.ts";

export type ToWorker =
  | { type: "batch"; id: number; data: ArrayBuffer; index: Int32Array }
  /** Render this format from now on (the first call makes the domain metrics visible). */
  | { type: "show"; format: ExpositionFormat };

export type FromWorker =
  | ({ type: "done"; id: number } & TransformResult)
  | {
      type: "snapshot";
      format: ExpositionFormat;
      revision: number;
      gzip: boolean;
      body: ArrayBuffer | SharedArrayBuffer;
    };

/** The layout ingest reads (PackedMessages), in a buffer of its own that can be transferred. */
export function pack(messages: readonly RawMessage[]): { data: ArrayBuffer; index: Int32Array } {
  return packSpan(messages) ?? packEach(messages);
}

/**
 * The usual case: every key and value is a view into the one buffer the batch was fetched in.
 * One copy of the span they cover (their framing included, a few bytes per message) costs far
 * less than two copies per message. Written out for keys and values alike, without a helper:
 * this loop runs on the main thread for every event, and the views' getters are not cheap.
 */
function packSpan(messages: readonly RawMessage[]): { data: ArrayBuffer; index: Int32Array } | null {
  const n = messages.length;
  const index = new Int32Array(n * 4);
  let shared: ArrayBufferLike | null = null;
  let low = Number.POSITIVE_INFINITY;
  let high = 0;
  let payload = 0;
  for (let i = 0; i < n; i++) {
    const { key, value } = messages[i] as RawMessage;
    if (key === null) {
      index[i * 4 + 1] = -1;
    } else {
      const at = key.byteOffset;
      const length = key.length;
      if (shared === null) shared = key.buffer;
      else if (key.buffer !== shared) return null;
      if (at < low) low = at;
      if (at + length > high) high = at + length;
      payload += length;
      index[i * 4] = at;
      index[i * 4 + 1] = length;
    }
    if (value === null) {
      index[i * 4 + 3] = -1;
    } else {
      const at = value.byteOffset;
      const length = value.length;
      if (shared === null) shared = value.buffer;
      else if (value.buffer !== shared) return null;
      if (at < low) low = at;
      if (at + length > high) high = at + length;
      payload += length;
      index[i * 4 + 2] = at;
      index[i * 4 + 3] = length;
    }
  }
  // Not worth it when the span holds much else besides (or there is nothing to copy).
  if (shared === null || high - low > 2 * payload + 4096) return null;
  for (let i = 0; i < n * 4; i += 2) if ((index[i + 1] as number) >= 0) index[i] = (index[i] as number) - low;
  const data = new Uint8Array(high - low);
  data.set(new Uint8Array(shared, low, high - low));
  return { data: data.buffer, index };
}

/** Keys and values copied one by one, end to end. */
function packEach(messages: readonly RawMessage[]): { data: ArrayBuffer; index: Int32Array } {
  let size = 0;
  for (const m of messages) size += (m.key?.length ?? 0) + (m.value?.length ?? 0);
  const data = new Uint8Array(size);
  const index = new Int32Array(messages.length * 4);
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const { key, value } = messages[i] as RawMessage;
    index[i * 4] = at;
    index[i * 4 + 1] = key === null ? -1 : key.length;
    if (key !== null) {
      data.set(key, at);
      at += key.length;
    }
    index[i * 4 + 2] = at;
    index[i * 4 + 3] = value === null ? -1 : value.length;
    if (value !== null) {
      data.set(value, at);
      at += value.length;
    }
  }
  return { data: data.buffer, index };
}

/** A Buffer's bytes as an ArrayBuffer of their own, safe to transfer. */
export function ownBuffer(buf: Buffer): ArrayBuffer {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) {
    return buf.buffer;
  }
  return new Uint8Array(buf).buffer;
}

/** A copy of data[start .. start + length) alone (null for -1): a view would carry the whole batch along. */
export function copyBytes(data: Uint8Array, start: number, length: number): Uint8Array | null {
  return length < 0 ? null : new Uint8Array(data.subarray(start, start + length));
}
