/**
 * TestRetired on the wire and its validation: the bytes against an encoder written from the Avro
 * specification, the golden vectors, and the same refusals (with the same reasons) as a run's.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  CodecError,
  crc64Avro,
  createCodec,
  parsingCanonicalForm,
  type TestRetired,
  ValidationError,
  type ValidationReason,
  validateRetirement,
} from "../../../services/contract/index.ts";
import { loadRetirementSchema } from "../../../services/contract/schemas.ts";
import { run } from "../../support/runs.ts";

const LAST_MS_OF_9999 = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function long(n: number): number[] {
  let z = (BigInt(n) << 1n) ^ (BigInt(n) >> 63n);
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}
const string = (s: string) => {
  const bytes = [...Buffer.from(s, "utf8")];
  return [...long(bytes.length), ...bytes];
};
const optional = (s: string | null) => (s === null ? long(0) : [...long(1), ...string(s)]);

/** The Avro binary datum of a TestRetired, field by field from the schema's order. */
function specDatum(r: TestRetired): Buffer {
  return Buffer.from([
    ...string(r.test),
    ...string(r.namespace),
    ...optional(r.cluster),
    ...long(r.retiredAt),
    ...optional(r.reason),
  ]);
}

const ok: TestRetired = {
  test: "my-app-nightly",
  namespace: "shop",
  cluster: null,
  retiredAt: Date.UTC(2026, 10, 27),
  reason: "RestoreTest deleted",
};

const retirementArb: fc.Arbitrary<TestRetired> = fc.record({
  test: fc.string({ minLength: 1, maxLength: 40 }),
  namespace: fc.string({ maxLength: 20 }),
  cluster: fc.option(fc.string({ maxLength: 20 })),
  retiredAt: fc.integer({ min: 0, max: LAST_MS_OF_9999 }),
  reason: fc.option(fc.string({ maxLength: 60 })),
});

describe("TestRetired codec", () => {
  const codec = createCodec();
  const fp = () => {
    const le = Buffer.alloc(8);
    le.writeBigUInt64LE(crc64Avro(Buffer.from(parsingCanonicalForm(loadRetirementSchema()), "utf8")));
    return le;
  };

  test("its fingerprint is its own, neither RunCompleted writer's", () => {
    assert.equal(codec.retirementFingerprintHex, fp().toString("hex"));
    assert.notEqual(codec.retirementFingerprintHex, codec.fingerprintHex(1));
    assert.notEqual(codec.retirementFingerprintHex, codec.fingerprintHex(2));
  });

  test("encodes as C3 01, the fingerprint, then the specification's datum, and decodes back", () => {
    fc.assert(
      fc.property(retirementArb, (r) => {
        const bytes = codec.encodeRetirement(r);
        assert.deepEqual(bytes, Buffer.concat([Buffer.from([0xc3, 0x01]), fp(), specDatum(r)]));
        assert.deepStrictEqual(codec.decodeEvent(bytes), { kind: "retired", retirement: { ...r } });
      }),
      { numRuns: 200 },
    );
  });

  test("decodeEvent tells runs from retirements; decode() takes runs only", () => {
    const r = run();
    const decoded = codec.decodeEvent(codec.encode(r));
    assert.equal(decoded.kind, "run");
    assert.deepStrictEqual(decoded.kind === "run" ? { ...decoded.run } : null, r);
    assert.throws(
      () => codec.decode(codec.encodeRetirement(ok)),
      (e: unknown) => e instanceof CodecError && e.reason === "unknown_fingerprint",
    );
  });

  test("damaged retirements are refused with the reasons a run's damage gets", () => {
    const good = codec.encodeRetirement(ok);
    const cases: [Buffer, string][] = [
      [good.subarray(0, good.length - 2), "truncated"],
      [Buffer.concat([good, Buffer.from([0])]), "trailing_bytes"],
      [Buffer.concat([Buffer.from([0xc3, 0x02]), good.subarray(2)]), "bad_magic"],
      [Buffer.concat([good, Buffer.alloc(64 * 1024)]), "too_large"],
      // The cluster union's index 5 does not exist.
      [
        Buffer.concat([good.subarray(0, 10 + 1 + 14 + 1 + 4), Buffer.from([10]), good.subarray(26 + 4)]),
        "undecodable",
      ],
    ];
    for (const [bytes, reason] of cases) {
      assert.throws(
        () => codec.decodeEvent(bytes),
        (e: unknown) => e instanceof CodecError && e.reason === reason,
        reason,
      );
    }
  });

  test("refuses to write what the schema cannot carry", () => {
    for (const bad of [
      { ...ok, retiredAt: 2 ** 53 },
      { ...ok, retiredAt: 1.5 },
      { ...ok, test: 7 as unknown as string },
    ]) {
      assert.throws(
        () => codec.encodeRetirement(bad),
        (e: unknown) => e instanceof CodecError && e.reason === "schema_violation",
      );
    }
  });
});

