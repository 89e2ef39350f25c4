/**
 * The facts reader is the service's hot path: it reads the bytes itself and skips the strings
 * the state never keeps. Its claim is exact equivalence with decode() + validateRun(): for any
 * bytes at all, the same verdict (the same refusal reason, or the same values for every kept
 * field). Checked here on valid events, events at and beyond every limit, and corrupted
 * messages, for every writer and reader, read in place inside a larger buffer as the service reads them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { checkLayout } from "../../../services/contract/facts.ts";
import {
  CodecError,
  createCodec,
  createFactsReader,
  type EventFacts,
  RESULTS,
  type RunCompleted,
  retirementFactsOf,
  type SchemaVersion,
  ValidationError,
  validateRetirement,
  validateRun,
} from "../../../services/contract/index.ts";
import { loadSchema } from "../../../services/contract/schemas.ts";
import { MAX_NAME_LENGTH } from "../../../services/contract/validate.ts";

/** The kept fields, as plain values: the runId and the test name's UTF-8 as strings of their bytes. */
interface Kept {
  runId: string;
  test: string;
  testUtf8: string;
  namespace: string;
  cluster: string;
  result: string;
  score: number;
  startedAt: number;
  completedAt: number;
  startedAtKnown: boolean;
  rtoSeconds: number | null;
  backupCreatedAt: number | null;
  rtoTargetSeconds: number | null;
}
type Verdict = { refused: string } | { facts: Kept };

function refusal(err: unknown): Verdict {
  if (err instanceof CodecError || err instanceof ValidationError) return { refused: err.reason };
  throw err;
}

/** What the reader gives, read off at once: it may refill the same object on its next read. */
function verdict(read: () => EventFacts): Verdict {
  try {
    const run = read();
    if (run.kind !== "run") return { refused: "not a run" };
    const { bytes, start, end } = run.runId;
    return {
      facts: {
        runId: Buffer.from(bytes.subarray(start, end)).toString("hex"),
        test: run.test,
        testUtf8: Buffer.from(run.testUtf8).toString("hex"),
        namespace: run.namespace,
        cluster: run.cluster,
        result: run.result,
        score: run.score,
        startedAt: run.startedAt,
        completedAt: run.completedAt,
        startedAtKnown: run.startedAtKnown,
        rtoSeconds: run.rtoSeconds,
        backupCreatedAt: run.backupCreatedAt,
        rtoTargetSeconds: run.rtoTargetSeconds,
      },
    };
  } catch (err) {
    return refusal(err);
  }
}

/** The reference's verdict: avsc's decoding, validateRun(), and the kept fields of the run. */
function referenceVerdict(codec: ReturnType<typeof createCodec>, bytes: Buffer): Verdict {
  try {
    const run = codec.decode(bytes);
    validateRun(run);
    return {
      facts: {
        runId: Buffer.from(run.runId, "utf8").toString("hex"),
        test: run.test,
        testUtf8: Buffer.from(run.test, "utf8").toString("hex"),
        namespace: run.namespace,
        cluster: run.cluster ?? "",
        result: run.result,
        score: run.score,
        startedAt: run.startedAt,
        completedAt: run.completedAt,
        startedAtKnown: run.startedAtKnown !== false,
        rtoSeconds: run.rtoSeconds,
        backupCreatedAt: run.backupCreatedAt,
        rtoTargetSeconds: run.rtoTargetSeconds,
      },
    };
  } catch (err) {
    return refusal(err);
  }
}

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });
/** Lengths around the limits, in characters and in UTF-8 bytes (multi-byte characters included). */
const text = fc.oneof(
  { arbitrary: fc.string({ unit: "binary", maxLength: 30 }), weight: 12 },
  fc.string({ unit: "grapheme", minLength: MAX_NAME_LENGTH - 130, maxLength: MAX_NAME_LENGTH + 3 }),
  fc.string({ minLength: MAX_NAME_LENGTH - 2, maxLength: MAX_NAME_LENGTH + 2 }),
);
const long = fc.oneof(
  fc.integer({ min: -5, max: 300_000_000_000_000 }),
  fc.integer({ min: 0, max: 253_402_300_799_999 }),
  fc.constantFrom(0, 1000, 1001, 253_402_300_799_999, 2 ** 52 - 1),
);
const number = fc.oneof(
  fc.double(),
  fc.double({ min: 0, max: 365 * 24 * 3600, noNaN: true }),
  fc.constantFrom(0, 1, 365 * 24 * 3600, 365 * 24 * 3600 + 1),
);

