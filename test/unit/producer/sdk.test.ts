/** The SDK's refusals, which all happen before a connection: these run without a broker. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { logLevel } from "kafkajs";
import { ConfigError } from "../../../services/config/errors.ts";
import { kafkaLogCreator } from "../../../services/config/kafka-log.ts";
import type { RunCompleted } from "../../../services/contract/index.ts";
import { createLogger } from "../../../services/log/logger.ts";
import { createProducer, PublishError } from "../../../services/producer/index.ts";
import { EXPECTED_CLIENT_WARNINGS } from "../../../services/producer/log.ts";

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

/** Nothing listens on port 1: a test that got as far as connecting would fail slowly and loudly. */
const offline = () =>
  createProducer({ env: { KYMAROS_KAFKA_BROKERS: "127.0.0.1:1" }, topic: "sdk.unit", retries: 1 });

async function refusal(work: Promise<unknown>): Promise<PublishError> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof PublishError, String(err));
    return err;
  }
  assert.fail("expected a PublishError");
}

describe("createProducer", () => {
  test("reads KYMAROS_TOPIC, defaulting to kymaros.run-completed", async () => {
    const p = createProducer({ env: {} });
    assert.equal(p.topic, "kymaros.run-completed");
    await p.close();
    const q = createProducer({ env: { KYMAROS_TOPIC: "runs.v2" } });
    assert.equal(q.topic, "runs.v2");
    await q.close();
  });

  test("bad settings are ConfigErrors naming them", () => {
    assert.throws(
      () => createProducer({ env: { KYMAROS_TOPIC: "no spaces" } }),
      (err: unknown) => {
        return err instanceof ConfigError && err.setting === "KYMAROS_TOPIC";
      },
    );
    assert.throws(() => createProducer({ env: { KYMAROS_KAFKA_BROKERS: "" } }), ConfigError);
    assert.throws(() => createProducer({ env: {}, topic: "a/b" }), ConfigError);
    assert.throws(() => createProducer({ env: {}, retries: 0 }), ConfigError);
  });
});

describe("publish and publishMany refuse before sending", () => {
  test("an invalid run is a validation error naming the field", async () => {
    const p = offline();
    const err = await refusal(p.publish({ ...run, score: 120 }));
    assert.equal(err.kind, "validation");
    assert.equal(err.field, "score");
    assert.equal(err.reason, "score_out_of_range");
    assert.equal(err.index, undefined);
    assert.deepEqual(err.acknowledged, []);
    await p.close();
  });

  test("publishMany names the index and field of the first invalid run", async () => {
    const p = offline();
    const runs = [
      run,
      { ...run, runId: "r-2" },
      { ...run, runId: "r-3", completedAt: run.startedAt - 1 },
      { ...run, test: "" },
    ];
    const err = await refusal(p.publishMany(runs));
    assert.equal(err.kind, "validation");
    assert.equal(err.index, 2);
    assert.equal(err.field, "completedAt");
    assert.match(err.message, /^run 2: completedAt/);
    await p.close();
  });

  test("a run schema version 1 cannot carry is an encoding error", async () => {
    const p = offline();
    const err = await refusal(p.publishMany([{ ...run, cluster: null }, run], { schemaVersion: 1 }));
    assert.equal(err.kind, "encoding");
    assert.equal(err.index, 1);
    assert.equal(err.field, "cluster");
    assert.equal(err.reason, "schema_violation");
    await p.close();
  });

  test("wrong types from untyped callers are named too", async () => {
    const p = offline();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...run, result: "PASS" }, "result"],
      [{ ...run, score: "97" }, "score"],
      [{ ...run, startedAt: "2026-11-26T03:00:00Z" }, "startedAt"],
      [{ ...run, backupName: 42 }, "backupName"],
      [{ ...run, runId: undefined }, "runId"],
      [{ ...run, cluster: 1 }, "cluster"],
    ];
    for (const [bad, field] of cases) {
      const err = await refusal(p.publish(bad as unknown as RunCompleted));
      assert.equal(err.kind, "validation", field);
      assert.equal(err.field, field);
    }
    await p.close();
  });

  test("close is idempotent and later publishes are refused", async () => {
    const p = offline();
    await p.close();
    await p.close();
    const err = await refusal(p.publish(run));
    assert.equal(err.kind, "kafka");
    assert.match(err.message, /closed/);
  });

  test("a broker that is not there is a kafka error, with nothing acknowledged", async () => {
    const p = createProducer({
      env: { KYMAROS_KAFKA_BROKERS: "127.0.0.1:1" },
      topic: "sdk.unit",
      retries: 1,
      logWriter: () => {},
    });
    const err = await refusal(p.publishMany([run, { ...run, runId: "r-2" }]));
    assert.equal(err.kind, "kafka");
    assert.equal(err.index, 0);
    assert.deepEqual(err.acknowledged, []);
    await p.close();
  });
});

