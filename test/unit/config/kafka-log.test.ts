/**
 * What the Kafka client's log shows, through the one client factory: kafkajs's errors as
 * warnings but not the broker's "not yet" answers kafkajs retries by itself (a normal first
 * start); from a chosen level up; in the process's one record shape `{time, level, msg, ...}`.
 * The CLIs write none of it unless --verbose or KYMAROS_LOG_LEVEL=debug.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createKafka } from "../../../services/api/kafka/client.ts";
import { ConfigError } from "../../../services/config/errors.ts";
import { readKafkaSettings } from "../../../services/config/kafka.ts";
import { createKafkaClient } from "../../../services/config/kafka-client.ts";
import {
  CLIENT_LOG_LEVELS,
  type ClientLogLevel,
  isTransientBrokerAnswer,
} from "../../../services/config/kafka-log.ts";
import { createLogger, type Logger } from "../../../services/log/logger.ts";
import { cliClientLogLevel } from "../../../services/producer/cli/common.ts";
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

describe("the client factory's log", () => {
  const settings = readKafkaSettings({ KYMAROS_KAFKA_BROKERS: "127.0.0.1:1" }, "t");
  function written(clientLog: ClientLogLevel): string[][] {
    const lines: string[] = [];
    const kafka = createKafkaClient(settings, {
      log: createLogger("debug", (line) => lines.push(line)),
      clientLog,
      retry: { retries: 1 },
    });
    const client = kafka.logger();
    client.error(refused.message, { broker: refused.broker });
    client.error(transient.message, { error: transient.error });
    client.warn("something odd", {});
    client.info("Starting", {});
    client.debug("Request Metadata", {});
    return lines.map((l) => {
      const record = JSON.parse(l) as { level: string; msg: string };
      return [record.level, record.msg];
    });
  }

  test("passes kafkajs's entries from the chosen level up; errors are warnings, the retried answer debug", () => {
    const refusedLine = ["warn", `kafka: ${refused.message}`];
    const transientLine = ["debug", `kafka: ${transient.message}`];
    assert.deepEqual(written("off"), []);
    assert.deepEqual(written("error"), [refusedLine, transientLine]);
    assert.deepEqual(written("warn"), [refusedLine, transientLine, ["warn", "kafka: something odd"]]);
    assert.deepEqual(written("info"), [...written("warn"), ["info", "kafka: Starting"]]);
    assert.deepEqual(written("debug"), [...written("info"), ["debug", "kafka: Request Metadata"]]);
  });

  test("one record shape: time, level, msg, then the entry's fields", () => {
    const lines: string[] = [];
    const kafka = createKafkaClient(settings, {
      log: createLogger("info", (line) => lines.push(line)),
      clientLog: "warn",
      retry: { retries: 1 },
    });
    kafka.logger().error(refused.message, { broker: refused.broker });
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.deepEqual(Object.keys(record).slice(0, 3), ["time", "level", "msg"]);
    assert.equal(new Date(record.time as string).toISOString(), record.time);
    assert.equal(record.broker, refused.broker);
  });

  test("the security warnings go to the caller's logger", () => {
    const warned: string[] = [];
    const log: Logger = { ...createLogger("error", () => {}), warn: (msg) => warned.push(msg) };
    const tls = readKafkaSettings(
      {
        KYMAROS_KAFKA_BROKERS: "127.0.0.1:1",
        KYMAROS_KAFKA_TLS: "true",
        KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY: "true",
      },
      "t",
    );
    createKafkaClient(tls, { log, clientLog: "off", retry: { retries: 1 } });
    assert.equal(warned.length, 1);
    assert.match(warned[0] ?? "", /KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY/);
  });
});

test("the SDK's own security warnings are written whatever the client's level, in the one shape", async () => {
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
      .map((l) => JSON.parse(l) as { level: string; msg: string })
      .filter((l) => !l.msg.startsWith("kafka: "));
    assert.equal(warnings.length, 1, clientLogLevel);
    assert.equal(warnings[0]?.level, "warn");
    assert.match(warnings[0]?.msg ?? "", /KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY/);
  }
});

test("the SDK writes to the Logger it is given", async () => {
  const lines: string[] = [];
  const producer = createProducer({
    env: {
      KYMAROS_KAFKA_BROKERS: "127.0.0.1:1",
      KYMAROS_KAFKA_TLS: "true",
      KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY: "true",
    },
    logger: createLogger("info", (line) => lines.push(line), { component: "mine" }),
  });
  await producer.close();
  assert.equal(lines.length, 1);
  assert.equal((JSON.parse(lines[0] as string) as { component: string }).component, "mine");
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
