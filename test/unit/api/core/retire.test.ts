/** Retirement and identity in the core, case by case (the property tests in core.test.ts cover any order). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { apply, createState, retire } from "../../../../services/api/core/index.ts";
import { createDomainView } from "../../../../services/api/metrics/render/domain.ts";
import {
  factsOf,
  type RunCompleted,
  retirementFactsOf,
  type TestRetired,
} from "../../../../services/contract/index.ts";
import { domainSamples } from "../../../support/exposition.ts";
import { retirement, run } from "../../../support/runs.ts";

const T = 'test="my-app-nightly"';
const at = (minutes: number) => Date.UTC(2026, 10, 1) + minutes * 60_000;
/** A run of my-app-nightly that completes `minutes` after the start of the day, 10 minutes long. */
const runAt = (minutes: number, more: Partial<RunCompleted> = {}) =>
  run({ runId: `r${minutes}`, startedAt: at(minutes - 10), completedAt: at(minutes), ...more });
const retiredAt = (minutes: number, more: Partial<TestRetired> = {}) =>
  retirement({ retiredAt: at(minutes), ...more });

function play(events: readonly (RunCompleted | TestRetired)[], labels: "test" | "namespace" = "test") {
  const state = createState();
  const view = createDomainView(state, labels);
  const outcomes = events.map((e) =>
    "runId" in e ? apply(state, factsOf(e)) : retire(state, retirementFactsOf(e)),
  );
  return { state, outcomes, samples: domainSamples(view.render("text").toString()) };
}

test("a retired test with no run after its retirement has no series at all", () => {
  const { samples, state } = play([runAt(10, { score: 40, result: "fail" }), runAt(20), retiredAt(30)]);
  assert.deepEqual([...samples.keys()], []);
  assert.equal(state.retiredTests, 1);
});

test("a retirement at a run's exact completion ends that run too", () => {
  const { samples } = play([runAt(10), retiredAt(10)]);
  assert.equal(samples.size, 0);
});

test("a later run starts a new life that counts only its own runs", () => {
  const { samples, state } = play([
    runAt(10, { result: "fail" }),
    runAt(20, { result: "fail" }),
    retiredAt(30),
    runAt(40, { score: 77, rtoSeconds: null }),
  ]);
  assert.equal(samples.get(`kymaros_tests_total{${T},result="pass"}`), "1");
  assert.equal(samples.get(`kymaros_tests_total{${T},result="fail"}`), "0");
  assert.equal(samples.get(`kymaros_test_duration_seconds_count{${T}}`), "1");
  assert.equal(samples.get(`kymaros_score{${T}}`), "77");
  // The only run that carried an RTO was of the past life.
  assert.equal(samples.has(`kymaros_rto_seconds{${T}}`), false);
  assert.equal(state.retiredTests, 0);
});

test("a late run from a past life never brings the test back", () => {
  const { samples, outcomes } = play([runAt(10), retiredAt(30), runAt(20, { score: 1 })]);
  assert.equal(samples.size, 0);
  assert.deepEqual(outcomes, ["applied", "retired", "applied"]);
});

test("a retirement arriving after runs of the new life takes out exactly the older runs", () => {
  const { samples } = play([
    runAt(10, { result: "fail" }),
    runAt(40, { result: "partial", startedAt: at(40) - 3_600_000 }),
    runAt(50),
    retiredAt(30),
  ]);
  assert.equal(samples.get(`kymaros_tests_total{${T},result="fail"}`), "0");
  assert.equal(samples.get(`kymaros_tests_total{${T},result="partial"}`), "1");
  assert.equal(samples.get(`kymaros_tests_total{${T},result="pass"}`), "1");
  assert.equal(samples.get(`kymaros_test_duration_seconds_sum{${T}}`), String(3600 + 600));
  assert.equal(samples.get(`kymaros_test_duration_seconds_bucket{${T},le="960"}`), "1");
});

test("only the greatest retirement counts; an earlier or equal one is a duplicate", () => {
  const { outcomes, samples } = play([retiredAt(30), runAt(20), retiredAt(10), retiredAt(30), runAt(40)]);
  assert.deepEqual(outcomes, ["retired", "applied", "duplicate", "duplicate", "applied"]);
  assert.equal(samples.get(`kymaros_test_duration_seconds_count{${T}}`), "1");
});

test("by default one name in two namespaces is one series; a retirement ends only its own namespace's runs", () => {
  const events = [
    runAt(10, { namespace: "a", result: "fail", score: 10 }),
    runAt(20, { namespace: "b", score: 90 }),
    retiredAt(15, { namespace: "a" }),
  ];
  const merged = play(events);
  assert.equal(merged.samples.get(`kymaros_tests_total{${T},result="fail"}`), "0");
  assert.equal(merged.samples.get(`kymaros_tests_total{${T},result="pass"}`), "1");
  assert.equal(merged.samples.get(`kymaros_score{${T}}`), "90");
  assert.equal(merged.state.collidingNames, 1);
  assert.deepEqual(merged.state.newCollisions, ["my-app-nightly"]);

  // Before the retirement, the merged series sums both and the gauge is the latest run's.
  const before = play(events.slice(0, 2));
  assert.equal(before.samples.get(`kymaros_tests_total{${T},result="fail"}`), "1");
  assert.equal(before.samples.get(`kymaros_score{${T}}`), "90");

  const apart = play(events.slice(0, 2), "namespace");
  assert.equal(apart.samples.get(`kymaros_score{${T},test_namespace="a"}`), "10");
  assert.equal(apart.samples.get(`kymaros_score{${T},test_namespace="b"}`), "90");
});

test("a name collides once, when a second identity has runs; a retirement alone makes none", () => {
  const { state } = play([
    runAt(10, { namespace: "a" }),
    retiredAt(5, { namespace: "typo" }),
    runAt(11, { namespace: "b" }),
    runAt(12, { namespace: "c" }),
    runAt(13, { namespace: "b", cluster: "x" }),
  ]);
  assert.equal(state.collidingNames, 1);
  assert.deepEqual(state.newCollisions, ["my-app-nightly"]);
});

test("the same runId in two namespaces is two runs", () => {
  const { samples } = play([runAt(10, { namespace: "a" }), runAt(10, { namespace: "b" })]);
  assert.equal(samples.get(`kymaros_tests_total{${T},result="pass"}`), "2");
});