describe("kafkajs logs", () => {
  test("are the JSON-lines logger's records; the deliberate retry-limit warning only at debug", () => {
    const lines: string[] = [];
    const logger = createLogger("info", (line) => lines.push(line));
    const log = kafkaLogCreator(logger, EXPECTED_CLIENT_WARNINGS)(logLevel.DEBUG);
    const entry = (level: logLevel, label: string, message: string) => ({
      namespace: "Producer",
      level,
      label,
      log: { timestamp: "2026-11-26T03:00:00.000Z", logger: "kafkajs", message, broker: "b:9092" },
    });
    log(entry(logLevel.DEBUG, "DEBUG", "details"));
    log(
      entry(
        logLevel.WARN,
        "WARN",
        "Limiting retries for the idempotent producer may invalidate EoS guarantees",
      ),
    );
    log(entry(logLevel.WARN, "WARN", "something odd"));
    log(entry(logLevel.ERROR, "ERROR", "Connection error"));
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => l.endsWith("\n")));
    const { time, ...rest } = JSON.parse(lines[1] as string) as Record<string, unknown>;
    assert.equal(new Date(time as string).toISOString(), time);
    assert.deepEqual(rest, {
      level: "warn",
      msg: "kafka: Connection error",
      namespace: "Producer",
      broker: "b:9092",
    });
  });
});

describe("retire", () => {
  const ok = { test: "my-app-nightly", namespace: "shop", retiredAt: 1795662850000 };

  test("refuses a bad retirement before connecting, naming the field", async () => {
    const p = offline();
    const cases: [unknown, string, string][] = [
      [{ ...ok, test: "" }, "test", "empty_test"],
      [{ ...ok, namespace: "x".repeat(254) }, "namespace", "oversized_field"],
      [{ ...ok, cluster: "x".repeat(254) }, "cluster", "oversized_field"],
      [{ ...ok, reason: "x".repeat(1025) }, "reason", "oversized_field"],
      [{ ...ok, retiredAt: -1 }, "retiredAt", "timestamp_out_of_range"],
      [{ ...ok, retiredAt: "2026-11-27" }, "retiredAt", "invalid_type"],
      [{ ...ok, namespace: undefined }, "namespace", "invalid_type"],
      [{ ...ok, cluster: 3 }, "cluster", "invalid_type"],
    ];
    for (const [input, field, reason] of cases) {
      const err = await refusal(p.retire(input as Parameters<typeof p.retire>[0]));
      assert.equal(err.kind, "validation", JSON.stringify(input));
      assert.equal(err.field, field);
      assert.equal(err.reason, reason);
    }
    const many = await refusal(p.retireMany([ok, ok, { ...ok, test: "" }]));
    assert.equal(many.index, 2);
    assert.match(many.message, /^retirement 2: /);
    assert.deepEqual(many.acknowledged, []);
    await p.close();
  });
});
