/**
 * The key places a test in its partition, so ingest refuses a message whose key is not the test
 * name's UTF-8. Checked on both of the reader's paths: read in place (ASCII runId) and decoded
 * by avsc (non-ASCII runId), for keys that differ in one byte or in length, or are null, and
 * for test names whose bytes are ill-formed UTF-8: the name is their lossy decoding, so those
 * raw bytes as the key do not match it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createState } from "../../../../services/api/core/index.ts";
import { createDomainView } from "../../../../services/api/metrics/render/domain.ts";
import { ingestBatch } from "../../../../services/api/worker/ingest-batch.ts";
import { pack } from "../../../../services/api/worker/protocol.ts";
import { createCodec, createFactsReader, type RunCompleted } from "../../../../services/contract/index.ts";
import { domainSamples } from "../../../support/exposition.ts";
import { run } from "../../../support/runs.ts";

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

/** Ill-formed UTF-8 sequences (a lone continuation byte, a truncated or overlong one, a surrogate). */
const ILL_FORMED = [[0xff, 0xc3, 0x28], [0x80], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80]].map((b) =>
  Buffer.from(b),
);

/** A run of test `name`, encoded, with the name's bytes replaced by `nameBytes` (same length). */
function encodedWithName(name: string, nameBytes: Buffer, runId: string): Buffer {
  const value = codec.encode(run({ test: name, runId }));
  const at = value.indexOf(Buffer.from(name, "utf8"), 10 + 1 + runId.length);
  assert.ok(at > 0);
  nameBytes.copy(value, at);
  return value;
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
      const raw = messages.map((m, i) => ({
        key: m.key,
        value: codec.encode(run({ test: m.name, runId: `${m.runId}-${i}` })),
      }));
      const result = ingestBatch(read, state, pack(raw));

      const expected = messages.flatMap((m, i) => (m.key?.equals(Buffer.from(m.name, "utf8")) ? [] : [i]));
      assert.deepEqual(
        result.refused.map((r) => r.index),
        expected,
      );
      for (const r of result.refused) {
        assert.equal(r.reason, "key_mismatch");
        // Refused messages travel back with bytes of their own, not views of the whole batch.
        const sent = raw[r.index] as (typeof raw)[number];
        assert.deepEqual(r.key === null ? null : Buffer.from(r.key), sent.key);
        assert.deepEqual(Buffer.from(r.value as Uint8Array), sent.value);
        assert.equal(r.value?.buffer.byteLength, sent.value.length);
      }
      assert.equal(result.tests, state.byName.size);
      assert.equal(result.applied, messages.length - expected.length);
    }),
    { numRuns: 300 },
  );
});

test("a test name of ill-formed UTF-8 with its raw bytes as the key is refused as key_mismatch", () => {
  const read = createFactsReader(codec);
  const state = createState();
  const messages: { key: Buffer | null; value: Buffer }[] = [];
  ILL_FORMED.forEach((bad, i) => {
    const placeholder = "Q".repeat(bad.length);
    for (const runId of [`run-${i}`, `rün-${i}`]) {
      // Twice each: the reader's name table knows the name the second time.
      for (let k = 0; k < 2; k++) {
        const value = encodedWithName(placeholder, bad, `${runId}-${k}`);
        messages.push({ key: Buffer.from(bad), value });
        messages.push({ key: Buffer.from(bad.toString("utf8"), "utf8"), value });
      }
    }
  });
  const result = ingestBatch(read, state, pack(messages));
  // The raw bytes as the key never match: the name is their lossy decoding, whose UTF-8 is other
  // bytes. A key of that decoding's UTF-8 does match, as on the decoded path.
  const expected = messages.flatMap((_, i) => (i % 2 === 0 ? [i] : []));
  assert.deepEqual(
    result.refused.map((r) => [r.index, r.reason]),
    expected.map((i) => [i, "key_mismatch"]),
  );
  assert.equal(result.applied, messages.length - expected.length);
});

test("a new name collision says which identity setting keeps its identities apart", () => {
  const read = createFactsReader(codec);
  const collisionOf = (first: Partial<RunCompleted>, second: Partial<RunCompleted>) => {
    const state = createState();
    const runs = [run({ runId: "r-1", ...first }), run({ runId: "r-2", ...second })];
    const outcome = ingestBatch(
      read,
      state,
      pack(runs.map((r) => ({ key: Buffer.from(r.test, "utf8"), value: codec.encode(r) }))),
    );
    assert.equal(outcome.applied, 2);
    return outcome.newCollisions;
  };
  assert.deepEqual(collisionOf({ namespace: "a" }, { namespace: "b" }), [
    { test: "my-app-nightly", apartBy: "namespace" },
  ]);
  assert.deepEqual(
    collisionOf({ namespace: "a", cluster: "prod-eu" }, { namespace: "b", cluster: "prod-us" }),
    [{ test: "my-app-nightly", apartBy: "namespace" }],
  );
  // Same namespace, two clusters: only KYMAROS_TEST_IDENTITY=cluster keeps them apart.
  assert.deepEqual(
    collisionOf({ namespace: "a", cluster: "prod-eu" }, { namespace: "a", cluster: "prod-us" }),
    [{ test: "my-app-nightly", apartBy: "cluster" }],
  );
  assert.deepEqual(collisionOf({ namespace: "a" }, { namespace: "a" }), [], "one identity: no collision");
});

test("a v3 failure whose start is not known, through a packed batch, moves tests_total and score but not the histogram", () => {
  const read = createFactsReader(codec);
  const state = createState();
  const view = createDomainView(state);
  const message = (r: RunCompleted) => ({ key: Buffer.from(r.test, "utf8"), value: codec.encode(r) });
  const passed = run({ runId: "my-app-nightly-1" });
  assert.equal(ingestBatch(read, state, pack([message(passed)])).applied, 1);
  const before = view.render("text").toString();

  // As the bridge publishes a restore that failed outright: startedAt = completedAt, nothing else.
  const failed = run({
    runId: "my-app-nightly-2",
    result: "fail",
    score: 0,
    startedAt: passed.completedAt + 100_000,
    completedAt: passed.completedAt + 100_000,
    startedAtKnown: false,
    rtoSeconds: null,
    backupName: null,
    backupCreatedAt: null,
  });
  const bytes = message(failed);
  assert.equal(codec.writerAt(bytes.value, 0), 3);
  const outcome = ingestBatch(read, state, pack([bytes]));
  assert.deepEqual([outcome.applied, outcome.refused.length], [1, 0]);
  const after = view.render("text").toString();

  const histogram = (text: string) =>
    text.split("\n").filter((line) => line.startsWith("kymaros_test_duration_seconds"));
  assert.deepEqual(histogram(after), histogram(before));
  assert.ok(histogram(after).includes('kymaros_test_duration_seconds_count{test="my-app-nightly"} 1'));
  const samples = domainSamples(after);
  assert.equal(samples.get('kymaros_tests_total{test="my-app-nightly",result="fail"}'), "1");
  assert.equal(samples.get('kymaros_tests_total{test="my-app-nightly",result="pass"}'), "1");
  assert.equal(samples.get('kymaros_score{test="my-app-nightly"}'), "0");
  assert.equal(domainSamples(before).get('kymaros_score{test="my-app-nightly"}'), "96");
});
