import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { pack, unpack } from "../../services/api/worker/protocol.ts";

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
