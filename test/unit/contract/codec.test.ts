/**
 * The single-object codec against expectations built independently of avsc: a small Avro binary encoder
 * written from the specification (zigzag varints, length-prefixed UTF-8, little-endian doubles, union
 * and enum indexes) and the writer fingerprints the Java reference implementation computes.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  CodecError,
  type CodecErrorReason,
  createCodec,
  MAX_MESSAGE_BYTES,
  RESULTS,
  type RunCompleted,
  type SchemaVersion,
  validateRun,
  writerVersionFor,
} from "../../../services/contract/index.ts";

/** parsingFingerprint64 of schemas/run-completed.v{1,2,3}.avsc as Java's SchemaNormalization gives them. */
const JAVA_FINGERPRINT: Record<SchemaVersion, string> = {
  1: "52ede030ee0895d1",
  2: "91f1ceb283887b92",
  3: "1761f4b3500a9027",
};
const MAX_TIMESTAMP = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const YEAR_SECONDS = 365 * 24 * 60 * 60;

// ---- Avro binary encoding, from the specification ------------------------------------------------

function long(n: number | bigint): number[] {
  const v = BigInt(n);
  let z = ((v << 1n) ^ (v >> 63n)) & 0xffffffffffffffffn;
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}
function string(s: string): number[] {
  const bytes = [...Buffer.from(s, "utf8")];
  return [...long(bytes.length), ...bytes];
}
function double(x: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return [...b];
}
function boolean(b: boolean): number[] {
  return [b ? 1 : 0];
}
function optional<T>(value: T | null, write: (v: T) => number[]): number[] {
  return value === null ? long(0) : [...long(1), ...write(value)];
}
function specDatum(run: RunCompleted, writer: SchemaVersion): number[] {
  return [
    ...string(run.runId),
    ...string(run.test),
    ...string(run.namespace),
    ...long(RESULTS.indexOf(run.result)),
    ...long(run.score),
    ...long(run.startedAt),
    ...long(run.completedAt),
    ...optional(run.rtoSeconds, double),
    ...optional(run.backupName, string),
    ...optional(run.backupCreatedAt, long),
    ...optional(run.rtoTargetSeconds, double),
    ...(writer >= 2 ? optional(run.cluster, string) : []),
    ...(writer === 3 ? boolean(run.startedAtKnown ?? true) : []),
  ];
}
function message(writer: SchemaVersion, datum: number[]): Buffer {
  return Buffer.concat([Buffer.from(`c301${JAVA_FINGERPRINT[writer]}`, "hex"), Buffer.from(datum)]);
}

// ---- Arbitraries ----------------------------------------------------------------------------------

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });
const text = (minLength: number, maxLength: number) => fc.string({ unit: "binary", minLength, maxLength });
const timestamp = fc.oneof(
  fc.constantFrom(0, 1, MAX_TIMESTAMP - 1, MAX_TIMESTAMP),
  fc.bigInt({ min: 0n, max: BigInt(MAX_TIMESTAMP) }).map(Number),
);
const seconds = fc.oneof(
  fc.constantFrom(0, YEAR_SECONDS, 0.1),
  fc.double({ min: 0, max: YEAR_SECONDS, noNaN: true }),
);

/** startedAtKnown as producers give it: absent (true), true, or false. */
function withStart(run: RunCompleted, known: boolean | undefined): RunCompleted {
  return known === undefined ? run : { ...run, startedAtKnown: known };
}
const startedAtKnown = fc.constantFrom(undefined, true, false);

/** Events validateRun accepts (asserted in the properties). */
const validRun: fc.Arbitrary<RunCompleted> = fc
  .record({
    runId: text(1, 60),
    test: text(1, 60),
    namespace: text(0, 60),
    result: fc.constantFrom(...RESULTS),
    score: fc.integer({ min: 0, max: 100 }),
    times: fc.tuple(timestamp, timestamp).map(([a, b]) => (a <= b ? [a, b] : [b, a])),
    rtoSeconds: opt(seconds),
    backupName: opt(text(0, 60)),
    backupCreatedAt: opt(timestamp),
    rtoTargetSeconds: opt(seconds),
    cluster: opt(text(0, 60)),
    known: startedAtKnown,
  })
  .map(({ times: [startedAt, completedAt], known, ...rest }) =>
    withStart({ ...rest, startedAt: startedAt as number, completedAt: completedAt as number }, known),
  );

