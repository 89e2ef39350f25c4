import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RunIdSet } from "../../services/api/core/run-ids.ts";

test("RunIdSet answers exactly like a Set of (test, runId) pairs", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.nat({ max: 5 }),
          fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: "binary", maxLength: 40 })),
        ),
        {
          maxLength: 400,
        },
      ),
      (pairs) => {
        const set = new RunIdSet();
        const model = new Set<string>();
        for (const [testId, runId] of pairs) {
          const key = JSON.stringify([testId, runId]);
          assert.equal(set.add(testId, runId), !model.has(key), key);
          model.add(key);
        }
        assert.equal(set.size, model.size);
      },
    ),
    { numRuns: 300 },
  );
});

test("RunIdSet keeps every entry across table and arena growth", () => {
  const set = new RunIdSet();
  const n = 200_000;
  for (let i = 0; i < n; i++) assert.equal(set.add(i % 97, `run-${i}-${"x".repeat(i % 50)}`), true);
  for (let i = 0; i < n; i += 7) assert.equal(set.add(i % 97, `run-${i}-${"x".repeat(i % 50)}`), false);
  // Same runId, another test: another run.
  assert.equal(set.add(98, "run-0-"), true);
  assert.equal(set.size, n + 1);
});

test("a runId stored without its test-name prefix is still told apart from every other", () => {
  const set = new RunIdSet();
  assert.equal(set.add(1, "app-20260101", "app"), true);
  assert.equal(set.add(1, "20260101", "app"), true, "the bare suffix is another runId");
  assert.equal(set.add(1, "app-20260101", "app"), false);
  assert.equal(set.add(1, "app-", "app"), true);
  assert.equal(set.add(1, "", "app"), true);
  assert.equal(set.add(1, "app", "app"), true);
  assert.equal(set.add(1, "app-", "app"), false);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom("", "a", "a-", "a-b", "b"), fc.constantFrom("a", "ab")), {
        maxLength: 50,
      }),
      (pairs) => {
        const set2 = new RunIdSet();
        const model = new Set<string>();
        for (const [runId, test] of pairs) {
          const key = JSON.stringify([test, runId]);
          assert.equal(set2.add(test === "a" ? 1 : 2, runId, test), !model.has(key));
          model.add(key);
        }
      },
    ),
  );
});

test("runIds that differ only in bytes the hash might confuse stay distinct", () => {
  const set = new RunIdSet();
  for (const id of ["", "a", "a\u0000", "\u00e9", "e\u0301", "\ud83d\ude00", "\ufffd"])
    assert.equal(set.add(1, id), true, id);
  assert.equal(set.add(1, "e\u0301"), false);
});
