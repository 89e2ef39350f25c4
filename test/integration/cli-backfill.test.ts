/**
 * kymaros-backfill end to end: the fixture's RestoreReports published to the real broker and
 * read back with kcat; the skipped ones listed; --dry-run output fed to kymaros-publish.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createCodec, type RunCompleted } from "../../services/contract/index.ts";
import { convertReports } from "../../services/kymaros/index.ts";
import { runFromJson } from "../../services/producer/run-input.ts";
import { createTopic, testBrokers, testKafka, uniqueTopic } from "../support/kafka.ts";
import { type KcatRecord, readTopicWithKcat } from "../support/kcat.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const fixturePath = fileURLToPath(new URL("../fixtures/restorereports.json", import.meta.url));
const fixture: unknown = JSON.parse(readFileSync(fixturePath, "utf8"));
const codec = createCodec(2);

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(script: string, args: string[], topic: string, stdin = ""): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", `services/producer/cli/${script}`, ...args], {
      cwd: repo,
      env: { ...process.env, KYMAROS_KAFKA_BROKERS: testBrokers().join(","), KYMAROS_TOPIC: topic },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

async function newTopic(prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix);
  await createTopic(testKafka(), topic, 3);
  return topic;
}

const decoded = (r: KcatRecord): RunCompleted => ({ ...codec.decode(r.value as Buffer) });
const SKIPPED = [
  "shop/cart-weekly-20261126-040000",
  "billing/invoices-hourly-20261126-100000",
  "billing/invoices-hourly-20261126-090000",
  "billing/invoices-hourly-20261126-080000",
  "platform/etcd-snapshot-20261125-000000",
  "platform/vault-restore-20261126-010000",
  "platform/vault-restore-20261125-010000",
];

describe("kymaros-backfill against the broker", () => {
  test("publishes the convertible reports, lists the skipped ones, exits 2", async () => {
    const topic = await newTopic("backfill");
    const out = await cli("backfill.ts", [], topic, readFileSync(fixturePath, "utf8"));
    assert.equal(out.code, 4, out.stderr);
    assert.equal(out.stdout, "");
    const skippedLines = out.stderr.split("\n").filter((l) => l.includes(": skipped "));
    assert.deepEqual(
      skippedLines.map((l) => l.split(" ")[2]?.replace(/:$/, "")),
      SKIPPED,
    );
    assert.ok(skippedLines.every((l) => /: skipped \S+: \S.+/.test(l)));
    assert.match(out.stderr, /7 of 14 reports published to .* and acknowledged, 7 skipped/);

    const expected = convertReports(fixture).converted.map((c) => c.run);
    const records = await readTopicWithKcat(topic);
    assert.equal(records.length, 7);
    const byRunId = new Map(records.map((r) => [decoded(r).runId, r]));
    for (const run of expected) {
      const record = byRunId.get(run.runId);
      assert.ok(record, run.runId);
      assert.equal(record.key?.toString(), run.test);
      assert.deepEqual(decoded(record), run);
    }
    // A value worked out by hand, end to end: 1h2m3.5s.
    assert.equal(decoded(byRunId.get("checkout-nightly-20261125-030000") as KcatRecord).rtoSeconds, 3723.5);
  });

  test("--dry-run prints NDJSON and publishes nothing; kymaros-publish takes that NDJSON as is", async () => {
    const topic = await newTopic("backfill-dry");
    const dry = await cli(
      "backfill.ts",
      ["--file", fixturePath, "--dry-run", "--cluster", "prod-eu-1"],
      topic,
    );
    assert.equal(dry.code, 4, dry.stderr);
    const lines = dry.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 7);
    const expected = convertReports(fixture, { cluster: "prod-eu-1" }).converted.map((c) => c.run);
    assert.deepEqual(
      lines.map((l) => runFromJson(JSON.parse(l))),
      expected,
    );
    assert.deepEqual(await readTopicWithKcat(topic), []);

    const published = await cli("publish.ts", ["--file", "-"], topic, dry.stdout);
    assert.equal(published.code, 0, published.stderr);
    const records = await readTopicWithKcat(topic);
    assert.deepEqual(
      records.map(decoded).sort((a, b) => a.runId.localeCompare(b.runId)),
      [...expected].sort((a, b) => a.runId.localeCompare(b.runId)),
    );
  });

  test("every report convertible: exit 0", async () => {
    const topic = await newTopic("backfill-ok");
    const document = fixture as { items: unknown[] };
    const out = await cli(
      "backfill.ts",
      ["--file", "-"],
      topic,
      JSON.stringify({ ...document, items: document.items.slice(0, 3) }),
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal((await readTopicWithKcat(topic)).length, 3);
  });
});
