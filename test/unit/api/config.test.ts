import assert from "node:assert/strict";
import { test } from "node:test";
import { readConfig } from "../../../services/api/config.ts";
import { ConfigError } from "../../../services/config/errors.ts";

test("defaults follow the documented settings", () => {
  const c = readConfig({});
  assert.deepEqual(c.kafka.brokers, ["localhost:9092"]);
  assert.equal(c.topic, "kymaros.run-completed");
  assert.equal(c.dlqTopic, "kymaros.run-completed.dlq");
  assert.equal(c.port, 8080);
  assert.equal(c.logLevel, "info");
  assert.equal(c.testIdentity, "test");
});

test("KYMAROS_TEST_IDENTITY takes test, namespace or cluster", () => {
  for (const mode of ["test", "namespace", "cluster"]) {
    assert.equal(readConfig({ KYMAROS_TEST_IDENTITY: mode }).testIdentity, mode);
  }
});

test("settings are read from KYMAROS_* variables", () => {
  const c = readConfig({
    KYMAROS_KAFKA_BROKERS: "a:1, b:2",
    KYMAROS_TOPIC: "t",
    KYMAROS_DLQ_TOPIC: "d",
    KYMAROS_PORT: "9000",
    KYMAROS_LOG_LEVEL: "DEBUG",
  });
  assert.deepEqual(
    [c.kafka.brokers, c.topic, c.dlqTopic, c.port, c.logLevel],
    [["a:1", "b:2"], "t", "d", 9000, "debug"],
  );
});

const bad: [Record<string, string>, string][] = [
  [{ KYMAROS_PORT: "80a" }, "KYMAROS_PORT"],
  [{ KYMAROS_PORT: "70000" }, "KYMAROS_PORT"],
  [{ KYMAROS_PORT: "0" }, "KYMAROS_PORT"],
  [{ KYMAROS_KAFKA_BROKERS: "localhost" }, "KYMAROS_KAFKA_BROKERS"],
  [{ KYMAROS_KAFKA_BROKERS: " , " }, "KYMAROS_KAFKA_BROKERS"],
  [{ KYMAROS_TOPIC: "has space" }, "KYMAROS_TOPIC"],
  [{ KYMAROS_DLQ_TOPIC: "x".repeat(250) }, "KYMAROS_DLQ_TOPIC"],
  [{ KYMAROS_TOPIC: "same", KYMAROS_DLQ_TOPIC: "same" }, "KYMAROS_DLQ_TOPIC"],
  [{ KYMAROS_LOG_LEVEL: "loud" }, "KYMAROS_LOG_LEVEL"],
  [{ KYMAROS_TEST_IDENTITY: "Namespace" }, "KYMAROS_TEST_IDENTITY"],
  [{ KYMAROS_TEST_IDENTITY: "" }, "KYMAROS_TEST_IDENTITY"],
  // the reader group appends ".reader.<12 hex digits>" and Kafka allows 255 characters
  [{ KYMAROS_GROUP_ID: "g".repeat(236) }, "KYMAROS_GROUP_ID"],
];

for (const [env, setting] of bad) {
  test(`a bad ${setting} (${JSON.stringify(env)}) is refused with a message naming it`, () => {
    assert.throws(
      () => readConfig(env),
      (err: unknown) =>
        err instanceof ConfigError && err.setting === setting && err.message.startsWith(`${setting}: `),
    );
  });
}
