/**
 * Schema-registry framing end to end, against a real Apicurio Registry (its Confluent-compatible
 * API) and the real broker: events framed by an independent client (@kafkajs/confluent-schema-
 * registry) and by our SDK give exact metrics; what cannot be read is dead-lettered with its
 * reason; a registry that is down holds the partitions back and dead-letters nothing; and a
 * restart of the in-memory registry (ids start over) is shown for what it does.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import type { RunCompleted, TestRetired } from "../../services/contract/index.ts";
import { createProducer, type RunProducer } from "../../services/producer/index.ts";
import { domainSamples } from "../support/exposition.ts";
import { javaSerdeEncode } from "../support/java-avro.ts";
import { createTopic, testBrokers, testKafka, uniqueTopic } from "../support/kafka.ts";
import { expectedSamples, numericSamples } from "../support/model.ts";
import { type OwnRegistry, ownRegistry, type Relay, relay } from "../support/registry.ts";
import { retirement, run } from "../support/runs.ts";
import {
  type RunningService,
  scrape,
  selfMetric,
  startService,
  waitFor,
  waitReady,
} from "../support/service.ts";
import { readTopic } from "../support/topic-reader.ts";

const schema = (file: string) => readFileSync(new URL(`../../schemas/${file}`, import.meta.url), "utf8");
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const RUN = "io.kymaros.events.RunCompleted";
const RETIRED = "io.kymaros.events.TestRetired";

const kafka = testKafka();
const topic = uniqueTopic("registry");
const dlq = `${topic}.dlq`;
let registry: OwnRegistry;
let cut: Relay;
let client: SchemaRegistry;
let service: RunningService;
const running: RunningService[] = [];
let sdk: RunProducer | undefined;
const raw = kafka.producer();

const DAY = Date.UTC(2026, 10, 2);
const runOf = (n: number, more: Partial<RunCompleted> = {}): RunCompleted =>
  run({
    runId: `r-${n}`,
    test: `t-${n % 4}`,
    startedAt: DAY + n * 60_000,
    completedAt: DAY + n * 60_000 + 30_000,
    ...more,
  });
/** What the independent client writes for a v3 RunCompleted: every field set. */
const v3 = (r: RunCompleted) => ({
  ...r,
  cluster: r.cluster ?? null,
  startedAtKnown: r.startedAtKnown ?? true,
});

const log: RunCompleted[] = [];
const retired: TestRetired[] = [];

async function publish(messages: { key: string; value: Buffer; headers?: Record<string, string> }[]) {
  await raw.send({ topic, acks: -1, messages });
}

async function showsModel(s: RunningService): Promise<string> {
  const expected = expectedSamples(log, retired, "test");
  let last = new Map<string, number>();
  try {
    return await waitFor(
      "the domain metrics to equal the model",
      async () => {
        const text = await scrape(s);
        last = numericSamples(domainSamples(text));
        return JSON.stringify([...last].sort()) === JSON.stringify([...expected].sort()) ? text : undefined;
      },
      30_000,
    );
  } catch (err) {
    assert.deepEqual(last, expected, String(err));
    throw err;
  }
}

const reasons = async () =>
  (await readTopic(kafka, dlq)).map(
    (r) => [r.key?.toString(), r.headers["kymaros.dlq.reason"], r.headers["kymaros.dlq.detail"]] as const,
  );

before(async () => {
  registry = await ownRegistry();
  await registry.up();
  cut = await relay(registry.port);
  client = new SchemaRegistry({ host: registry.url, clientId: "kymaros-test" }, { [SchemaType.AVRO]: {} });
  await createTopic(kafka, topic, 3);
  await raw.connect();
});

after(async () => {
  await sdk?.close();
  await raw.disconnect();
  for (const s of running) await s.stop("SIGKILL");
  await cut?.close();
  await registry?.clean();
});

