/**
 * The key places a test in its partition, so ingest refuses a message whose key is not the test
 * name's UTF-8. Checked on both of the reader's paths: read in place (ASCII runId) and decoded
 * by avsc (non-ASCII runId), for keys that differ in one byte or in length, or are null.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createState } from "../../services/api/core/index.ts";
import { ingestBatch } from "../../services/api/ingest/index.ts";
import { pack } from "../../services/api/worker/protocol.ts";
import { createCodec, createFactsReader } from "../../services/contract/index.ts";
import { run } from "../support/runs.ts";

const codec = createCodec();

/** Keys near the test name's bytes: equal, one byte changed, one byte more or less, or null. */
function keyArb(name: Buffer): fc.Arbitrary<Buffer | null> {
  const changed = fc
    .tuple(fc.nat({ max: name.length - 1 }), fc.integer({ min: 1, max: 255 }))
    .map(([at, delta]) => {
      const k = Buffer.from(name);
      k[at] = ((k[at] as number) + delta) % 256;
      return k;
    });
  return fc.oneof(
    fc.constant(Buffer.from(name)),
    changed,
    fc.constant(Buffer.concat([name, Buffer.from("x")])),
    fc.constant(name.subarray(0, name.length - 1)),
    fc.constant(null),
  );
}

test("a message is applied exactly when its key is the test name's UTF-8, on both reader paths", () => {
  const names = fc.constantFrom("my-app-nightly", "z", "äpp-ßackup", "ορ-δβ");
  const message = names.chain((name) =>
    fc.record({
      name: fc.constant(name),
      key: keyArb(Buffer.from(name, "utf8")),
      // An ASCII runId is read in place; a non-ASCII one goes through avsc.
      runId: fc.constantFrom("run-1", `${name}-20260101`, "rün-1"),
    }),
  );
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 20 }), (messages) => {
      const read = createFactsReader(codec);
      const state = createState();
      const packed = pack(
        messages.map((m, i) => ({
          key: m.key,
          value: codec.encode(run({ test: m.name, runId: `${m.runId}-${i}` })),
        })),
      );
      const result = ingestBatch(read, state, { data: Buffer.from(packed.data), index: packed.index });

      const expected = messages.flatMap((m, i) => (m.key?.equals(Buffer.from(m.name, "utf8")) ? [] : [i]));
      assert.deepEqual(
        result.rejects.map((r) => r.index),
        expected,
      );
      for (const r of result.rejects) assert.equal(r.reason, "key_mismatch");
      assert.equal(result.applied, messages.length - expected.length);
    }),
    { numRuns: 300 },
  );
});
