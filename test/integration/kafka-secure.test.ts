/**
 * Kafka over TLS with SASL/SCRAM-SHA-512 against a real broker configured that way: this file
 * starts its own instance (KAFKA_SECURE=1 tools/kafka/kafka.sh up, own KAFKA_DIR under
 * .kafka-secure/ and free ports) and stops it at the end, also on failure. The service and the
 * SDK use the KYMAROS_KAFKA_TLS* / KYMAROS_KAFKA_SASL_* settings; no secret may show in output.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import type { Env } from "../../services/config/errors.ts";
import { kafkaSecurity, readKafkaSettings } from "../../services/config/kafka.ts";
import { createProducer, type RunProducer } from "../../services/producer/index.ts";
import { consecutiveFreePorts } from "../support/ports.ts";
import { run } from "../support/runs.ts";
import {
  type RunningService,
  scrape,
  selfMetric,
  startService,
  waitFor,
  waitReady,
} from "../support/service.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const KAFKA_SH = join(ROOT, "tools/kafka/kafka.sh");
const WRONG_PASSWORD = "wrong-password-0f3c9a7e51";

let kafkaEnv: Record<string, string>;
let dir: string;
let plainBroker: string;
let secureBroker: string;
let password: string;
let clientEnv: Record<string, string>;
let brokerStartMs = 0;

const running: RunningService[] = [];
const producers: RunProducer[] = [];
const sdkLog: string[] = [];

async function kafkaSh(command: string): Promise<void> {
  await promisify(execFile)(KAFKA_SH, [command], { env: { ...process.env, ...kafkaEnv }, timeout: 120_000 });
}

function logTail(name: string): string {
  try {
    return readFileSync(join(dir, "logs", name), "utf8")
      .split("\n")
      .slice(-30)
      .join("\n");
  } catch {
    return "(none)";
  }
}

before(async () => {
  const [port, controller, secure] = (await consecutiveFreePorts(3, 19_100, 20_000)) as [
    number,
    number,
    number,
  ];
  dir = join(ROOT, ".kafka-secure", `test-${process.pid}-${secure}`);
  kafkaEnv = {
    KAFKA_SECURE: "1",
    KAFKA_DIR: dir,
    KAFKA_LIBS: join(ROOT, ".kafka/libs"),
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controller),
    KAFKA_SECURE_PORT: String(secure),
    KAFKA_HEAP: "384m",
  };
  plainBroker = `127.0.0.1:${port}`;
  secureBroker = `127.0.0.1:${secure}`;
  // startService points the service at the plaintext listener unless told otherwise: this
  // instance's, never the shared default broker.
  process.env.KYMAROS_KAFKA_BROKERS = plainBroker;
  const started = Date.now();
  try {
    await kafkaSh("up");
  } catch (err) {
    throw new Error(
      `${String(err)}\nserver.log:\n${logTail("server.log")}\nstdout.log:\n${logTail("stdout.log")}`,
    );
  }
  brokerStartMs = Date.now() - started;
  const material = join(dir, "secure");
  password = readFileSync(join(material, "kymaros.password"), "utf8").trim();
  // Mutual TLS material for the SDK: the client bundle split into certificate and key files.
  const blocks = readFileSync(join(material, "client.pem"), "utf8").match(
    /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n/g,
  );
  mkdirSync(join(dir, "client"), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, "client/key.pem"), blocks?.[0] ?? "", { mode: 0o600 });
  writeFileSync(join(dir, "client/cert.pem"), blocks?.[1] ?? "");
  clientEnv = {
    KYMAROS_KAFKA_BROKERS: secureBroker,
    KYMAROS_KAFKA_TLS: "true",
    KYMAROS_KAFKA_TLS_CA_FILE: join(material, "ca.pem"),
    KYMAROS_KAFKA_SASL_MECHANISM: "scram-sha-512",
    KYMAROS_KAFKA_SASL_USERNAME: "kymaros",
    KYMAROS_KAFKA_SASL_PASSWORD_FILE: join(material, "kymaros.password"),
  };
});

after(async () => {
  for (const p of producers) await p.close().catch(() => undefined);
  for (const s of running) await s.stop("SIGKILL");
  if (kafkaEnv) {
    await kafkaSh("down").catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  if (brokerStartMs)
    process.stdout.write(
      `# secure broker start (format, certificates, start, SCRAM check): ${brokerStartMs} ms\n`,
    );
});

/** A kafkajs client built from KYMAROS_KAFKA_* settings, failing fast. */
function clientFor(env: Env): Kafka {
  const settings = readKafkaSettings(env, "kymaros-secure-test");
  return new Kafka({
    brokers: settings.brokers,
    clientId: settings.clientId,
    ...kafkaSecurity(settings),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
}

async function createTopic(topic: string): Promise<void> {
  const admin = clientFor(clientEnv).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Why connecting an admin client with these settings failed, or null when it worked. */
async function connectError(env: Env): Promise<string | null> {
  const admin = clientFor(env).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return null;
  } catch (err) {
    let text = String(err);
    for (let e: unknown = err; e instanceof Error && e.cause !== undefined; e = e.cause)
      text += ` / ${String(e.cause)}`;
    return text;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function assertNoSecret(output: string, where: string): void {
  assert.ok(!output.includes(password), `the SCRAM password appears in ${where}`);
  assert.ok(!output.includes(WRONG_PASSWORD), `the wrong password appears in ${where}`);
  assert.ok(!output.includes("PRIVATE KEY"), `a private key appears in ${where}`);
}

describe("Kafka over TLS + SASL/SCRAM-SHA-512", () => {
  test("the service consumes runs the SDK published over the SASL_SSL listener (SDK with mutual TLS)", async () => {
    const topic = `test.secure.${process.pid}`;
    await createTopic(topic);
    const service = await startService({ topic, groupId: `g.${topic}`, env: { ...clientEnv } });
    running.push(service);
    await waitReady(service);

    const producer = createProducer({
      env: {
        ...clientEnv,
        KYMAROS_TOPIC: topic,
        KYMAROS_KAFKA_TLS_CERT_FILE: join(dir, "client/cert.pem"),
        KYMAROS_KAFKA_TLS_KEY_FILE: join(dir, "client/key.pem"),
      },
      logWriter: (line) => sdkLog.push(line),
    });
    producers.push(producer);
    const runs = [
      run({ runId: "s-1", test: "secure-a", result: "pass", score: 91 }),
      run({ runId: "s-2", test: "secure-a", result: "fail", score: 12, startedAt: Date.UTC(2026, 10, 2) }),
      run({ runId: "s-3", test: "secure-b", result: "partial", score: 50 }),
    ];
    const results = await producer.publishMany(runs);
    assert.equal(results.length, 3);

    const text = await waitFor(
      "the secure runs on /metrics",
      async () => {
        const t = await scrape(service);
        return selfMetric(t, "kymaros_tests_total", 'test="secure-a"') === 2 &&
          selfMetric(t, "kymaros_tests_total", 'test="secure-b"') === 1
          ? t
          : undefined;
      },
      20_000,
      service,
    );
    assert.equal(selfMetric(text, "kymaros_score", 'test="secure-a"'), 12);
    assert.equal(selfMetric(text, "kymaros_tests_total", 'test="secure-a",result="fail"'), 1);
    assert.equal(await service.stop(), 0);
    assertNoSecret(service.output(), "the service's output");
    assertNoSecret(sdkLog.join("\n"), "the SDK's log");
  });

  test("a wrong password stops the start with an authentication error, and no secret in the output", async () => {
    // The password from the environment this time (the less safe way, still never printed).
    const { KYMAROS_KAFKA_SASL_PASSWORD_FILE: _file, ...withoutFile } = clientEnv;
    const service = await startService({
      topic: "test.secure.wrong",
      groupId: "g.secure.wrong",
      env: { ...withoutFile, KYMAROS_KAFKA_SASL_PASSWORD: WRONG_PASSWORD },
    });
    running.push(service);
    const code = await Promise.race([
      service.exited,
      new Promise<"hung">((r) => setTimeout(() => r("hung"), 20_000).unref()),
    ]);
    const output = service.output();
    assert.notEqual(code, "hung", `the service kept running:\n${output.slice(-2000)}`);
    assert.notEqual(code, 2, `configuration error instead of an authentication failure:\n${output}`);
    assert.notEqual(code, 0, output);
    assert.match(output, /"level":"error".*SASL SCRAM SHA512 authentication failed/i);
    assertNoSecret(output, "the service's output");
  });

  test("the SASL_SSL listener refuses clients without TLS, without SASL or not trusting its CA", async () => {
    const sasl = {
      KYMAROS_KAFKA_SASL_MECHANISM: "scram-sha-512",
      KYMAROS_KAFKA_SASL_USERNAME: "kymaros",
      KYMAROS_KAFKA_SASL_PASSWORD_FILE: clientEnv.KYMAROS_KAFKA_SASL_PASSWORD_FILE ?? "",
    };
    // The right settings connect: the failures below are the missing piece's doing.
    assert.equal(await connectError(clientEnv), null);

    const noTls = await connectError({ KYMAROS_KAFKA_BROKERS: secureBroker, ...sasl });
    assert.ok(noTls !== null, "a plaintext client got through the TLS port");

    const noSasl = await connectError({
      KYMAROS_KAFKA_BROKERS: secureBroker,
      KYMAROS_KAFKA_TLS: "true",
      KYMAROS_KAFKA_TLS_CA_FILE: clientEnv.KYMAROS_KAFKA_TLS_CA_FILE,
    });
    assert.ok(noSasl !== null, "a client without SASL got through the SASL_SSL port");

    const untrusted = await connectError({
      KYMAROS_KAFKA_BROKERS: secureBroker,
      KYMAROS_KAFKA_TLS: "true",
      ...sasl,
    });
    assert.match(untrusted ?? "connected", /self[- ]signed certificate/i);

    assertNoSecret([noTls, noSasl, untrusted].join("\n"), "the client errors");
  });
});