const anyRun: fc.Arbitrary<RunCompleted> = fc
  .record({
    // ASCII runIds take the reader's own path (bytes, no string); others go through avsc.
    runId: fc.oneof(
      { arbitrary: text, weight: 9 },
      { arbitrary: fc.string({ maxLength: 30 }), weight: 9 },
      fc.string({ minLength: 510, maxLength: 514 }),
    ),
    test: text,
    namespace: text,
    result: fc.constantFrom(...RESULTS),
    score: fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 100 }), weight: 5 },
      fc.integer({ min: -3, max: 103 }),
    ),
    // Mostly in order, so that a fair share of events is valid.
    times: fc.tuple(long, long, fc.nat(3)).map(([a, b, k]) => (k > 0 && a > b ? [b, a] : [a, b])),
    rtoSeconds: opt(number),
    backupName: opt(text),
    backupCreatedAt: opt(long),
    rtoTargetSeconds: opt(number),
    cluster: opt(text),
    known: fc.constantFrom(undefined, true, false),
  })
  .map(({ times: [startedAt, completedAt], known, ...rest }) => ({
    ...rest,
    startedAt: startedAt as number,
    completedAt: completedAt as number,
    ...(known === undefined ? {} : { startedAtKnown: known }),
  }));

/** The run as `writer` can carry it: v1 has no cluster, v1 and v2 no startedAtKnown. */
function writable(run: RunCompleted, writer: SchemaVersion): RunCompleted {
  const { startedAtKnown: _known, ...rest } = run;
  if (writer === 3) return run;
  return writer === 1 ? { ...rest, cluster: null } : rest;
}

/** What can happen to bytes on the way: cut short, a byte changed, bytes added or dropped. */
const damage = fc.oneof(
  { arbitrary: fc.constant((m: Buffer) => m), weight: 4 },
  fc.nat().map((n) => (m: Buffer) => m.subarray(0, n % (m.length + 1))),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => (m: Buffer) => {
    const copy = Buffer.from(m);
    const i = 10 + (at % Math.max(1, m.length - 10));
    if (i < copy.length) copy[i] = (copy[i] as number) ^ x;
    return copy;
  }),
  // Union indexes, enum indexes and varint lengths are small numbers: set one to another small
  // number (0x01 is -1, 0x03 is -2), or start a varint too long for any long within ±2^52.
  fc
    .tuple(fc.nat(), fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x7f, 0x80, 0xff))
    .map(([at, b]) => (m: Buffer) => {
      const copy = Buffer.from(m);
      const i = 10 + (at % Math.max(1, m.length - 10));
      if (i < copy.length) copy[i] = b;
      return copy;
    }),
  fc.nat().map((at) => (m: Buffer) => {
    const i = 10 + (at % Math.max(1, m.length - 10));
    return Buffer.concat([
      m.subarray(0, i),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
      m.subarray(i + 1),
    ]);
  }),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => (m: Buffer) => Buffer.concat([m, extra])),
  fc.nat().map((at) => (m: Buffer) => {
    const i = 10 + (at % Math.max(1, m.length - 10));
    return Buffer.concat([m.subarray(0, i), m.subarray(i + 1)]);
  }),
);

/** The message inside a larger buffer, between other bytes, as it lies in a packed batch. */
function readInPlace(read: ReturnType<typeof createFactsReader>, bytes: Buffer): EventFacts {
  const around = Buffer.concat([Buffer.from([0xc3, 0x01, 7]), bytes, Buffer.from([2, 4, 6, 8])]);
  return read(around, 3, 3 + bytes.length);
}

for (const reader of [1, 2, 3] as SchemaVersion[]) {
  test(`v${reader} reader: the facts reader gives decode + validateRun's verdict on any message`, () => {
    const codec = createCodec(reader);
    const read = createFactsReader(codec);
    let valid = 0;
    fc.assert(
      fc.property(anyRun, fc.constantFrom<SchemaVersion>(1, 2, 3), damage, (run, writer, hurt) => {
        let encoded: Buffer;
        try {
          encoded = codec.encode(writable(run, writer), writer);
        } catch {
          return; // not encodable (beyond ±2^52, or an int beyond 32 bits): nothing to read
        }
        const bytes = hurt(encoded);
        const expected = referenceVerdict(codec, bytes);
        assert.deepStrictEqual(
          verdict(() => readInPlace(read, bytes)),
          expected,
        );
        if ("facts" in expected) valid += 1;
      }),
      { numRuns: 3000 },
    );
    // The property says little if hardly any message was valid.
    assert.ok(valid > 200, `only ${valid} of 3000 messages were valid`);
  });
}

test("the facts reader refuses an oversized skipped string, as validateRun does", () => {
  const codec = createCodec(2);
  const read = createFactsReader(codec);
  const run: RunCompleted = {
    runId: "r",
    test: "t",
    namespace: "n".repeat(MAX_NAME_LENGTH + 1),
    result: "pass",
    score: 90,
    startedAt: 1000,
    completedAt: 2000,
    rtoSeconds: null,
    backupName: null,
    backupCreatedAt: null,
    rtoTargetSeconds: null,
    cluster: null,
  };
  assert.deepStrictEqual(
    verdict(() => readInPlace(read, codec.encode(run))),
    { refused: "oversized_field" },
  );
  const ok = { ...run, namespace: "n".repeat(MAX_NAME_LENGTH) };
  assert.ok("facts" in verdict(() => readInPlace(read, codec.encode(ok))));
});

