/**
 * kymaros-publish end to end: the CLI as a process (node --import tsx), against the real
 * broker, read back with kcat and decoded with the contract's codec.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createCodec, type RunCompleted } from "../../services/contract/index.ts";
import { createTopic, testBrokers, testKafka, uniqueTopic } from "../support/kafka.ts";
import { type KcatRecord, readTopicWithKcat } from "../support/kcat.ts";
import { freePort } from "../support/service.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const codec = createCodec(2);

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function publishCli(args: string[], topic: string, stdin?: string): Promise<Outcome> {
  return runCli(
    "publish.ts",
    args,
    { KYMAROS_KAFKA_BROKERS: testBrokers().join(","), KYMAROS_TOPIC: topic },
    stdin,
  );
}

/** A CLI of services/producer/cli as a process, with these settings over the environment. */
function runCli(
  script: string,
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", `services/producer/cli/${script}`, ...args], {
      cwd: repo,
      env: { ...process.env, ...env },
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
    child.stdin.end(stdin ?? "");
  });
}

async function newTopic(prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix);
  await createTopic(testKafka(), topic, 3);
  return topic;
}

const decoded = (r: KcatRecord): RunCompleted => ({ ...codec.decode(r.value as Buffer) });

describe("kymaros-publish against the broker", () => {
  test("one run from flags: acknowledged, readable back, where stdout says", async () => {
    const topic = await newTopic("cli-flags");
    const out = await publishCli(
      [
        "--run-id",
        "my-app-nightly-20261126-030000",
        "--test",
        "my-app-nightly",
        "--namespace",
        "shop",
        "--result",
        "Pass",
        "--score",
        "97",
        "--started-at",
        "2026-11-26T03:00:00Z",
        "--completed-at",
        "1795662850000",
        "--rto-seconds",
        "695",
        "--backup-name",
        "velero-daily-20261126",
        "--backup-created-at",
        "2026-11-26T02:00:00+01:00",
        "--rto-target-seconds",
        "900",
        "--cluster",
        "prod-eu-1",
      ],
      topic,
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, "");
    const result = JSON.parse(out.stdout) as { topic: string; partition: number; offset: string };
    const records = await readTopicWithKcat(topic);
    assert.equal(records.length, 1);
    const [record] = records as [KcatRecord];
    assert.equal(record.key?.toString(), "my-app-nightly");
    assert.equal(result.topic, topic);
    assert.equal(record.partition, result.partition);
    assert.equal(String(record.offset), result.offset);
    assert.deepEqual(decoded(record), {
      runId: "my-app-nightly-20261126-030000",
      test: "my-app-nightly",
      namespace: "shop",
      result: "pass",
      score: 97,
      startedAt: 1795662000000,
      completedAt: 1795662850000,
      rtoSeconds: 695,
      backupName: "velero-daily-20261126",
      backupCreatedAt: 1795654800000,
      rtoTargetSeconds: 900,
      cluster: "prod-eu-1",
    });
  });

  test("a run without --started-at goes out with startedAt = completedAt", async () => {
    const topic = await newTopic("cli-no-start");
    const out = await publishCli(
      [
        ...["--run-id", "r", "--test", "t", "--namespace", "n", "--result", "pass", "--score", "90"],
        ...["--completed-at", "2026-11-26T03:14:10Z"],
      ],
      topic,
    );
    assert.equal(out.code, 0, out.stderr);
    const [record] = (await readTopicWithKcat(topic)) as [KcatRecord];
    const run = decoded(record);
    assert.equal(run.completedAt, Date.UTC(2026, 10, 26, 3, 14, 10));
    assert.equal(run.startedAt, run.completedAt);
  });

  test("--schema-version 1 writes the v1 fingerprint", async () => {
    const topic = await newTopic("cli-v1");
    const out = await publishCli(
      [
        ...["--run-id", "r", "--test", "t", "--namespace", "n", "--result", "fail", "--score", "0"],
        ...[
          "--started-at",
          "2026-11-26T03:00:00Z",
          "--completed-at",
          "2026-11-26T03:00:00Z",
          "--schema-version",
          "1",
        ],
      ],
      topic,
    );
    assert.equal(out.code, 0, out.stderr);
    const [record] = (await readTopicWithKcat(topic)) as [KcatRecord];
    assert.equal(record.value?.subarray(2, 10).toString("hex"), codec.fingerprintHex(1));
    assert.equal(decoded(record).cluster, null);
  });

  test("many runs as NDJSON on stdin: every one acknowledged and readable back", async () => {
    const topic = await newTopic("cli-ndjson");
    const runs: RunCompleted[] = Array.from({ length: 300 }, (_, i) => ({
      runId: `run-${i}`,
      test: `test-${i % 11}`,
      namespace: "shop",
      result: (["pass", "fail", "partial"] as const)[i % 3] ?? "pass",
      score: i % 101,
      startedAt: 1795662000000 + i * 1000,
      completedAt: 1795662000000 + i * 1000 + 60_500,
      rtoSeconds: i % 2 === 0 ? 60.5 : null,
      backupName: i % 2 === 0 ? `backup-${i}` : null,
      backupCreatedAt: i % 2 === 0 ? 1795650000000 : null,
      rtoTargetSeconds: null,
      cluster: null,
    }));
    // Half with RFC 3339 timestamps, half with epoch milliseconds; blank lines in between.
    const lines = runs.map((run, i) =>
      JSON.stringify(
        i % 2 === 0
          ? {
              ...run,
              startedAt: new Date(run.startedAt).toISOString(),
              completedAt: new Date(run.completedAt).toISOString(),
              backupCreatedAt:
                run.backupCreatedAt === null ? null : new Date(run.backupCreatedAt).toISOString(),
            }
          : run,
      ),
    );
    const out = await publishCli(["--file", "-"], topic, `${lines.join("\n\n")}\n`);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /300 records published to .* and acknowledged/);
    const records = await readTopicWithKcat(topic);
    assert.equal(records.length, 300);
    const byRunId = new Map(records.map((r) => [decoded(r).runId, r]));
    for (const run of runs) {
      const record = byRunId.get(run.runId);
      assert.ok(record, run.runId);
      assert.equal(record.key?.toString(), run.test);
      assert.deepEqual(decoded(record), run);
    }
  });

  test("an invalid line: non-zero exit, one line naming line and field, nothing published", async () => {
    const topic = await newTopic("cli-invalid");
    const good = (i: number) =>
      JSON.stringify({
        runId: `r-${i}`,
        test: "t",
        namespace: "n",
        result: "pass",
        score: 90,
        startedAt: "2026-11-26T03:00:00Z",
        completedAt: "2026-11-26T03:10:00Z",
      });
    const lines = [
      good(1),
      good(2),
      good(3),
      JSON.stringify({ ...JSON.parse(good(4)), score: 120 }),
      good(5),
    ];
    const out = await publishCli(["--file", "-"], topic, lines.join("\n"));
    assert.equal(out.code, 2);
    assert.equal(out.stdout, "");
    assert.equal(out.stderr.split("\n").filter(Boolean).length, 1, out.stderr);
    assert.match(out.stderr, /^kymaros-publish: line 4, field score: score=120 is outside 0\.\.100/);
    assert.deepEqual(await readTopicWithKcat(topic), []);

    const bad = await publishCli(
      ["--file", "-"],
      topic,
      `${good(1)}\n${good(2).replace("03:10:00Z", "03:10:00")}\n`,
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^kymaros-publish: line 2, field completedAt: /);
    assert.deepEqual(await readTopicWithKcat(topic), []);
  });

  test("an unreachable broker: exit 3 and one clear line; the client's log only when asked for", async () => {
    // A port nothing listens on: the CLI cannot connect (no broker is involved at all).
    const env = { KYMAROS_KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, KYMAROS_TOPIC: "cli.unreachable" };
    const run = ["--run-id", "r-1", "--test", "t", "--namespace", "n", "--result", "pass", "--score", "97"];
    const times = ["--started-at", "2026-11-26T03:00:00Z", "--completed-at", "2026-11-26T03:14:10Z"];
    const reports = readFileSync(new URL("../fixtures/restorereports.json", import.meta.url), "utf8");
    const [quiet, backfill, verbose, debug] = await Promise.all([
      runCli("publish.ts", [...run, ...times], env),
      runCli("backfill.ts", [], env, reports),
      runCli("publish.ts", ["--verbose", ...run, ...times], env),
      runCli("publish.ts", [...run, ...times], { ...env, KYMAROS_LOG_LEVEL: "debug" }),
    ]);
    const lines = (o: Outcome) => o.stderr.split("\n").filter((l) => l !== "");
    const clear =
      /^kymaros-(publish|backfill): Kafka failure publishing to cli\.unreachable, no record was acknowledged: Connection error: connect ECONNREFUSED 127\.0\.0\.1:\d+$/;

    assert.equal(quiet.code, 3);
    assert.equal(quiet.stdout, "");
    assert.equal(lines(quiet).length, 1, quiet.stderr);
    assert.match(lines(quiet)[0] as string, clear);
    // kymaros-backfill lists the reports it skips, then the same one line for Kafka.
    assert.equal(backfill.code, 3);
    const backfillKafka = lines(backfill).filter((l) => !/: skipped /.test(l));
    assert.equal(backfillKafka.length, 1, backfill.stderr);
    assert.match(backfillKafka[0] as string, clear);

    const clientLines = (o: Outcome) =>
      lines(o)
        .slice(0, -1)
        .map((l) => JSON.parse(l) as { time: string; msg: string; level: string });
    for (const [name, o] of [
      ["--verbose", verbose],
      ["KYMAROS_LOG_LEVEL=debug", debug],
    ] as const) {
      assert.equal(o.code, 3, name);
      assert.equal(lines(o).at(-1), lines(quiet)[0], `${name}: the same clear line, last`);
      assert.ok(clientLines(o).length > 0, `${name}: the client's log`);
      // The one record shape of every process: {time, level, msg, ...}.
      assert.ok(
        clientLines(o).every((l) => l.msg.startsWith("kafka: ") && typeof l.time === "string"),
        name,
      );
    }
    assert.ok(clientLines(verbose).every((l) => l.level !== "debug"));
    assert.ok(clientLines(debug).some((l) => l.level === "debug"));
  });
});
