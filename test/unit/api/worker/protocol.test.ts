import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { pack } from "../../../../services/api/worker/protocol.ts";

/** Reads a packed batch back by its documented layout (ingest's PackedMessages). */
function unpack(data: ArrayBuffer, index: Int32Array): { key: Buffer | null; value: Buffer | null }[] {
  const bytes = Buffer.from(data);
  const at = (start: number, length: number) => (length < 0 ? null : bytes.subarray(start, start + length));
  return Array.from({ length: index.length / 4 }, (_, i) => ({
    key: at(index[i * 4] as number, index[i * 4 + 1] as number),
    value: at(index[i * 4 + 2] as number, index[i * 4 + 3] as number),
  }));
}

test("a packed batch unpacks to the same keys and values, nulls and empties included", () => {
  const bytes = fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)));
  fc.assert(
    fc.property(fc.array(fc.record({ key: bytes, value: bytes }), { maxLength: 50 }), (messages) => {
      const { data, index } = pack(messages);
      const back = unpack(data, index);
      assert.equal(back.length, messages.length);
      // The buffer is transferred whole: it must hold these bytes and nothing else.
      const sizes = messages.map((m) => (m.key?.length ?? 0) + (m.value?.length ?? 0));
      assert.equal(
        data.byteLength,
        sizes.reduce((a, b) => a + b, 0),
      );
      back.forEach((m, i) => {
        const sent = messages[i] as (typeof messages)[number];
        assert.deepEqual(m.key === null ? null : [...m.key], sent.key === null ? null : [...sent.key]);
        assert.deepEqual(
          m.value === null ? null : [...m.value],
          sent.value === null ? null : [...sent.value],
        );
      });
    }),
  );
});