/** Anything the schema carries within the codec's limits, valid or not: NaN, -0, negative longs, int32. */
const codecLong = fc.bigInt({ min: -(2n ** 52n) + 1n, max: 2n ** 52n - 1n }).map(Number);
const anyDouble = fc.double();
const wireRun: fc.Arbitrary<RunCompleted> = fc
  .record({
    runId: text(0, 30),
    test: text(0, 30),
    namespace: text(0, 30),
    result: fc.constantFrom(...RESULTS),
    score: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    startedAt: codecLong,
    completedAt: codecLong,
    rtoSeconds: opt(anyDouble),
    backupName: opt(text(0, 30)),
    backupCreatedAt: opt(codecLong),
    rtoTargetSeconds: opt(anyDouble),
    cluster: opt(text(0, 30)),
    known: startedAtKnown,
  })
  .map(({ known, ...run }) => withStart(run, known));

const versions: SchemaVersion[] = [1, 2, 3];
/** What a writer can carry: v1 has no cluster, v1 and v2 no startedAtKnown. */
function writable(run: RunCompleted, writer: SchemaVersion): RunCompleted {
  const { startedAtKnown: known, ...rest } = run;
  if (writer === 3) return run;
  return writer === 1 ? { ...rest, cluster: null } : rest;
}
/** What a reader sees: each field only when both sides have it; startedAtKnown only when false. */
function expectedRead(run: RunCompleted, writer: SchemaVersion, reader: SchemaVersion): RunCompleted {
  const { startedAtKnown: known, ...rest } = run;
  const read = { ...rest, cluster: writer >= 2 && reader >= 2 ? run.cluster : null };
  return known === false && writer === 3 && reader === 3 ? { ...read, startedAtKnown: false } : read;
}

