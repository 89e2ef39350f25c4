/**
 * Least privilege on a broker that authorizes (StandardAuthorizer, deny by default, SCRAM over
 * TLS): with exactly the grants docs/security.md lists for the service, on topics an admin
 * created and with no Create grant, the service starts, is exact, dead-letters garbage and
 * restarts exact; with its group's grant missing, it stops with one line that names the group and
 * the grant; a principal without Write is told which grant to add when it publishes.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fc from "fast-check";
import { type AclEntry, Kafka, logLevel } from "kafkajs";
import type { RunCompleted } from "../../services/contract/index.ts";
import { createProducer, PublishError, type RunProducer } from "../../services/producer/index.ts";
import { domainSamples } from "../support/exposition.ts";
import { uniqueTopic } from "../support/kafka.ts";
import { expectedSamples, numericSamples } from "../support/model.ts";
import { consecutiveFreePorts } from "../support/ports.ts";
import { runArb } from "../support/runs.ts";
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
// The protocol's values (kafkajs is CommonJS: its enums are not named exports under Node's ESM).
const RESOURCE = { topic: 2, group: 3 } as const;
const PATTERN = { literal: 3, prefixed: 4 } as const;
const ALLOW = 3;
const OPERATION: Record<string, number> = {
  Read: 3,
  Write: 4,
  Create: 5,
  Delete: 6,
  Describe: 8,
  DescribeConfigs: 10,
};

interface Grant {
  type: "topic" | "group";
  name: string;
  prefixed: boolean;
  operations: string[];
}

/** The service's rows of docs/security.md's ACL table (without the Create row: topics exist here). */
function documentedGrants(): Grant[] {
  const doc = readFileSync(join(ROOT, "docs/security.md"), "utf8");
  const rows = doc.split("\n").filter((l) => l.startsWith("| the service | "));
  assert.ok(rows.length >= 3, "docs/security.md lists the service's grants");
  return rows.map((row) => {
    const [, , resource = "", operations = ""] = row.split("|").map((c) => c.trim());
    const match = /^(topic|group)( prefix)? `([^`]+)`$/.exec(resource) ?? [];
    const [, type, prefix, name] = match;
    assert.ok(type && name, `a resource: ${resource}`);
    return {
      type: type as "topic" | "group",
      name,
      prefixed: prefix !== undefined,
      operations: operations.split(",").map((o) => o.trim()),
    };
  });
}

function runs(count: number, seed: number): RunCompleted[] {
  return fc
    .sample(runArb(), { numRuns: count, seed })
    .map((r, i) => ({ ...r, runId: `${seed}-${i}`, test: `${r.test}-${i % 7}` }));
}

describe("on a broker that denies by default, with the documented grants", { timeout: 300_000 }, () => {
  let dir: string;
  let kafkaEnv: Record<string, string>;
  let admin: ReturnType<Kafka["admin"]>;
  let plain: string;
  let secureEnv: Record<string, string>;
  const running: RunningService[] = [];
  const producers: RunProducer[] = [];
  // Names as in the docs' table, made unique by a suffix the grants share.
  const suffix = uniqueTopic("acl").replace(/^test\./, "");
  const topic = `kymaros.run-completed.${suffix}`;
  const dlqTopic = `${topic}.dlq`;
  const groupId = `kymaros-api.${suffix}`;
  const published: RunCompleted[] = [];

  const kafkaSh = (command: string) =>
    promisify(execFile)(KAFKA_SH, [command], { env: { ...process.env, ...kafkaEnv }, timeout: 180_000 });
  const service = (group = groupId) =>
    startService({
      topic,
      dlqTopic,
      groupId: group,
      brokers: [secureEnv.KYMAROS_KAFKA_BROKERS as string],
      env: secureEnv,
    });
  /** A publisher with every right (the PLAINTEXT listener's principal is the super user). */
  const superProducer = () => {
    const p = createProducer({ env: { KYMAROS_KAFKA_BROKERS: plain }, topic });
    producers.push(p);
    return p;
  };

  before(async () => {
    const [port, controller, secure] = (await consecutiveFreePorts(3, 26_000, 29_000)) as [
      number,
      number,
      number,
    ];
    dir = join(ROOT, ".kafka-secure", `acl-${process.pid}-${secure}`);
    kafkaEnv = {
      KAFKA_SECURE: "1",
      KAFKA_AUTHORIZER: "1",
      KAFKA_DIR: dir,
      KAFKA_LIBS: join(ROOT, ".kafka/libs"),
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controller),
      KAFKA_SECURE_PORT: String(secure),
      KAFKA_HEAP: "384m",
    };
    await kafkaSh("up");
    plain = `127.0.0.1:${port}`;
    const material = join(dir, "secure");
    secureEnv = {
      KYMAROS_KAFKA_BROKERS: `127.0.0.1:${secure}`,
      KYMAROS_KAFKA_TLS: "true",
      KYMAROS_KAFKA_TLS_CA_FILE: join(material, "ca.pem"),
      KYMAROS_KAFKA_SASL_MECHANISM: "scram-sha-512",
      KYMAROS_KAFKA_SASL_USERNAME: "kymaros",
      KYMAROS_KAFKA_SASL_PASSWORD_FILE: join(material, "kymaros.password"),
    };
    admin = new Kafka({ brokers: [plain], clientId: "acl-admin", logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 3 },
        { topic: dlqTopic, numPartitions: 1 },
        {
          topic: `${topic}.state`,
          numPartitions: 3,
          configEntries: [{ name: "cleanup.policy", value: "compact" }],
        },
      ],
      waitForLeaders: true,
    });
    const rename = (name: string) =>
      name === "kymaros-api" ? groupId : `${topic}${name.slice("kymaros.run-completed".length)}`;
    const acl: AclEntry[] = documentedGrants().flatMap((g) =>
      g.operations.map((op) => ({
        resourceType: RESOURCE[g.type],
        resourceName: rename(g.name),
        resourcePatternType: g.prefixed ? PATTERN.prefixed : PATTERN.literal,
        principal: "User:kymaros",
        host: "*",
        operation: OPERATION[op] as number,
        permissionType: ALLOW,
      })),
    ) as AclEntry[];
    await admin.createAcls({ acl });
  });

  after(async () => {
    for (const p of producers) await p.close().catch(() => undefined);
    for (const s of running) await s.stop("SIGKILL");
    await admin?.disconnect().catch(() => undefined);
    if (kafkaEnv) await kafkaSh("down").catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the service starts with no Create grant, is exact, dead-letters garbage, and restarts exact", async () => {
    const first = await service();
    running.push(first);
    await waitReady(first, 60_000);
    const batch = runs(20, 3);
    await superProducer().publishMany(batch);
    published.push(...batch);
    const raw = new Kafka({ brokers: [plain], clientId: "acl-raw", logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ key: "x", value: Buffer.from("not avro") }] });
    await raw.disconnect();
    const expected = expectedSamples(published);
    let last = "";
    await waitFor(
      "exact metrics and one dead letter",
      async () => {
        last = await scrape(first);
        const exact =
          JSON.stringify([...numericSamples(domainSamples(last))]) === JSON.stringify([...expected]);
        return exact && selfMetric(last, "kymaros_api_dead_letters_total", 'result="published"') === 1
          ? true
          : undefined;
      },
      60_000,
    ).catch((err: unknown) => {
      assert.deepEqual(numericSamples(domainSamples(last)), expected, String(err));
      assert.equal(selfMetric(last, "kymaros_api_dead_letters_total", 'result="published"'), 1, last);
    });
    const text = last;
    await first.stop("SIGKILL");
    const second = await service();
    running.push(second);
    await waitReady(second, 60_000);
    assert.deepEqual(domainSamples(await scrape(second)), domainSamples(text));
    assert.doesNotMatch(first.output() + second.output(), /AUTHORIZATION_FAILED|not authorized/i);
  });

  test("without its group's grant the start stops with one line naming the group and the grant", async () => {
    const denied = await service("other-group");
    running.push(denied);
    const code = await denied.exited;
    assert.equal(code, 2, denied.output());
    const lines = denied
      .output()
      .split("\n")
      .filter((l) => l.includes("Kafka ACLs"));
    assert.equal(lines.length, 1, denied.output());
    assert.match(
      lines[0] ?? "",
      /^kymaros-api: configuration error: Kafka ACLs: no broker names a coordinator for group other-group: the broker denies this principal the group \(grant Read, Describe and Delete on the group prefix other-group\)/,
    );
  });

  test("a principal without Write is told the grant when it publishes", async () => {
    const p = createProducer({ env: secureEnv, topic, retries: 1 });
    producers.push(p);
    const err = await p.publish(runs(1, 5)[0] as RunCompleted).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof PublishError, String(err));
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, /grant it Write and Describe on the topic/);
  });
});
