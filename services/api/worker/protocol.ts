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

/** Keys and values end to end in one buffer; per message: key start, key length, value start, value length (-1 for null). */
export function pack(messages: readonly RawMessage[]): { data: ArrayBuffer; index: Int32Array } {
  let size = 0;
  for (const m of messages) size += (m.key?.length ?? 0) + (m.value?.length ?? 0);
  const data = new Uint8Array(size);
  const index = new Int32Array(messages.length * 4);
  let at = 0;
  // Per message, no allocation: this runs on the main thread for every event.
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

export function unpack(data: ArrayBuffer, index: Int32Array): RawMessage[] {
  const bytes = Buffer.from(data);
  const slice = (start: number, length: number) =>
    length < 0 ? null : bytes.subarray(start, start + length);
  const messages: RawMessage[] = new Array(index.length / 4);
  for (let i = 0; i < messages.length; i++) {
    messages[i] = {
      key: slice(index[i * 4] as number, index[i * 4 + 1] as number),
      value: slice(index[i * 4 + 2] as number, index[i * 4 + 3] as number),
    };
  }
  return messages;
}

/** A Buffer's bytes as an ArrayBuffer of their own, safe to transfer. */
export function ownBuffer(buf: Buffer): ArrayBuffer {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) {
    return buf.buffer;
  }
  return new Uint8Array(buf).buffer;
}

/** A copy of the bytes alone: a view sent as it is would carry its whole batch's buffer along. */
export function copyBytes(bytes: Uint8Array | null): Uint8Array | null {
  return bytes === null ? null : new Uint8Array(bytes);
}
