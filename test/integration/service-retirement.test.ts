/**
 * Retirement and identity end to end: runs and retirements published through the SDK to the
 * real broker, the service's exposition against the independent model (both label modes), its
 * own metrics, the one log line per colliding name, and a restart.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { RunCompleted, TestRetired } from "../../services/contract/index.ts";
import { createProducer, type RunProducer } from "../../services/producer/index.ts";
import { domainSamples } from "../support/exposition.ts";
import { createTopic, testBrokers, testKafka, uniqueTopic } from "../support/kafka.ts";
import { expectedSamples, type Labels, numericSamples } from "../support/model.ts";
import { retirement, run } from "../support/runs.ts";
import {
  type RunningService,
  scrape,
  selfMetric,
  startService,
  waitFor,
  waitReady,
} from "../support/service.ts";

const running: RunningService[] = [];
let producer: RunProducer | undefined;

after(async () => {
  await producer?.close();
  for (const s of running) await s.stop("SIGKILL");
});

const DAY = Date.UTC(2026, 10, 1);
const at = (minutes: number) => DAY + minutes * 60_000;
const runOf = (test: string, namespace: string, minutes: number, more: Partial<RunCompleted> = {}) =>
  run({
    runId: `${test}-${namespace}-${minutes}`,
    test,
    namespace,
    startedAt: at(minutes - 10),
    completedAt: at(minutes),
    ...more,
  });

// nightly runs in two namespaces (a collision); shop's is retired at 30 and runs again at 50.
// gone is retired after its last run; late is a run of gone's past life published afterwards.
const runs: RunCompleted[] = [
  runOf("nightly", "shop", 10, { result: "fail", score: 20 }),
  runOf("nightly", "shop", 20, { result: "fail", score: 30 }),
  runOf("nightly", "billing", 25, { score: 88 }),
  runOf("nightly", "shop", 50, { score: 95, rtoSeconds: null }),
  runOf("gone", "shop", 10, { result: "fail", score: 40 }),
];
const retirements: TestRetired[] = [
  retirement({ test: "nightly", namespace: "shop", retiredAt: at(30), reason: "renamed" }),
  retirement({ test: "gone", namespace: "shop", retiredAt: at(40), reason: "deleted" }),
];
const late = runOf("gone", "shop", 35, { score: 1 });

async function showsModel(s: RunningService, labels: Labels, allRuns: RunCompleted[]): Promise<string> {
  const expected = expectedSamples(allRuns, retirements, labels);
  let last = new Map<string, number>();
  try {
    return await waitFor("the domain metrics to equal the model", async () => {
      const text = await scrape(s);
      last = numericSamples(domainSamples(text));
      return JSON.stringify([...last].sort()) === JSON.stringify([...expected].sort()) ? text : undefined;
    });
  } catch (err) {
    assert.deepEqual(last, expected, String(err));
    throw err;
  }
}

const domainLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => /^kymaros_(?!api_)/.test(l))
    .join("\n");

describe("a service given runs and retirements", () => {
  const topic = uniqueTopic("retire");

  test("default labels: retired tests vanish, a new life counts only its runs, names merge", async () => {
    await createTopic(testKafka(), topic, 3);
    const s = await startService({ topic, groupId: `${topic}.a` });
    running.push(s);
    await waitReady(s);
    producer = createProducer({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic });
    await producer.publishMany(runs.slice(0, 3));
    await producer.retireMany(retirements);
    await producer.publishMany([...runs.slice(3), late, runs[0] as RunCompleted]);
    // A retirement published again, and an older one: nothing changes.
    await producer.retire({ ...(retirements[1] as TestRetired) });
    await producer.retire({ ...(retirements[1] as TestRetired), retiredAt: at(5) });

    const text = await showsModel(s, "test", [...runs, late]);
    const samples = domainSamples(text);
    assert.equal(
      [...samples.keys()].some((k) => k.includes('test="gone"')),
      false,
      "gone has no series",
    );
    // shop's new life (one pass) plus billing's pass; shop's two past failures are gone.
    assert.equal(samples.get('kymaros_tests_total{test="nightly",result="fail"}'), "0");
    assert.equal(samples.get('kymaros_tests_total{test="nightly",result="pass"}'), "2");
    assert.equal(samples.get('kymaros_score{test="nightly"}'), "95");

    assert.equal(selfMetric(text, "kymaros_api_retired_tests"), 1);
    assert.equal(selfMetric(text, "kymaros_api_retirements_applied_total"), 2);
    assert.equal(selfMetric(text, "kymaros_api_test_name_collisions"), 1);
    assert.equal(selfMetric(text, "kymaros_api_tests"), 3);
    const collisionLines = s
      .output()
      .split("\n")
      .filter((l) => l.includes("more than one namespace"));
    assert.equal(collisionLines.length, 1, s.output().slice(-2000));
    assert.match(collisionLines[0] as string, /"test":"nightly"/);

    // A restart replays to byte-identical domain metrics.
    await s.stop("SIGTERM");
    const again = await startService({ topic, groupId: `${topic}.a` });
    running.push(again);
    await waitReady(again);
    assert.equal(domainLines(await scrape(again)), domainLines(text));
  });

  test("KYMAROS_TEST_IDENTITY=namespace keeps the namespaces apart with test_namespace", async () => {
    const s = await startService({
      topic,
      groupId: `${topic}.b`,
      env: { KYMAROS_TEST_IDENTITY: "namespace" },
    });
    running.push(s);
    await waitReady(s);
    const text = await showsModel(s, "namespace", [...runs, late]);
    const samples = domainSamples(text);
    assert.equal(samples.get('kymaros_score{test="nightly",test_namespace="shop"}'), "95");
    assert.equal(samples.get('kymaros_score{test="nightly",test_namespace="billing"}'), "88");
  });

  test("a bad KYMAROS_TEST_IDENTITY stops the start naming the setting", async () => {
    const s = await startService({ topic, groupId: `${topic}.c`, env: { KYMAROS_TEST_IDENTITY: "pod" } });
    running.push(s);
    assert.equal(await s.exited, 2);
    assert.match(s.output(), /KYMAROS_TEST_IDENTITY/);
  });
});
