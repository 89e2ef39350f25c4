/**
 * What the Kafka client's log shows: the service keeps kafkajs's errors as warnings but not the
 * broker's "not yet" answers kafkajs retries by itself (a normal first start); the SDK writes from
 * a chosen level; the CLIs write none of it unless --verbose or KYMAROS_LOG_LEVEL=debug.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { logLevel } from "kafkajs";
import { createKafka } from "../../../services/api/kafka/client.ts";
import { ConfigError } from "../../../services/config/errors.ts";
import { readKafkaSettings } from "../../../services/config/kafka.ts";
import { isTransientBrokerAnswer } from "../../../services/config/kafka-log.ts";
import { createLogger } from "../../../services/log/logger.ts";
import { cliClientLogLevel } from "../../../services/producer/cli/common.ts";
import { CLIENT_LOG_LEVELS, jsonLogCreator } from "../../../services/producer/log.ts";
import { createProducer } from "../../../services/producer/sdk.ts";

const LOADING = "The coordinator is loading and hence can't process requests for this group";
const transient = { message: "Response InitProducerId(key: 22, version: 1)", error: LOADING };
const refused = { message: "Connection error: connect ECONNREFUSED 127.0.0.1:1", broker: "127.0.0.1:1" };

test("a transient broker answer is a failed response carrying a retried error, nothing else", () => {
  assert.equal(isTransientBrokerAnswer(transient), true);
  assert.equal(
    isTransientBrokerAnswer({
      ...transient,
      error: "This server is not the leader for that topic-partition",
    }),
    true,
  );
  assert.equal(isTransientBrokerAnswer(refused), false);
  assert.equal(
    isTransientBrokerAnswer({
      ...transient,
      error: "Not authorized to access topics: [Topic authorization failed]",
    }),
    false,
  );
  assert.equal(isTransientBrokerAnswer({ message: LOADING }), false, "only kafkajs's Response entries");
  assert.equal(isTransientBrokerAnswer({ message: transient.message, error: { message: LOADING } }), false);
});

describe("the service's Kafka client log", () => {
  function serviceLog(level: "info" | "debug") {
    const lines: Array<{ level: string; msg: string; error?: string }> = [];
    const logger = createLogger(level, (line) => lines.push(JSON.parse(line)));
    const kafka = createKafka(readKafkaSettings({ KYMAROS_KAFKA_BROKERS: "127.0.0.1:1" }, "t"), logger);
    return { lines, client: kafka.logger() };
  }

  test("a retried 'coordinator is loading' answer is debug detail, a connection error a warning", () => {
    const { lines, client } = serviceLog("info");
    client.error(transient.message, { error: transient.error });
    client.error(refused.message, { broker: refused.broker });
    client.warn("Response without match", {});
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [["warn", `kafka: ${refused.message}`]],
    );
  });

  test("at debug level the transient answer is there, with its error", () => {
    const { lines, client } = serviceLog("debug");
    client.error(transient.message, { error: transient.error });
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.error]),
      [["debug", `kafka: ${transient.message}`, LOADING]],
    );
  });
});

describe("the SDK's kafkajs log lines", () => {
  const entry = (level: logLevel, label: string, log: { message: string; [k: string]: unknown }) => ({
    namespace: "Connection",
    level,
    label,
    log: { timestamp: "2026-11-26T03:00:00.000Z", logger: "kafkajs", ...log },
  });
  const all = [
    entry(logLevel.ERROR, "ERROR", refused),
    entry(logLevel.ERROR, "ERROR", transient),
    entry(logLevel.WARN, "WARN", { message: "something odd" }),
    entry(logLevel.INFO, "INFO", { message: "Starting" }),
    entry(logLevel.DEBUG, "DEBUG", { message: "Request Metadata" }),
  ];
  function written(from: (typeof CLIENT_LOG_LEVELS)[number]): string[] {
    const lines: string[] = [];
    const log = jsonLogCreator((line) => lines.push(line), from)(logLevel.DEBUG);
    for (const e of all) log(e);
    return lines.map((l) => (JSON.parse(l) as { message: string }).message);
  }

  test("are written from the chosen level up; the transient answer only at debug", () => {
    assert.deepEqual(written("off"), []);
    assert.deepEqual(written("error"), [refused.message]);
    assert.deepEqual(written("warn"), [refused.message, "something odd"]);
    assert.deepEqual(written("info"), [refused.message, "something odd", "Starting"]);
    assert.deepEqual(
      written("debug"),
      all.map((e) => e.log.message),
    );
  });
});

test("the SDK's own security warnings are written whatever the client's level", async () => {
  const env = {
    KYMAROS_KAFKA_BROKERS: "127.0.0.1:1",
    KYMAROS_KAFKA_TLS: "true",
    KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY: "true",
  };
  for (const clientLogLevel of CLIENT_LOG_LEVELS) {
    const lines: string[] = [];
    const producer = createProducer({ env, clientLogLevel, logWriter: (line) => lines.push(line) });
    await producer.close();
    // (at debug, kafkajs's own lines come too)
    const warnings = lines
      .map((l) => JSON.parse(l) as { level: string; logger: string; message: string })
      .filter((l) => l.logger === "kymaros-producer");
    assert.equal(warnings.length, 1, clientLogLevel);
    assert.equal(warnings[0]?.level, "WARN");
    assert.match(warnings[0]?.message ?? "", /KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY/);
  }
});

describe("the CLIs' share of the client log", () => {
  test("none by default, from info with --verbose, all with KYMAROS_LOG_LEVEL=debug", () => {
    assert.equal(cliClientLogLevel({}, false), "off");
    assert.equal(cliClientLogLevel({ KYMAROS_LOG_LEVEL: "info" }, false), "off");
    assert.equal(cliClientLogLevel({}, true), "info");
    assert.equal(cliClientLogLevel({ KYMAROS_LOG_LEVEL: "warn" }, true), "info");
    assert.equal(cliClientLogLevel({ KYMAROS_LOG_LEVEL: "DEBUG" }, false), "debug");
    assert.equal(cliClientLogLevel({ KYMAROS_LOG_LEVEL: "debug" }, true), "debug");
  });

  test("a KYMAROS_LOG_LEVEL that is no level is a configuration error naming it", () => {
    assert.throws(
      () => cliClientLogLevel({ KYMAROS_LOG_LEVEL: "loud" }, false),
      (err: unknown) => err instanceof ConfigError && err.setting === "KYMAROS_LOG_LEVEL",
    );
  });
});
