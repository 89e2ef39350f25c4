import assert from "node:assert/strict";
import { test } from "node:test";
import { chunkLetters, type DeadLetter, MAX_CHUNK_BYTES } from "../../services/api/kafka/dead-letters.ts";

const letter = (i: number, size: number): DeadLetter => ({
  key: Buffer.from(`k${i}`),
  value: Buffer.alloc(size, 1),
  reason: "bad_magic",
  detail: "message does not start with C3 01",
  topic: "t",
  partition: 0,
  offset: String(i),
  timestamp: "0",
});

test("a burst of small dead letters is sent in chunks under the broker's request limit, in order", () => {
  const letters = Array.from({ length: 6000 }, (_, i) => letter(i, 20));
  const chunks = chunkLetters(letters);
  assert.ok(chunks.length > 1);
  assert.deepEqual(
    chunks.flat().map((l) => l.offset),
    letters.map((l) => l.offset),
  );
  for (const chunk of chunks) {
    const raw = chunk.reduce((n, l) => n + (l.value?.length ?? 0) + (l.key?.length ?? 0) + 200, 0);
    assert.ok(raw <= MAX_CHUNK_BYTES + 256 * chunk.length, `chunk of ${raw} bytes`);
  }
});

test("a letter larger than a chunk goes alone", () => {
  const chunks = chunkLetters([letter(0, 10), letter(1, MAX_CHUNK_BYTES + 1), letter(2, 10)]);
  assert.deepEqual(
    chunks.map((c) => c.map((l) => l.offset)),
    [["0"], ["1"], ["2"]],
  );
});
