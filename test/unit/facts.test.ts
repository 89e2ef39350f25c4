/**
 * decodeValidFacts() is the service's fast path: it skips the strings the state never keeps.
 * Its claim is exact equivalence with decode() + validateRun(): for any bytes at all, the same
 * verdict (the same refusal reason, or the same values for every kept field). Checked here on
 * valid events, events at and beyond every limit, and corrupted messages, for both writers.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  CodecError,
  createCodec,
  decodeValidFacts,
  RESULTS,
  type RunCompleted,
  type RunFacts,
  type SchemaVersion,
  ValidationError,
  validateRun,
} from "../../services/contract/index.ts";
import { MAX_NAME_LENGTH } from "../../services/contract/validate.ts";

type Verdict = { refused: string } | { facts: RunFacts };

function verdict(read: () => RunFacts): Verdict {
  try {
    const { namespace: _n, backupName: _b, cluster: _c, ...facts } = read() as RunCompleted;
    return { facts };
  } catch (err) {
    if (err instanceof CodecError || err instanceof ValidationError) return { refused: err.reason };
    throw err;
  }
}

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });
/** Lengths around the limits, in characters and in UTF-8 bytes (multi-byte characters included). */
const text = fc.oneof(
  { arbitrary: fc.string({ unit: "binary", maxLength: 30 }), weight: 12 },
  fc.string({ unit: "grapheme", minLength: MAX_NAME_LENGTH - 130, maxLength: MAX_NAME_LENGTH + 3 }),
  fc.string({ minLength: MAX_NAME_LENGTH - 2, maxLength: MAX_NAME_LENGTH + 2 }),
);
const long = fc.oneof(fc.integer({ min: -5, max: 300_000_000_000_000 }), fc.constantFrom(0, 1000, 1001));
const number = fc.oneof(fc.double(), fc.constantFrom(0, 1, 365 * 24 * 3600, 365 * 24 * 3600 + 1));

const anyRun: fc.Arbitrary<RunCompleted> = fc.record({
  runId: fc.oneof({ arbitrary: text, weight: 9 }, fc.string({ minLength: 510, maxLength: 514 })),
  test: text,
  namespace: text,
  result: fc.constantFrom(...RESULTS),
  score: fc.integer({ min: -3, max: 103 }),
  startedAt: long,
  completedAt: long,
  rtoSeconds: opt(number),
  backupName: opt(text),
  backupCreatedAt: opt(long),
  rtoTargetSeconds: opt(number),
  cluster: opt(text),
});

/** What can happen to bytes on the way: cut short, a byte changed, bytes added or dropped. */
const damage = fc.oneof(
  fc.constant((m: Buffer) => m),
  fc.nat().map((n) => (m: Buffer) => m.subarray(0, n % (m.length + 1))),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => (m: Buffer) => {
    const copy = Buffer.from(m);
    const i = 10 + (at % Math.max(1, m.length - 10));
    if (i < copy.length) copy[i] = (copy[i] as number) ^ x;
    return copy;
  }),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => (m: Buffer) => Buffer.concat([m, extra])),
  fc.nat().map((at) => (m: Buffer) => {
    const i = 10 + (at % Math.max(1, m.length - 10));
    return Buffer.concat([m.subarray(0, i), m.subarray(i + 1)]);
  }),
);

for (const reader of [1, 2] as SchemaVersion[]) {
  test(`v${reader} reader: decodeValidFacts gives decode + validateRun's verdict on any message`, () => {
    const codec = createCodec(reader);
    let fast = 0;
    fc.assert(
      fc.property(anyRun, fc.constantFrom<SchemaVersion>(1, 2), damage, (run, writer, hurt) => {
        let encoded: Buffer;
        try {
          encoded = codec.encode(writer === 1 ? { ...run, cluster: null } : run, writer);
        } catch {
          return; // not encodable (beyond ±2^52, or an int beyond 32 bits): nothing to read
        }
        const bytes = hurt(encoded);
        if (bytes.length - 10 <= MAX_NAME_LENGTH) fast += 1;
        const expected = verdict(() => {
          const full = codec.decode(bytes);
          validateRun(full);
          return full;
        });
        assert.deepStrictEqual(
          verdict(() => decodeValidFacts(codec, bytes)),
          expected,
        );
      }),
      { numRuns: 3000 },
    );
    // The property would hold vacuously if no message took the fast path.
    assert.ok(fast > 500, `only ${fast} messages were short enough for the fast path`);
  });
}

test("decodeValidFacts refuses an oversized skipped string in a long datum, as validateRun does", () => {
  const codec = createCodec(2);
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
    verdict(() => decodeValidFacts(codec, codec.encode(run))),
    { refused: "oversized_field" },
  );
  const ok = { ...run, namespace: "n".repeat(MAX_NAME_LENGTH) };
  assert.ok("facts" in verdict(() => decodeValidFacts(codec, codec.encode(ok))));
});
