import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RunIdSet } from "../../services/api/core/run-ids.ts";

/** Whether add() found the pair new (it answers with the new entry, or -1). */
function added(set: RunIdSet, ...args: Parameters<RunIdSet["add"]>): boolean {
  return set.add(...args) >= 0;
}

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
          assert.equal(added(set, testId, runId), !model.has(key), key);
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
  for (let i = 0; i < n; i++) assert.equal(added(set, i % 97, `run-${i}-${"x".repeat(i % 50)}`), true);
  for (let i = 0; i < n; i += 7) assert.equal(added(set, i % 97, `run-${i}-${"x".repeat(i % 50)}`), false);
  // Same runId, another test: another run.
  assert.equal(added(set, 98, "run-0-"), true);
  assert.equal(set.size, n + 1);
});

test("a runId stored without its test-name prefix is still told apart from every other", () => {
  const set = new RunIdSet();
  assert.equal(added(set, 1, "app-20260101", "app"), true);
  assert.equal(added(set, 1, "20260101", "app"), true, "the bare suffix is another runId");
  assert.equal(added(set, 1, "app-20260101", "app"), false);
  assert.equal(added(set, 1, "app-", "app"), true);
  assert.equal(added(set, 1, "", "app"), true);
  assert.equal(added(set, 1, "app", "app"), true);
  assert.equal(added(set, 1, "app-", "app"), false);
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
          assert.equal(added(set2, test === "a" ? 1 : 2, runId, test), !model.has(key));
          model.add(key);
        }
      },
    ),
  );
});

test("runIds that differ only in bytes the hash might confuse stay distinct", () => {
  const set = new RunIdSet();
  for (const id of ["", "a", "a\u0000", "\u00e9", "e\u0301", "\ud83d\ude00", "\ufffd"])
    assert.equal(added(set, 1, id), true, id);
  assert.equal(added(set, 1, "e\u0301"), false);
});

test("addAscii() and add() make the same entries, and runId() gives each string back", () => {
  const ascii = fc.string({
    unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
    maxLength: 12,
  });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom("", "app", "app-x", "é"), ascii, fc.boolean(), fc.boolean()), {
        maxLength: 200,
      }),
      (events) => {
        const set = new RunIdSet();
        const model = new Map<string, number>();
        const tests = ["", "app", "app-x", "é"];
        for (const [test, suffix, prefixed, asBytes] of events) {
          const runId = prefixed ? `${test}-${suffix}` : suffix;
          const testId = tests.indexOf(test);
          const key = JSON.stringify([testId, runId]);
          // The bytes in a larger buffer, as the facts reader hands them over.
          const bytes = Buffer.from(`<<${runId}>>`, "latin1");
          // addAscii() is for ASCII bytes only (the facts reader checks): a prefix of "é" is not.
          const entry =
            asBytes && !runId.includes("é")
              ? set.addAscii(testId, bytes, 2, 2 + runId.length, test)
              : set.add(testId, runId, test);
          assert.equal(entry >= 0, !model.has(key), key);
          if (entry >= 0) {
            assert.equal(entry, model.size, "entries are numbered in the order they were added");
            model.set(key, entry);
          }
          assert.equal(set.runId(model.get(key) as number, test), runId);
        }
        assert.equal(set.size, model.size);
      },
    ),
    { numRuns: 300 },
  );
});