describe("the service with a schema registry", () => {
  let runId = 0;
  let retiredId = 0;

  test("events framed by an independent client (Confluent wire format) give exact metrics", async () => {
    ({ id: runId } = await client.register(
      { type: SchemaType.AVRO, schema: schema("run-completed.v3.avsc") },
      { subject: `${topic}-${RUN}` },
    ));
    ({ id: retiredId } = await client.register(
      { type: SchemaType.AVRO, schema: schema("test-retired.v1.avsc") },
      { subject: `${topic}-${RETIRED}` },
    ));
    const runs = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => runOf(n, n === 3 ? { result: "fail", score: 10 } : {}));
    const gone = retirement({ test: "t-2", namespace: "default", retiredAt: DAY + 10 * 60_000 });
    await publish(
      await Promise.all(runs.map(async (r) => ({ key: r.test, value: await client.encode(runId, v3(r)) }))),
    );
    await publish([{ key: gone.test, value: await client.encode(retiredId, gone) }]);
    log.push(...runs);
    retired.push(gone);

    service = await startService({
      topic,
      groupId: `${topic}.svc`,
      env: {
        KYMAROS_SCHEMA_REGISTRY_URL: `http://127.0.0.1:${cut.port}/apis/ccompat/v7`,
        KYMAROS_SCHEMA_REGISTRY_TIMEOUT_MS: "1000",
      },
    });
    running.push(service);
    await waitReady(service, 60_000);
    const text = await showsModel(service);
    assert.equal(selfMetric(text, "kymaros_api_invalid_events_total"), 0);
  });

  test("events framed by Apicurio's Java serde (its default framing, 00 + id) give exact metrics", async () => {
    const runs = [50, 51, 52].map((n) => runOf(n, { namespace: "java", cluster: "west" }));
    const v3url = registry.url.replace("/apis/ccompat/v7", "/apis/registry/v3");
    const hex = javaSerdeEncode(v3url, topic, 3, runs.map(v3));
    for (const h of hex) assert.equal(h.slice(0, 2), "00", "Confluent magic byte");
    await publish(runs.map((r, i) => ({ key: r.test, value: Buffer.from(hex[i] as string, "hex") })));
    log.push(...runs);
    const text = await showsModel(service);
    assert.equal(selfMetric(text, "kymaros_api_invalid_events_total"), 0);
  });

  test("the SDK's registry-framed output decodes with the independent client, and counts", async () => {
    sdk = createProducer({
      env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(","), KYMAROS_SCHEMA_REGISTRY_URL: registry.url },
      topic,
    });
    const runs = [8, 9, 10].map((n) => runOf(n, { cluster: "east" }));
    const placed = await sdk.publishMany(runs);
    log.push(...runs);
    const records = await readTopic(kafka, topic);
    for (const [i, p] of placed.entries()) {
      const record = records.find((r) => r.partition === p.partition && r.offset === p.offset);
      assert.equal(record?.value?.[0], 0, "Confluent magic byte");
      const decoded = (await client.decode(record?.value as Buffer)) as Record<string, unknown>;
      assert.deepEqual({ ...decoded }, { ...(runs[i] as RunCompleted) });
    }
    await showsModel(service);
  });

  test("kymaros-publish with the registry setting publishes registry-framed, and it counts", async () => {
    const r = runOf(60, {
      namespace: "cli",
      rtoSeconds: 120,
      backupName: null,
      backupCreatedAt: null,
      rtoTargetSeconds: null,
    });
    const iso = (ms: number) => new Date(ms).toISOString();
    const count = (await readTopic(kafka, topic)).length;
    await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        "services/producer/cli/publish.ts",
        "--run-id",
        r.runId,
        "--test",
        r.test,
        "--namespace",
        r.namespace,
        "--result",
        r.result,
        "--score",
        String(r.score),
        "--started-at",
        iso(r.startedAt),
        "--completed-at",
        iso(r.completedAt),
        "--rto-seconds",
        "120",
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          KYMAROS_KAFKA_BROKERS: testBrokers().join(","),
          KYMAROS_TOPIC: topic,
          KYMAROS_SCHEMA_REGISTRY_URL: registry.url,
        },
        timeout: 60_000,
      },
    );
    const records = await readTopic(kafka, topic);
    assert.equal(records.length, count + 1);
    const framed = records.filter((rec) => rec.key?.toString() === r.test && rec.value?.[0] === 0);
    const decoded = await Promise.all(
      framed.map(async (rec) => (await client.decode(rec.value as Buffer)) as RunCompleted),
    );
    const mine = decoded.find((d) => d.runId === r.runId);
    assert.equal(
      mine?.score,
      r.score,
      "the CLI's record is Confluent-framed and decodes with the independent client",
    );
    log.push(r);
    await showsModel(service);
  });

  test("unknown ids, schemas that do not resolve and unsupported framings are dead-lettered with their reasons", async () => {
    const body = (await client.encode(runId, v3(runOf(20)))).subarray(5);
    const { id: otherId } = await client.register(
      {
        type: SchemaType.AVRO,
        schema: JSON.stringify({
          type: "record",
          name: "Other",
          namespace: "x",
          fields: [{ name: "n", type: "int" }],
        }),
      },
      { subject: `${topic}-x.Other` },
    );
    const withId = (id: number) => {
      const b = Buffer.concat([Buffer.alloc(5), body]);
      b.writeUInt32BE(id, 1);
      return b;
    };
    await publish([
      { key: "unknown-id", value: withId(987654) },
      { key: "other", value: await client.encode(otherId, { n: 1 }) },
      { key: "guid", value: Buffer.concat([Buffer.from([1]), Buffer.alloc(16, 7), body]) },
      { key: "header-id", value: body, headers: { __value_schema_id: String(runId) } },
      {
        key: "apicurio",
        value: body,
        headers: { "apicurio.value.globalId": "1", "apicurio.value.encoding": "BINARY" },
      },
      { key: "garbage", value: Buffer.from("hello") },
    ]);
    const want: Record<string, [string, RegExp]> = {
      "unknown-id": ["unknown_schema_id", /987654/],
      other: ["incompatible_schema", new RegExp(`schema id ${otherId} resolves against neither`)],
      guid: ["unsupported_framing", /16-byte/],
      "header-id": ["unsupported_framing", /__value_schema_id/],
      apicurio: ["unsupported_framing", /apicurio\.registry\.headers\.enabled=false/],
      garbage: ["bad_magic", /starts with 6865/],
    };
    const letters = await waitFor("six dead letters", async () => {
      const r = await reasons();
      return r.length >= 6 ? r : undefined;
    });
    assert.equal(letters.length, 6);
    for (const [key, reason, detail] of letters) {
      const [r, d] = want[key as string] as [string, RegExp];
      assert.equal(reason, r, key);
      assert.match(detail as string, d, key);
    }
    await showsModel(service);
  });

  test("a registry that is down holds the partitions back: nothing dead-lettered, exact once it is back", async () => {
    // A schema the service has not seen (v1, ours; the SDK wrote v2): its id must be fetched.
    const { id: v1Id } = await client.register(
      { type: SchemaType.AVRO, schema: schema("run-completed.v1.avsc") },
      { subject: `${topic}-${RUN}` },
    );
    await cut.cut();
    const runs = [30, 31, 32, 33].map((n) => runOf(n, { score: 50 + n }));
    await publish(
      await Promise.all(
        runs.map(async (r) => ({
          key: r.test,
          value: await client.encode(v1Id, { ...r, cluster: undefined }),
        })),
      ),
    );
    await waitFor("the registry failures to show", async () => {
      const text = await scrape(service);
      return selfMetric(text, "kymaros_api_schema_registry_failures_total") >= 2 &&
        selfMetric(text, "kymaros_api_schema_registry_waiting_partitions") >= 1
        ? text
        : undefined;
    });
    assert.match(service.output(), /schema registry does not answer: the partition waits/);
    const waiting = await scrape(service);
    assert.equal(selfMetric(waiting, "kymaros_api_invalid_events_total"), 6);
    await cut.resume();
    log.push(...runs);
    const text = await showsModel(service);
    assert.equal(selfMetric(text, "kymaros_api_invalid_events_total"), 6);
    assert.equal(selfMetric(text, "kymaros_api_schema_registry_waiting_partitions"), 0);
    assert.equal((await reasons()).length, 6);
  });

  test("Confluent-framed messages without a registry configured are dead-lettered as registry_not_configured", async () => {
    // A state topic of its own: the default one holds the state of the service with a registry,
    // which read those messages, and a start restores it instead of reading the topic again.
    const s = await startService({
      topic,
      groupId: `${topic}.noreg`,
      dlqTopic: `${topic}.noreg.dlq`,
      env: { KYMAROS_STATE_TOPIC: `${topic}.noreg.state` },
    });
    running.push(s);
    await waitReady(s, 60_000);
    const framed = (await readTopic(kafka, topic)).filter(
      (r) => r.value?.[0] === 0 && (r.value?.length ?? 0) >= 5,
    ).length;
    const text = await scrape(s);
    assert.equal(
      selfMetric(text, "kymaros_api_invalid_events_total", 'reason="registry_not_configured"'),
      framed,
    );
    await s.stop();
  });

  test("make registry-compat: schemas/ register with BACKWARD compatibility, v1 -> v2 -> v3 pass, a breaking change is refused", async () => {
    const subjectTopic = `${topic}.compat`;
    const { stdout } = await promisify(execFile)("make", ["-s", "registry-compat"], {
      cwd: ROOT,
      env: { ...process.env, KYMAROS_SCHEMA_REGISTRY_URL: registry.url, KYMAROS_TOPIC: subjectTopic },
      timeout: 60_000,
    });
    const subject = `${subjectTopic}-${RUN}`;
    for (const v of [1, 2, 3]) assert.match(stdout, new RegExp(`RunCompleted v${v} is BACKWARD compatible`));
    assert.match(stdout, /a new field without a default is refused: .*HTTP 409/);
    // What the registry itself holds: three versions, BACKWARD, and not the breaking one.
    const versions = (await (await fetch(`${registry.url}/subjects/${subject}/versions`)).json()) as number[];
    assert.equal(versions.length, 3);
    const config = (await (await fetch(`${registry.url}/config/${subject}`)).json()) as {
      compatibilityLevel: string;
    };
    assert.equal(config.compatibilityLevel, "BACKWARD");
  });

  test("lookup only (no auto-registration): a subject that is missing is a clear error", async () => {
    const lookupOnly = createProducer({
      env: {
        KYMAROS_KAFKA_BROKERS: testBrokers().join(","),
        KYMAROS_SCHEMA_REGISTRY_URL: registry.url,
        KYMAROS_SCHEMA_REGISTRY_AUTO_REGISTER: "false",
        KYMAROS_SCHEMA_REGISTRY_SUBJECT_STRATEGY: "record",
      },
      topic,
    });
    try {
      await assert.rejects(
        lookupOnly.publish(runOf(40)),
        /subject io\.kymaros\.events\.RunCompleted does not exist.*AUTO_REGISTER=false/,
      );
    } finally {
      await lookupOnly.close();
    }
  });

  test("a restart of the in-memory registry: ids start over, the running service keeps the schemas it cached", async () => {
    await registry.down();
    await registry.up();
    const fresh = new SchemaRegistry(
      { host: registry.url, clientId: "kymaros-test-2" },
      { [SchemaType.AVRO]: {} },
    );
    // The new registry hands out ids from the start again: TestRetired now gets what was RunCompleted's id.
    const { id: newRetiredId } = await fresh.register(
      { type: SchemaType.AVRO, schema: schema("test-retired.v1.avsc") },
      { subject: `${topic}-${RETIRED}` },
    );
    assert.equal(newRetiredId, runId, "the in-memory registry reuses the id");
    const before = selfMetric(await scrape(service), "kymaros_api_invalid_events_total");
    const r = retirement({ test: "t-1", namespace: "default", retiredAt: DAY + 99 * 60_000 });
    await publish([{ key: r.test, value: await fresh.encode(newRetiredId, r) }]);
    // The service read the id as RunCompleted (cached for the process, as ids are immutable in a
    // registry that keeps its storage): the message does not read as one and is dead-lettered,
    // never applied as the wrong event; the metrics stay what the log before the restart says.
    await waitFor("the reused id's message to be refused", async () => {
      const text = await scrape(service);
      return selfMetric(text, "kymaros_api_invalid_events_total") === before + 1 ? text : undefined;
    });
    await showsModel(service);
  });
});
