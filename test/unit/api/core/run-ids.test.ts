import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RunIdSet } from "../../../../services/api/core/run-ids.ts";

/** add() of runId's UTF-8, lying inside a larger buffer as in a message: its entry, or -1. */
function addString(set: RunIdSet, testId: number, runId: string, test = ""): number {
  const bytes = Buffer.concat([Buffer.from("<<"), Buffer.from(runId, "utf8"), Buffer.from(">>")]);
  return set.add(testId, bytes, 2, bytes.length - 2, Buffer.from(test, "utf8"));
}

/** Whether add() found the pair new (it answers with the new entry, or -1). */
function added(set: RunIdSet, testId: number, runId: string, test = ""): boolean {
  return addString(set, testId, runId, test) >= 0;
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

test("entries are numbered in the order they were added, and runId() gives each string back", () => {
  // "Ã©" spells, in Latin-1, the UTF-8 bytes of "é": a runId of "é-..." must not pass for its prefix.
  const tests = ["", "app", "app-x", "é", "Ã©"];
  const suffix = fc.oneof(
    fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
    fc.string({ maxLength: 6 }),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...tests), fc.constantFrom("", ...tests), suffix, fc.boolean()), {
        maxLength: 200,
      }),
      (events) => {
        const set = new RunIdSet();
        const model = new Map<string, number>();
        for (const [test, lead, rest, prefixed] of events) {
          const runId = prefixed ? `${lead}-${rest}` : rest;
          const testId = tests.indexOf(test);
          const key = JSON.stringify([testId, runId]);
          const entry = addString(set, testId, runId, test);
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
