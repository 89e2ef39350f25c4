import assert from "node:assert/strict";
import { test } from "node:test";
import {
  chunkLetters,
  type DeadLetter,
  DLQ_HEADERS,
  MAX_CHUNK_BYTES,
} from "../../../../services/api/kafka/dead-letters.ts";

const letter = (i: number, size: number): DeadLetter => ({
  key: Buffer.from(`k${i}`),
  value: Buffer.alloc(size, 1),
  reason: "bad_magic",
  detail: "message does not start with C3 01 \u00e9",
  topic: "kymaros.run-completed",
  partition: 3,
  offset: String(1_000_000 + i),
  timestamp: "1764115200000",
});

/** What a letter puts on the wire besides record framing: key, value, every header name and value. */
function payloadBytes(l: DeadLetter): number {
  const values = [l.reason, l.detail, l.topic, String(l.partition), l.offset, l.timestamp];
  const headers = Object.values(DLQ_HEADERS)
    .slice(0, values.length)
    .reduce((n, name, i) => n + name.length + Buffer.byteLength(values[i] as string), 0);
  return (l.key?.length ?? 0) + (l.value?.length ?? 0) + headers;
}

test("a burst of small dead letters is sent in chunks whose bytes stay under the limit, in order", () => {
  const letters = Array.from({ length: 6000 }, (_, i) => letter(i, 20));
  assert.ok(letters.reduce((n, l) => n + payloadBytes(l), 0) > 2 * MAX_CHUNK_BYTES, "a burst worth chunking");
  const chunks = chunkLetters(letters);
  assert.deepEqual(
    chunks.flat().map((l) => l.offset),
    letters.map((l) => l.offset),
  );
  for (const chunk of chunks) {
    const bytes = chunk.reduce((n, l) => n + payloadBytes(l), 0);
    assert.ok(bytes <= MAX_CHUNK_BYTES, `a chunk of ${bytes} payload bytes`);
    // Not needlessly small either: each chunk but the last is at least half full.
    if (chunk !== chunks.at(-1)) assert.ok(bytes > MAX_CHUNK_BYTES / 2, `a chunk of only ${bytes} bytes`);
  }
});

test("a letter larger than a chunk goes alone", () => {
  const chunks = chunkLetters([letter(0, 10), letter(1, MAX_CHUNK_BYTES + 1), letter(2, 10)]);
  assert.deepEqual(
    chunks.map((c) => c.map((l) => l.offset)),
    [["1000000"], ["1000001"], ["1000002"]],
  );
});