describe("golden vectors: TestRetired", () => {
  const file = JSON.parse(
    readFileSync(new URL("../../../schemas/vectors/test-retired.json", import.meta.url), "utf8"),
  ) as {
    schemas: { v1: { file: string; fingerprint: string; canonicalForm: string } };
    vectors: { name: string; event: TestRetired; v1: string }[];
  };

  test("the schema entry is ours", () => {
    assert.equal(file.schemas.v1.file, "test-retired.v1.avsc");
    assert.equal(file.schemas.v1.canonicalForm, parsingCanonicalForm(loadRetirementSchema()));
    assert.equal(file.schemas.v1.fingerprint, createCodec().retirementFingerprintHex);
  });

  test("every vector is valid, written exactly so by our codec and read back", () => {
    assert.ok(file.vectors.length >= 3);
    const codec = createCodec();
    for (const v of file.vectors) {
      validateRetirement(v.event);
      assert.equal(codec.encodeRetirement(v.event).toString("hex"), v.v1, v.name);
      assert.equal(specDatum(v.event).toString("hex"), v.v1.slice(20), v.name);
      assert.deepStrictEqual(codec.decodeEvent(Buffer.from(v.v1, "hex")), {
        kind: "retired",
        retirement: v.event,
      });
    }
  });
});

describe("validateRetirement", () => {
  function rejects(patch: Partial<TestRetired>, reason: ValidationReason, field: string): void {
    assert.throws(
      () => validateRetirement({ ...ok, ...patch }),
      (e: unknown) => e instanceof ValidationError && e.reason === reason && e.field === field,
      JSON.stringify(patch),
    );
  }

  test("every rule, on each side of its boundary", () => {
    rejects({ test: "" }, "empty_test", "test");
    rejects({ test: "x".repeat(254) }, "oversized_field", "test");
    rejects({ namespace: "x".repeat(254) }, "oversized_field", "namespace");
    rejects({ cluster: "x".repeat(254) }, "oversized_field", "cluster");
    rejects({ reason: "x".repeat(1025) }, "oversized_field", "reason");
    rejects({ retiredAt: -1 }, "timestamp_out_of_range", "retiredAt");
    rejects({ retiredAt: LAST_MS_OF_9999 + 1 }, "timestamp_out_of_range", "retiredAt");
    rejects({ retiredAt: 1.5 }, "timestamp_out_of_range", "retiredAt");
    for (const fine of [
      { test: "x".repeat(253), namespace: "x".repeat(253), cluster: "x".repeat(253) },
      { reason: "x".repeat(1024), retiredAt: 0 },
      { retiredAt: LAST_MS_OF_9999, cluster: "", namespace: "", reason: null },
    ]) {
      assert.doesNotThrow(() => validateRetirement({ ...ok, ...fine }), JSON.stringify(fine));
    }
  });
});