function throwsReason(fn: () => unknown, reason: CodecErrorReason): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CodecError, `expected a CodecError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return true;
  });
}

const sample: RunCompleted = {
  runId: "r",
  test: "t",
  namespace: "n",
  result: "fail",
  score: 100,
  startedAt: 0,
  completedAt: 1000,
  rtoSeconds: null,
  backupName: null,
  backupCreatedAt: null,
  rtoTargetSeconds: null,
  cluster: null,
};

// ---- Tests ------------------------------------------------------------------------------------------

describe("encoding", () => {
  test("a small event encodes to the bytes written out by hand", () => {
    const codec = createCodec(2);
    // "r" "t" "n", fail = index 1 -> 02, 100 -> zigzag 200 -> C8 01, 0 -> 00, 1000 -> zigzag 2000 -> D0 0F,
    // four null unions -> 00 x4, and for v2 the null cluster -> 00.
    const v1 = "c30152ede030ee0895d1" + "0272" + "0274" + "026e" + "02" + "c801" + "00" + "d00f" + "00000000";
    assert.equal(codec.encode(sample, 1).toString("hex"), v1);
    assert.equal(codec.encode(sample, 2).toString("hex"), `c30191f1ceb283887b92${v1.slice(20)}00`);
    const set: RunCompleted = {
      ...sample,
      rtoSeconds: 1.5,
      backupName: "b",
      backupCreatedAt: -1,
      rtoTargetSeconds: 2,
      cluster: "c",
    };
    // 1.5 = 3FF8000000000000, 2 = 4000000000000000 (little-endian on the wire); -1 -> zigzag 1 -> 01.
    const optionals = "02000000000000f83f" + "020262" + "0201" + "020000000000000040";
    assert.equal(
      codec.encode(set, 2).toString("hex"),
      `c30191f1ceb283887b92${v1.slice(20, -8)}${optionals}020263`,
    );
  });

  test("every valid event encodes to header + the specification's binary encoding", () => {
    const codec = createCodec(2);
    fc.assert(
      fc.property(validRun, fc.constantFrom(...versions), (run, writer) => {
        const written = writable(run, writer);
        assert.deepEqual(codec.encode(written, writer), message(writer, specDatum(written, writer)));
      }),
      { numRuns: 300 },
    );
  });

  test("v3 appends startedAtKnown as one byte after cluster: 00 for false, 01 for true or absent", () => {
    const codec = createCodec();
    const v2 = codec.encode(sample, 2).toString("hex").slice(20);
    const v3 = (run: RunCompleted) => codec.encode(run, 3).toString("hex");
    assert.equal(v3({ ...sample, startedAtKnown: false }), `c301${JAVA_FINGERPRINT[3]}${v2}00`);
    assert.equal(v3({ ...sample, startedAtKnown: true }), `c301${JAVA_FINGERPRINT[3]}${v2}01`);
    assert.equal(v3(sample), `c301${JAVA_FINGERPRINT[3]}${v2}01`);
  });

  test("the default writer is the lowest version that carries the run", () => {
    const codec = createCodec();
    const writer = (run: RunCompleted) => codec.writerAt(codec.encode(run), 0);
    assert.equal(writer(sample), 1);
    assert.equal(writer({ ...sample, startedAtKnown: true }), 1);
    assert.equal(writer({ ...sample, cluster: "" }), 2);
    assert.equal(writer({ ...sample, startedAtKnown: false }), 3);
    assert.equal(writer({ ...sample, cluster: "c", startedAtKnown: false }), 3);
    fc.assert(
      fc.property(validRun, (run) => {
        const chosen = writerVersionFor(run);
        assert.equal(writer(run), chosen);
        // No lower version carries it; every version from it up does.
        for (const v of versions) {
          if (v < chosen) throwsReason(() => codec.encode(run, v), "schema_violation");
          else assert.deepStrictEqual({ ...codec.decode(codec.encode(run, v)) }, expectedRead(run, 3, 3));
        }
      }),
      { numRuns: 200 },
    );
    assert.equal(writerVersionFor(sample, 2), 2);
    assert.equal(writerVersionFor({ ...sample, startedAtKnown: false }, 2), 3);
    for (const v of versions) assert.equal(createCodec().fingerprintHex(v), JAVA_FINGERPRINT[v]);
  });
});

describe("round trips for every writer/reader pair", () => {
  for (const writer of versions) {
    for (const reader of versions) {
      test(`v${writer} writer -> v${reader} reader: valid events come back equal`, () => {
        const encoder = createCodec(2);
        const decoder = createCodec(reader);
        fc.assert(
          fc.property(validRun, (run) => {
            validateRun(run);
            const written = writable(run, writer);
            const decoded = decoder.decode(encoder.encode(written, writer));
            assert.deepStrictEqual({ ...decoded }, expectedRead(written, writer, reader));
          }),
          { numRuns: 250 },
        );
      });

      test(`v${writer} writer -> v${reader} reader: any schema-valid datum (NaN, -0, negative longs) survives`, () => {
        const encoder = createCodec(2);
        const decoder = createCodec(reader);
        fc.assert(
          fc.property(wireRun, (run) => {
            const written = writable(run, writer);
            const decoded = decoder.decode(encoder.encode(written, writer));
            assert.deepStrictEqual({ ...decoded }, expectedRead(written, writer, reader));
          }),
          { numRuns: 250 },
        );
      });
    }
  }

  test("decode reads a Uint8Array view at a non-zero offset of a larger buffer", () => {
    const bytes = createCodec(2).encode({ ...sample, cluster: "c" }, 2);
    const backing = new Uint8Array(bytes.length + 7);
    backing.set(bytes, 3);
    const view = new Uint8Array(backing.buffer, 3, bytes.length);
    assert.deepStrictEqual({ ...createCodec(2).decode(view) }, { ...sample, cluster: "c" });
  });
});

describe("schema resolution between v1, v2 and v3", () => {
  const withCluster: RunCompleted = { ...sample, cluster: "prod-eu-west-1" };

  test("v1 bytes (hand-built) read by a v2 reader: cluster takes its default null", () => {
    const decoded = createCodec(2).decode(message(1, specDatum(sample, 1)));
    assert.deepStrictEqual({ ...decoded }, { ...sample, cluster: null });
  });

  test("v2 bytes (hand-built) read by a v1 reader: cluster is skipped and reads as null", () => {
    const bytes = message(2, specDatum(withCluster, 2));
    const decoded = createCodec(1).decode(bytes);
    assert.deepStrictEqual({ ...decoded }, { ...withCluster, cluster: null });
    // The reader does not stop early: the skipped cluster is consumed, so nothing trails.
    assert.equal(createCodec(2).decode(bytes).cluster, "prod-eu-west-1");
  });

  test("v1 and v2 bytes read by a v3 reader: startedAtKnown takes its default true (absent)", () => {
    for (const writer of [1, 2] as const) {
      const decoded = createCodec(3).decode(message(writer, specDatum(sample, writer)));
      assert.deepStrictEqual({ ...decoded }, sample);
      assert.equal("startedAtKnown" in decoded, false);
    }
  });

  test("v3 bytes read by a v1 or v2 reader: startedAtKnown is skipped, nothing trails", () => {
    const unknown: RunCompleted = { ...withCluster, startedAtKnown: false };
    const bytes = message(3, specDatum(unknown, 3));
    assert.deepStrictEqual({ ...createCodec(2).decode(bytes) }, withCluster);
    assert.deepStrictEqual({ ...createCodec(1).decode(bytes) }, { ...withCluster, cluster: null });
    assert.deepStrictEqual({ ...createCodec(3).decode(bytes) }, unknown);
  });

  test("each reader knows every writer whatever its own version", () => {
    for (const reader of versions) {
      assert.equal(createCodec(reader).readerVersion, reader);
      for (const writer of versions) {
        assert.doesNotThrow(() => createCodec(reader).decode(message(writer, specDatum(sample, writer))));
      }
    }
  });
});

describe("typed errors when decoding", () => {
  const good = createCodec(2).encode({ ...sample, rtoSeconds: 12.5, backupName: "bk", cluster: "c1" }, 2);

  test("bad_magic: wrong first or second byte, plain JSON, a lone non-magic byte", () => {
    const codec = createCodec(2);
    throwsReason(
      () => codec.decode(Buffer.concat([Buffer.from([0xc3, 0x00]), good.subarray(2)])),
      "bad_magic",
    );
    throwsReason(
      () => codec.decode(Buffer.concat([Buffer.from([0xc2, 0x01]), good.subarray(2)])),
      "bad_magic",
    );
    throwsReason(() => codec.decode(Buffer.from(JSON.stringify(sample))), "bad_magic");
    throwsReason(() => codec.decode(Buffer.from([0x00])), "bad_magic");
    throwsReason(() => codec.decode(Buffer.from([0x01, 0xc3])), "bad_magic");
    throwsReason(() => codec.decode(Buffer.from([0xc3, 0x02, 0x00])), "bad_magic");
  });

  test("unknown_fingerprint: any changed fingerprint byte", () => {
    const codec = createCodec(2);
    for (let i = 2; i < 10; i++) {
      const bytes = Buffer.from(good);
      bytes[i] = (bytes[i] as number) ^ 0x01;
      throwsReason(() => codec.decode(bytes), "unknown_fingerprint");
    }
  });

  test("truncated: every prefix of the header", () => {
    const codec = createCodec(2);
    for (let n = 0; n < 10; n++) throwsReason(() => codec.decode(good.subarray(0, n)), "truncated");
  });

  test("truncated: every prefix of the datum, for both writers and readers", () => {
    for (const writer of versions) {
      const bytes = createCodec(2).encode(
        writable(
          { ...sample, rtoSeconds: 1.5, backupName: "bk", backupCreatedAt: 7, rtoTargetSeconds: 9 },
          writer,
        ),
        writer,
      );
      for (const reader of versions) {
        const codec = createCodec(reader);
        for (let n = 10; n < bytes.length; n++)
          throwsReason(() => codec.decode(bytes.subarray(0, n)), "truncated");
      }
    }
  });

  test("trailing_bytes: anything after the datum", () => {
    const codec = createCodec(2);
    throwsReason(() => codec.decode(Buffer.concat([good, Buffer.from([0x00])])), "trailing_bytes");
    throwsReason(() => codec.decode(Buffer.concat([good, good])), "trailing_bytes");
    // A v1 datum labelled as v2 is one byte short; a v2 datum labelled as v1 has the cluster left over.
    const v2AsV1 = message(1, specDatum({ ...sample, cluster: "c" }, 2));
    throwsReason(() => codec.decode(v2AsV1), "trailing_bytes");
    throwsReason(() => codec.decode(message(2, specDatum(sample, 1))), "truncated");
  });

  test("too_large: one byte over MAX_MESSAGE_BYTES, checked before anything else", () => {
    const codec = createCodec(2);
    assert.equal(MAX_MESSAGE_BYTES, 64 * 1024);
    const big = Buffer.alloc(MAX_MESSAGE_BYTES + 1);
    good.copy(big);
    throwsReason(() => codec.decode(big), "too_large");
    throwsReason(() => codec.decode(big.subarray(0, MAX_MESSAGE_BYTES)), "trailing_bytes");
    // A datum that really is that large (a huge runId) is refused by size, not by content.
    throwsReason(
      () => codec.decode(message(2, specDatum({ ...sample, runId: "x".repeat(70_000) }, 2))),
      "too_large",
    );
  });

  test("undecodable: enum index out of range, union index out of range", () => {
    const codec = createCodec(2);
    const datum = specDatum(sample, 2);
    const resultAt = 6; // after three one-character strings
    const badEnum = [...datum];
    badEnum.splice(resultAt, 1, ...long(3));
    throwsReason(() => codec.decode(message(2, badEnum)), "undecodable");
    const negativeEnum = [...datum];
    negativeEnum.splice(resultAt, 1, ...long(-1));
    throwsReason(() => codec.decode(message(2, negativeEnum)), "undecodable");
    const badUnion = [...datum.slice(0, -1), ...long(2)]; // cluster's union index 2 of [null, string]
    throwsReason(() => codec.decode(message(2, badUnion)), "undecodable");
  });

  test("undecodable: a v3 boolean byte other than 0 or 1 (which Avro implementations read differently)", () => {
    const codec = createCodec();
    const datum = specDatum({ ...sample, startedAtKnown: false }, 3);
    for (const b of [2, 3, 0x7f, 0x80, 0xff]) {
      throwsReason(() => codec.decode(message(3, [...datum.slice(0, -1), b])), "undecodable");
      throwsReason(() => createCodec(2).decode(message(3, [...datum.slice(0, -1), b])), "undecodable");
    }
    assert.equal(codec.decode(message(3, [...datum.slice(0, -1), 0])).startedAtKnown, false);
    assert.equal("startedAtKnown" in codec.decode(message(3, [...datum.slice(0, -1), 1])), false);
  });

  test("undecodable: an int wider than 32 bits, a long beyond ±2^52", () => {
    const codec = createCodec(2);
    throwsReason(() => codec.decode(message(2, specDatum({ ...sample, score: 2 ** 31 }, 2))), "undecodable");
    throwsReason(
      () => codec.decode(message(2, specDatum({ ...sample, score: -(2 ** 31) - 1 }, 2))),
      "undecodable",
    );
    for (const n of [2n ** 52n, -(2n ** 52n) - 1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n]) {
      const datum = [...specDatum(sample, 2).slice(0, -3), ...long(1), ...long(n), ...long(0), ...long(0)];
      throwsReason(() => codec.decode(message(2, datum)), "undecodable");
    }
    // The limits themselves are fine.
    for (const n of [2 ** 52 - 1, -(2 ** 52) + 1]) {
      const run = { ...sample, backupCreatedAt: n };
      assert.deepStrictEqual({ ...codec.decode(message(2, specDatum(run, 2))) }, run);
    }
  });
});

describe("typed errors when encoding", () => {
  const codec = createCodec(2);
  const bad = (patch: Record<string, unknown>): RunCompleted => ({ ...sample, ...patch }) as RunCompleted;

  test("schema_violation: values the schema cannot carry", () => {
    for (const patch of [
      { score: 1.5 },
      { score: 2 ** 31 },
      { score: Number.NaN },
      { result: "unknown" },
      { result: "PASS" },
      { startedAt: 1.5 },
      { completedAt: Number.POSITIVE_INFINITY },
      { startedAt: 2 ** 52 },
      { backupCreatedAt: -(2 ** 53 - 2) },
      { runId: null },
      { test: 42 },
      { rtoSeconds: "1" },
      { backupName: 1 },
    ]) {
      for (const writer of versions) {
        throwsReason(() => codec.encode(bad(patch), writer), "schema_violation");
      }
    }
  });

  test("schema_violation: a v1 write with cluster set, even to the empty string", () => {
    throwsReason(() => codec.encode({ ...sample, cluster: "prod" }, 1), "schema_violation");
    throwsReason(() => codec.encode({ ...sample, cluster: "" }, 1), "schema_violation");
    assert.doesNotThrow(() => codec.encode({ ...sample, cluster: "" }, 2));
  });

  test("schema_violation naming the field: a forced version that would drop cluster or startedAtKnown", () => {
    const field = (run: RunCompleted, version: SchemaVersion) => {
      try {
        codec.encode(run, version);
      } catch (err) {
        assert.ok(err instanceof CodecError && err.reason === "schema_violation");
        assert.match(err.message, new RegExp(`${err.field}`));
        return err.field;
      }
      return "written";
    };
    const unknown = { ...sample, startedAtKnown: false };
    assert.equal(field({ ...sample, cluster: "c" }, 1), "cluster");
    assert.equal(field(unknown, 1), "startedAtKnown");
    assert.equal(field(unknown, 2), "startedAtKnown");
    assert.equal(field(unknown, 3), "written");
    // true is the default: nothing is lost without the field.
    assert.equal(field({ ...sample, startedAtKnown: true }, 1), "written");
    assert.equal(field({ ...sample, startedAtKnown: "no" as unknown as boolean }, 3), "startedAtKnown");
  });

  test("unknown_fingerprint: a schema version that does not exist", () => {
    throwsReason(() => codec.encode(sample, 4 as SchemaVersion), "unknown_fingerprint");
  });
});
