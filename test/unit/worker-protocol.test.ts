import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { pack } from "../../services/api/worker/protocol.ts";

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

test("views into one fetched buffer pack as one span, and read back the same as copied ones", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ gap: fc.nat(30), key: fc.option(fc.nat(20)), value: fc.option(fc.nat(200)) }), {
        minLength: 1,
        maxLength: 60,
      }),
      fc.uint8Array({ minLength: 8000, maxLength: 8000 }),
      (layout, noise) => {
        // Keys and values laid out in one buffer with framing bytes between them, as kafkajs decodes them.
        const response = Buffer.from(noise.buffer);
        let at = 0;
        const view = (length: number | null) => {
          if (length === null) return null;
          const v = response.subarray(at, at + length);
          at += length;
          return v;
        };
        const messages = layout.map(({ gap, key, value }) => {
          at += gap;
          return { key: view(key), value: view(value) };
        });
        const { data, index } = pack(messages);
        const back = unpack(data, index);
        messages.forEach((m, i) => {
          const got = back[i] as (typeof back)[number];
          assert.deepEqual(got.key === null ? null : [...got.key], m.key === null ? null : [...m.key]);
          assert.deepEqual(
            got.value === null ? null : [...got.value],
            m.value === null ? null : [...m.value],
          );
        });
        // One copy of the span the views cover when it is at most twice the payload plus a page;
        // otherwise (or with nothing to copy) the payload alone, copied message by message.
        const parts = messages.flatMap((m) => [m.key, m.value]).filter((p) => p !== null);
        const payload = parts.reduce((n, p) => n + p.length, 0);
        const low = Math.min(...parts.map((p) => p.byteOffset));
        const high = Math.max(...parts.map((p) => p.byteOffset + p.length));
        const span = parts.length > 0 && high - low <= 2 * payload + 4096;
        assert.equal(data.byteLength, span ? high - low : payload);
      },
    ),
    { numRuns: 300 },
  );
});