test("checkLayout accepts the schemas as they are and refuses any change to a field's name, type or order", () => {
  for (const version of [1, 2, 3] as SchemaVersion[]) {
    const schema = loadSchema(version) as { fields: { name: string; type: unknown }[] };
    assert.doesNotThrow(() => checkLayout(version, schema));
    const changed = (edit: (fields: { name: string; type: unknown }[]) => void) => {
      const copy = structuredClone(schema);
      edit(copy.fields);
      return copy;
    };
    const field = (fields: { name: string; type: unknown }[], name: string) =>
      fields.find((f) => f.name === name) as { name: string; type: unknown };
    const edits: [string, (fields: { name: string; type: unknown }[]) => void][] = [
      ["score as a long", (f) => (field(f, "score").type = "long")],
      ["score as a double", (f) => (field(f, "score").type = "double")],
      [
        "startedAt in microseconds",
        (f) => (field(f, "startedAt").type = { type: "long", logicalType: "timestamp-micros" }),
      ],
      ["rtoSeconds as a float", (f) => (field(f, "rtoSeconds").type = ["null", "float"])],
      ["rtoSeconds not optional", (f) => (field(f, "rtoSeconds").type = "double")],
      ["backupName's union reversed", (f) => (field(f, "backupName").type = ["string", "null"])],
      [
        "result's symbols reordered",
        (f) =>
          (field(f, "result").type = { type: "enum", name: "Result", symbols: ["fail", "pass", "partial"] }),
      ],
      ["a field renamed", (f) => (field(f, "namespace").name = "ns")],
      ["two fields swapped", (f) => f.splice(5, 2, f[6] as never, f[5] as never)],
      ["a field added", (f) => f.push({ name: "extra", type: ["null", "string"] })],
      ["the last field dropped", (f) => f.pop()],
    ];
    for (const [what, edit] of edits) {
      assert.throws(() => checkLayout(version, changed(edit)), /fields and types/, `v${version}: ${what}`);
    }
  }
});

test("a TestRetired takes the reference path: decodeEvent + validateRetirement's verdict, damaged or not", () => {
  const codec = createCodec();
  const read = createFactsReader(codec);
  const retirementArb = fc.record({
    test: text,
    namespace: text,
    cluster: opt(text),
    retiredAt: long,
    reason: opt(fc.string({ maxLength: 1030 })),
  });
  fc.assert(
    fc.property(retirementArb, damage, (r, hurt) => {
      let encoded: Buffer;
      try {
        encoded = codec.encodeRetirement(r);
      } catch {
        return;
      }
      const bytes = hurt(encoded);
      let expected: unknown;
      try {
        const event = codec.decodeEvent(bytes);
        if (event.kind !== "retired") throw new Error("damage made a run");
        validateRetirement(event.retirement);
        expected = { ...retirementFactsOf(event.retirement) };
      } catch (err) {
        expected = refusal(err);
      }
      let actual: unknown;
      try {
        actual = { ...readInPlace(read, bytes) };
      } catch (err) {
        actual = refusal(err);
      }
      assert.deepStrictEqual(actual, expected);
    }),
    { numRuns: 500 },
  );
});

test("every writer's clean messages are read in place (the reader's one facts object), v3 included", () => {
  const codec = createCodec();
  const read = createFactsReader(codec);
  const run: RunCompleted = {
    runId: "r-1",
    test: "t",
    namespace: "n",
    result: "fail",
    score: 0,
    startedAt: 5000,
    completedAt: 5000,
    rtoSeconds: null,
    backupName: null,
    backupCreatedAt: null,
    rtoTargetSeconds: null,
    cluster: "c",
  };
  const v1 = codec.encode({ ...run, cluster: null }, 1);
  const v2 = codec.encode(run, 2);
  const v3 = codec.encode({ ...run, startedAtKnown: false });
  assert.equal(codec.writerAt(v3, 0), 3);
  const first = readInPlace(read, v1);
  for (const [bytes, known] of [
    [v2, true],
    [v3, false],
    [codec.encode(run, 3), true],
  ] as const) {
    const facts = readInPlace(read, bytes);
    // The reference path makes a new object per message; the clean read refills the one it has.
    assert.equal(facts, first);
    assert.equal(facts.kind === "run" && facts.startedAtKnown, known);
  }
  // A boolean byte other than 0 or 1 is not clean: the reference path refuses it.
  const bad = Buffer.from(v3);
  bad[bad.length - 1] = 2;
  assert.throws(
    () => readInPlace(read, bad),
    (e: unknown) => e instanceof CodecError && e.reason === "undecodable",
  );
});
