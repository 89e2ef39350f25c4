/**
 * The registry framing (00 + 4-byte id) reads to exactly what single-object reads to, for a
 * writer that is one of our schemas and for one that only resolves (reordered fields, an added
 * field with a default); what it cannot read is refused with its reason, decided by the first
 * bytes alone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  CodecError,
  confluentFrame,
  confluentId,
  createCodec,
  createFactsReader,
  createRegistryReader,
  type EventFacts,
  framingHint,
  type RunCompleted,
  ValidationError,
} from "../../../services/contract/index.ts";
import { loadRetirementSchema, loadSchema } from "../../../services/contract/schemas.ts";
import { retirement, runArb } from "../../support/runs.ts";

const codec = createCodec();
const singleObject = createFactsReader(codec);

/** The facts as plain values (the reader refills one object), or the refusal's reason. */
function verdict(read: () => EventFacts): unknown {
  try {
    const f = read();
    if (f.kind === "retired") return { ...f, testUtf8: Buffer.from(f.testUtf8).toString("hex") };
    const { runId, testUtf8, ...rest } = f;
    return {
      ...rest,
      runId: Buffer.from(runId.bytes.subarray(runId.start, runId.end)).toString("hex"),
      testUtf8: Buffer.from(testUtf8).toString("hex"),
    };
  } catch (err) {
    if (err instanceof CodecError || err instanceof ValidationError) return { refused: err.reason };
    throw err;
  }
}

const v3 = loadSchema(3) as { fields: { name: string }[] };
/** A writer that is not ours but resolves: fields reversed, plus one with a default. */
const resolving = JSON.stringify({
  ...v3,
  fields: [...v3.fields].reverse().concat([{ name: "extra", type: "string", default: "x" } as never]),
});

function reader() {
  const r = createRegistryReader(codec, { configured: true });
  r.learn({ id: 7, schema: JSON.stringify(loadSchema(2)) });
  r.learn({ id: 8, schema: JSON.stringify(loadSchema(3)) });
  r.learn({ id: 9, schema: resolving });
  r.learn({ id: 10, schema: JSON.stringify(loadRetirementSchema()) });
  r.learn({ id: 11, schema: null });
  r.learn({
    id: 12,
    schema: JSON.stringify({ type: "record", name: "Other", fields: [{ name: "n", type: "int" }] }),
  });
  return r;
}

/** Placed inside a larger buffer, as the worker reads a packed batch. */
const inside = (value: Buffer) => ({
  bytes: Buffer.concat([Buffer.from("pre"), value, Buffer.from("post")]),
  start: 3,
  end: 3 + value.length,
});

test("00 + the id of one of our schemas reads as the single-object message does, any run, valid or not", () => {
  const r = reader();
  const anyScore = fc.integer({ min: -5, max: 105 });
  fc.assert(
    fc.property(runArb(), anyScore, (run: RunCompleted, score) => {
      const valid = { ...run, score };
      for (const [id, version] of [
        [7, 2],
        [8, 3],
      ] as const) {
        if (version === 2 && valid.startedAtKnown === false) continue;
        const single = codec.encode(valid, version);
        const framed = confluentFrame(id, single.subarray(10));
        const at = inside(framed);
        assert.deepEqual(
          verdict(() => r.read(at.bytes, at.start, at.end)),
          verdict(() => singleObject(single, 0, single.length)),
        );
      }
    }),
  );
});

test("a writer that only resolves (reordered, a field with a default) reads to the same facts", () => {
  const r = reader();
  const writer = JSON.parse(resolving);
  // avsc as the independent writer of the resolving schema.
  return import("avsc").then(({ default: avro }) => {
    const type = avro.Type.forSchema(writer);
    fc.assert(
      fc.property(runArb(), (run: RunCompleted) => {
        const datum = {
          ...run,
          cluster: run.cluster ?? null,
          startedAtKnown: run.startedAtKnown ?? true,
          extra: "y",
        };
        const framed = confluentFrame(9, type.toBuffer(datum));
        const single = codec.encode(run, 3);
        assert.deepEqual(
          verdict(() => r.read(framed, 0, framed.length)),
          verdict(() => singleObject(single, 0, single.length)),
        );
      }),
    );
  });
});

test("a TestRetired framed by id reads as its single-object message does", () => {
  const r = reader();
  const t = retirement();
  const single = codec.encodeRetirement(t);
  const framed = confluentFrame(10, single.subarray(10));
  assert.deepEqual(
    verdict(() => r.read(framed, 0, framed.length)),
    verdict(() => singleObject(single, 0, single.length)),
  );
});

test("refusals by the first bytes and by the id, each with its reason", () => {
  const r = reader();
  const body = codec.encode(runArbSample()).subarray(10);
  const reasonOf = (bytes: Buffer) => verdict(() => r.read(bytes, 0, bytes.length));
  assert.deepEqual(reasonOf(confluentFrame(11, body)), { refused: "unknown_schema_id" });
  assert.deepEqual(reasonOf(confluentFrame(12, body)), { refused: "incompatible_schema" });
  assert.deepEqual(reasonOf(confluentFrame(99, body)), { refused: "unknown_schema_id" });
  assert.deepEqual(reasonOf(Buffer.concat([Buffer.from([1]), Buffer.alloc(16), body])), {
    refused: "unsupported_framing",
  });
  assert.deepEqual(reasonOf(Buffer.from([0, 0, 1])), { refused: "truncated" });
  assert.deepEqual(reasonOf(Buffer.from("hello")), { refused: "bad_magic" });
  const unconfigured = createRegistryReader(codec, { configured: false });
  const framed = confluentFrame(8, body);
  assert.deepEqual(
    verdict(() => unconfigured.read(framed, 0, framed.length)),
    { refused: "registry_not_configured" },
  );
  assert.throws(() => r.read(Buffer.from("hello"), 0, 5), /starts with 6865/);
});

test("the id is the 4 bytes after 00, big-endian; anything else has none", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (id) => {
      assert.equal(confluentId(confluentFrame(id, Buffer.from([2])), 0, 6), id);
    }),
  );
  assert.equal(confluentId(Buffer.from([0, 1, 2, 3]), 0, 4), -1);
  assert.equal(confluentId(Buffer.from([0xc3, 1, 2, 3, 4]), 0, 5), -1);
});

test("header names tell the framings that carry the id in headers", () => {
  assert.equal(framingHint(["__value_schema_id"]), "value_schema_id_header");
  assert.equal(framingHint(["apicurio.value.globalId", "x"]), "apicurio_headers");
  assert.equal(framingHint(["traceparent"]), null);
});

function runArbSample(): RunCompleted {
  return fc.sample(runArb(), { numRuns: 1, seed: 1 })[0] as RunCompleted;
}
