/**
 * prepare(): what the SDK sends for an input, or how it refuses it; the CLIs judge records
 * with it. A run without startedAt is one whose start is not known.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createCodec, type RunCompleted } from "../../../services/contract/index.ts";
import { PublishError } from "../../../services/producer/errors.ts";
import { prepare, prepareRetirement } from "../../../services/producer/prepare.ts";

const run: RunCompleted = {
  runId: "r-1",
  test: "my-app-nightly",
  namespace: "shop",
  result: "pass",
  score: 97,
  startedAt: 1795662000000,
  completedAt: 1795662850000,
  rtoSeconds: 695,
  backupName: null,
  backupCreatedAt: null,
  rtoTargetSeconds: null,
  cluster: "prod",
};

function refusal(work: () => unknown): PublishError {
  try {
    work();
  } catch (err) {
    assert.ok(err instanceof PublishError, String(err));
    return err;
  }
  assert.fail("expected a PublishError");
}

describe("prepare", () => {
  test("a known start: the run as given, keyed by test, encoded as the codec would", () => {
    const prepared = prepare(run);
    assert.deepEqual(prepared.run, run);
    assert.equal(prepared.message.key?.toString(), run.test);
    assert.deepEqual(prepared.message.value, createCodec().encode(run));
  });

  test("no startedAt (absent or null): startedAt = completedAt and startedAtKnown false", () => {
    const { startedAt: _s, ...withoutStart } = run;
    for (const input of [withoutStart, { ...run, startedAt: null }, { ...run, startedAtKnown: false }]) {
      const { run: sent } = prepare(input);
      assert.equal(sent.startedAt, run.completedAt);
      assert.equal(sent.startedAtKnown, false);
    }
    assert.equal("startedAtKnown" in prepare(run).run, false, "a known start adds no field");
  });

  test("an unknown start cannot be 'before' anything; a bad completedAt is named as such", () => {
    const { startedAt: _s, ...withoutStart } = run;
    assert.equal(refusal(() => prepare({ ...withoutStart, completedAt: -5 })).field, "completedAt");
    const typed = refusal(() => prepare({ ...run, startedAt: null, startedAtKnown: true }));
    assert.equal(typed.field, "startedAt");
    assert.equal(refusal(() => prepare({ ...run, startedAtKnown: "no" } as never)).field, "startedAtKnown");
  });

  test("refusals are PublishErrors naming the field and reason", () => {
    const low = refusal(() => prepare({ ...run, completedAt: run.startedAt - 1 }));
    assert.deepEqual(
      [low.kind, low.field, low.reason],
      ["validation", "completedAt", "completed_before_started"],
    );
    const v1 = refusal(() => prepare(run, { schemaVersion: 1 }));
    assert.deepEqual([v1.kind, v1.field], ["encoding", "cluster"]);
    assert.equal(prepare({ ...run, cluster: null }, { schemaVersion: 1 }).run.cluster, null);
  });
});

test("prepareRetirement: the event with defaults filled, or a refusal naming the field", () => {
  const ok = { test: "t", namespace: "n", retiredAt: 1795662850000 };
  assert.deepEqual(prepareRetirement(ok).retirement, { ...ok, cluster: null, reason: null });
  assert.equal(refusal(() => prepareRetirement({ ...ok, test: "" })).field, "test");
});
