/**
 * The CLIs' logic with the producer swapped for an in-memory one (what the integration tests
 * do against the real broker is in test/integration/cli-*.test.ts): exit codes, the one-line
 * errors, nothing published on invalid input, and the report of a Kafka failure mid-way.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { type TestRetired, validateRetirement } from "../../../../services/contract/index.ts";
import { runBackfill } from "../../../../services/producer/cli/backfill-command.ts";
import type { CliDeps, CliIo } from "../../../../services/producer/cli/common.ts";
import { runPublish } from "../../../../services/producer/cli/publish-command.ts";
import { PublishError, type PublishResult, type RetireResult } from "../../../../services/producer/errors.ts";
import { toRetirement } from "../../../../services/producer/retirement-input.ts";
import type { RunInput } from "../../../../services/producer/run-fields.ts";
import { runFromJson } from "../../../../services/producer/run-input.ts";
import type { EventProducer, PublishManyOptions } from "../../../../services/producer/sdk.ts";

const fixturePath = new URL("../../../fixtures/restorereports.json", import.meta.url).pathname;

interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
}

function capture(stdin = "", env: Record<string, string> = {}): Captured {
  let out = "";
  let err = "";
  return {
    io: {
      stdin: Readable.from([Buffer.from(stdin)]),
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        err += text;
      },
      stderrIsTTY: false,
      env: { KYMAROS_KAFKA_BROKERS: "127.0.0.1:1", KYMAROS_TOPIC: "cli.unit", ...env },
    },
    out: () => out,
    err: () => err,
  };
}

/** An in-memory producer: acknowledges everything, or the first `failAfter` runs (over all calls) then fails. */
function fakeDeps(
  failAfter = Number.POSITIVE_INFINITY,
): CliDeps & { sent: RunInput[]; retired: TestRetired[]; created: number } {
  const deps = {
    sent: [] as RunInput[],
    retired: [] as TestRetired[],
    created: 0,
    createProducer(): EventProducer {
      deps.created++;
      const result = (run: RunInput, i: number): PublishResult => ({
        topic: "cli.unit",
        partition: 0,
        offset: String(i),
        runId: run.runId,
        test: run.test,
      });
      return {
        topic: "cli.unit",
        async publish(run) {
          deps.sent.push(run);
          return result(run, 0);
        },
        async publishMany(runs: readonly RunInput[], options?: PublishManyOptions) {
          const results: PublishResult[] = [];
          for (const [i, run] of runs.entries()) {
            if (deps.sent.length >= failAfter) {
              throw new PublishError("kafka", "publishing failed", {
                index: i,
                acknowledged: results,
                cause: new Error("Broker not available"),
              });
            }
            deps.sent.push(run);
            results.push(result(run, i));
            options?.onProgress?.(results.length, runs.length);
          }
          return results;
        },
        async retire(input) {
          return (await this.retireMany([input]))[0] as RetireResult;
        },
        async retireMany(inputs) {
          const results: RetireResult[] = [];
          for (const [i, input] of inputs.entries()) {
            // What the real SDK checks before anything is sent.
            const r = toRetirement(input);
            validateRetirement(r);
            if (deps.retired.length >= failAfter) {
              throw new PublishError("kafka", "publishing failed", {
                index: i,
                acknowledged: results,
                cause: new Error("Broker not available"),
              });
            }
            deps.retired.push(r);
            results.push({ topic: "cli.unit", partition: 0, offset: String(i), ...r });
          }
          return results;
        },
        async close() {},
      };
    },
  };
  return deps;
}

const line = (runId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    runId,
    test: "my-app-nightly",
    namespace: "shop",
    result: "pass",
    score: 97,
    startedAt: "2026-11-26T03:00:00Z",
    completedAt: 1795662850000,
    ...extra,
  });

const FLAGS = [
  "--run-id",
  "r-1",
  "--test",
  "my-app-nightly",
  "--namespace",
  "shop",
  "--result",
  "pass",
  "--score",
  "97",
  "--started-at",
  "2026-11-26T03:00:00Z",
  "--completed-at",
  "2026-11-26T03:14:10Z",
];

describe("kymaros-publish", () => {
  test("--help shows usage and examples on stdout", async () => {
    const c = capture();
    assert.equal(await runPublish(["--help"], c.io, fakeDeps()), 0);
    assert.match(c.out(), /^Usage:/);
    assert.match(c.out(), /Examples:\n {2}kymaros-publish --run-id/);
    assert.equal(c.err(), "");
  });

  test("one run from flags: published, its partition and offset on stdout", async () => {
    const c = capture();
    const deps = fakeDeps();
    assert.equal(await runPublish([...FLAGS, "--rto-seconds", "695", "--cluster", "prod"], c.io, deps), 0);
    assert.equal(deps.sent.length, 1);
    assert.equal(deps.sent[0]?.rtoSeconds, 695);
    assert.equal(deps.sent[0]?.cluster, "prod");
    assert.deepEqual(JSON.parse(c.out()), {
      topic: "cli.unit",
      partition: 0,
      offset: "0",
      runId: "r-1",
      test: "my-app-nightly",
    });
  });

  test("NDJSON from stdin, blank lines and CRLF allowed", async () => {
    const c = capture(`${line("a")}\r\n\n${line("b")}\n   \n${line("c")}`);
    const deps = fakeDeps();
    assert.equal(await runPublish(["--file", "-"], c.io, deps), 0);
    assert.deepEqual(
      deps.sent.map((r) => r.runId),
      ["a", "b", "c"],
    );
    assert.match(c.err(), /3 records published to cli\.unit and acknowledged/);
  });

  test("an invalid line: one line naming line and field, exit 2, no producer even created", async () => {
    for (const [input, expected] of [
      [
        `${line("a")}\n\n${line("b", { score: 120 })}\n`,
        /^kymaros-publish: line 3, field score: .*120.*nothing was published\n$/,
      ],
      [`${line("a")}\n{"runId":\n`, /^kymaros-publish: line 2, field \(record\): not JSON/],
      [`${line("a", { startedAt: "2026-11-26" })}\n`, /^kymaros-publish: line 1, field startedAt: /],
      [`${line("a", { rtoSecs: 3 })}\n`, /^kymaros-publish: line 1, field rtoSecs: unknown field/],
      [
        `${line("a", { result: "ok" })}\n${line("b", { result: "ok" })}\n`,
        /line 1, field result: .*\(and 1 more invalid lines\)/,
      ],
    ] as const) {
      const c = capture(input);
      const deps = fakeDeps();
      assert.equal(await runPublish(["--file", "-"], c.io, deps), 2, input);
      assert.match(c.err(), expected);
      assert.equal(c.err().trimEnd().split("\n").length, 1);
      assert.equal(deps.created, 0);
      assert.equal(deps.sent.length, 0);
    }
  });

  test("what only the contract refuses (completedAt before startedAt) is reported by line, nothing sent", async () => {
    // The real SDK, pointed at a port nothing listens on: validation happens before any connection.
    const c = capture(`${line("a")}\n${line("b", { completedAt: "2026-11-26T02:00:00Z" })}\n`);
    assert.equal(await runPublish(["--file", "-"], c.io), 2);
    // The values as the line has them (JSON strings), not as epoch milliseconds.
    const { startedAt } = JSON.parse(line("b")) as { startedAt: string };
    assert.equal(
      c.err(),
      `kymaros-publish: line 2, field completedAt: completedAt "2026-11-26T02:00:00Z" is before startedAt "${startedAt}"; nothing was published\n`,
    );
  });

  test("a refused value given as a flag is echoed as typed, epoch milliseconds also as a date", async () => {
    const base = ["--run-id", "r", "--test", "t", "--namespace", "n", "--result", "pass", "--score", "9"];
    const cases: Array<[string[], string]> = [
      [
        ["--started-at", "2026-11-26T04:00:00+01:00", "--completed-at", "2026-11-26T02:59:59Z"],
        "--completed-at 2026-11-26T02:59:59Z is before --started-at 2026-11-26T04:00:00+01:00",
      ],
      [
        ["--started-at", "2026-11-26T04:00:00Z", "--completed-at", String(Date.UTC(2026, 10, 26, 3, 14, 10))],
        `--completed-at ${Date.UTC(2026, 10, 26, 3, 14, 10)} (2026-11-26T03:14:10.000Z) is before --started-at 2026-11-26T04:00:00Z`,
      ],
      [
        ["--started-at", "1969-12-31T23:59:59Z", "--completed-at", "2026-11-26T02:59:59Z"],
        "--started-at 1969-12-31T23:59:59Z is not a time between 1970 and 9999",
      ],
      [
        [
          "--started-at",
          "2026-11-26T04:00:00Z",
          "--completed-at",
          "2026-11-26T05:00:00Z",
          "--backup-created-at",
          "1969-01-01T00:00:00Z",
        ],
        "--backup-created-at 1969-01-01T00:00:00Z is not a time between 1970 and 9999",
      ],
    ];
    for (const [flags, message] of cases) {
      const c = capture();
      const deps = fakeDeps();
      assert.equal(await runPublish([...base, ...flags], c.io, deps), 2, message);
      assert.equal(c.err(), `kymaros-publish: ${message}\n`);
      assert.equal(deps.created, 0);
    }
  });

  test("cluster with --schema-version 1 is refused by line", async () => {
    const c = capture(`${line("a")}\n${line("b", { cluster: "prod" })}\n`);
    assert.equal(await runPublish(["--file", "-", "--schema-version", "1"], c.io), 2);
    assert.match(c.err(), /^kymaros-publish: line 2, field cluster: .*schema version 1/);
  });

  test("bad flags are usage errors pointing at --help", async () => {
    for (const argv of [
      ["--bogus"],
      [],
      ["--file", "-", "--test", "t"],
      [...FLAGS, "--schema-version", "4"],
      [...FLAGS.slice(0, -2)],
      [...FLAGS, "--score", "ninety"],
      ["positional"],
    ]) {
      const c = capture();
      const deps = fakeDeps();
      assert.equal(await runPublish(argv, c.io, deps), 2, argv.join(" "));
      assert.match(c.err(), /^kymaros-publish: .*\(see kymaros-publish --help\)\n$/, argv.join(" "));
      assert.equal(deps.sent.length, 0);
    }
  });

  test("a bad KYMAROS_* setting is named", async () => {
    const c = capture(`${line("a")}\n`, { KYMAROS_KAFKA_BROKERS: "nohostport" });
    assert.equal(await runPublish(["--file", "-"], c.io), 2);
    assert.match(c.err(), /KYMAROS_KAFKA_BROKERS: "nohostport" is not host:port/);
    const d = capture(`${line("a")}\n`, { KYMAROS_TOPIC: "bad topic" });
    assert.equal(await runPublish(["--file", "-"], d.io), 2);
    assert.match(d.err(), /KYMAROS_TOPIC: "bad topic" is not a Kafka topic name/);
  });

  test("a missing file is one line", async () => {
    const c = capture();
    assert.equal(await runPublish(["--file", "/nonexistent/runs.ndjson"], c.io, fakeDeps()), 2);
    assert.equal(c.err(), "kymaros-publish: cannot read /nonexistent/runs.ndjson: ENOENT\n");
  });

  test("a Kafka failure mid-way says how many and which records were acknowledged, exit 3", async () => {
    const c = capture([line("a"), "", line("b"), line("c"), line("d"), line("e")].join("\n"));
    const deps = fakeDeps(2);
    assert.equal(await runPublish(["--file", "-"], c.io, deps), 3);
    assert.equal(
      c.err(),
      "kymaros-publish: Kafka failure publishing to cli.unit, 2 of 5 records were acknowledged (lines 1-3); the other 3 were not confirmed: Broker not available\n",
    );
    const none = capture(line("a"));
    assert.equal(await runPublish(["--file", "-"], none.io, fakeDeps(0)), 3);
    assert.match(none.err(), /no record was acknowledged: Broker not available/);
  });

  test("a Kafka failure in a later chunk of a long input counts every acknowledged record", async () => {
    const lines = Array.from({ length: 45_000 }, (_, i) => line(`r-${i}`));
    lines.splice(1, 0, ""); // line 2 is blank: record n is on line n + 1 from there on
    const c = capture(lines.join("\n"));
    const deps = fakeDeps(41_234);
    assert.equal(await runPublish(["--file", "-"], c.io, deps), 3);
    assert.equal(deps.sent.length, 41_234);
    assert.deepEqual(
      deps.sent.slice(0, 3).map((r) => r.runId),
      ["r-0", "r-1", "r-2"],
    );
    assert.equal(
      c.err(),
      "kymaros-publish: Kafka failure publishing to cli.unit, 41234 of 45000 records were acknowledged (lines 1-41235); the other 3766 were not confirmed: Broker not available\n",
    );
  });

  test("progress on stderr with --progress (every 10k records, or once a second)", async () => {
    const lines = Array.from({ length: 25_000 }, (_, i) => line(`r-${i}`)).join("\n");
    const quiet = capture(lines);
    assert.equal(await runPublish(["--file", "-"], quiet.io, fakeDeps()), 0);
    assert.doesNotMatch(quiet.err(), /records acknowledged \(/);
    const loud = capture(lines);
    // A clock that stands still: only the record count triggers a report.
    loud.io.now = () => 0;
    assert.equal(await runPublish(["--file", "-", "--progress"], loud.io, fakeDeps()), 0);
    const progress = loud
      .err()
      .split("\n")
      .filter((l) => l.includes("acknowledged ("));
    assert.deepEqual(progress, [
      "kymaros-publish: 10000/25000 records acknowledged (40%)",
      "kymaros-publish: 20000/25000 records acknowledged (80%)",
    ]);
  });
});

describe("kymaros-backfill", () => {
  const fixtureText = readFileSync(fixturePath, "utf8");

  test("--help shows usage and examples", async () => {
    const c = capture();
    assert.equal(await runBackfill(["-h"], c.io, fakeDeps()), 0);
    assert.match(c.out(), /kubectl get restorereports -A -o json \| kymaros-backfill/);
  });

  test("publishes the convertible reports, lists the others, exit 4", async () => {
    const c = capture(fixtureText);
    const deps = fakeDeps();
    assert.equal(await runBackfill([], c.io, deps), 4);
    assert.equal(deps.sent.length, 7);
    const skippedLines = c
      .err()
      .split("\n")
      .filter((l) => l.startsWith("kymaros-backfill: skipped "));
    assert.equal(skippedLines.length, 7);
    assert.ok(
      skippedLines.includes(
        "kymaros-backfill: skipped billing/invoices-hourly-20261126-080000: status.score=120 is outside 0..100",
      ),
    );
    assert.match(c.err(), /7 of 14 reports published to cli\.unit and acknowledged, 7 skipped\n$/);
    assert.equal(c.out(), "");
  });

  test("exit 0 when every report converts", async () => {
    const document = JSON.parse(fixtureText) as { items: unknown[] };
    const good = { apiVersion: "v1", kind: "List", items: document.items.slice(0, 3) };
    const c = capture(JSON.stringify(good));
    const deps = fakeDeps();
    assert.equal(await runBackfill(["--file", "-", "--cluster", "prod-eu-1"], c.io, deps), 0);
    assert.deepEqual(
      deps.sent.map((r) => r.cluster),
      ["prod-eu-1", "prod-eu-1", "prod-eu-1"],
    );
  });

  test("--dry-run prints NDJSON that kymaros-publish reads, publishes nothing", async () => {
    const c = capture();
    const deps = fakeDeps();
    assert.equal(await runBackfill(["--file", fixturePath, "--dry-run"], c.io, deps), 4);
    assert.equal(deps.created, 0);
    const lines = c.out().trimEnd().split("\n");
    assert.equal(lines.length, 7);
    const runs = lines.map((l) => runFromJson(JSON.parse(l)));
    assert.equal(runs[0]?.runId, "checkout-nightly-20261124-030000");
    assert.equal(runs[0]?.startedAt, Date.parse("2026-11-24T03:00:00Z"));
    // ... and kymaros-publish takes it as it is.
    const p = capture(c.out());
    const publishDeps = fakeDeps();
    assert.equal(await runPublish(["--file", "-"], p.io, publishDeps), 0);
    assert.deepEqual(publishDeps.sent, runs);
  });

  test("unreadable input and bad flags exit 2 with one line", async () => {
    for (const [argv, stdin, expected] of [
      [[], "not json", /^kymaros-backfill: the input is not JSON: /],
      [[], '{"kind":"Pod"}', /^kymaros-backfill: the input is neither a List/],
      [["--file", "/nonexistent.json"], "", /^kymaros-backfill: cannot read \/nonexistent.json: ENOENT/],
      [["--cluster", "c", "--schema-version", "1"], "{}", /--cluster needs schema version 2/],
      [["--what"], "{}", /see kymaros-backfill --help/],
    ] as const) {
      const c = capture(stdin);
      const deps = fakeDeps();
      assert.equal(await runBackfill([...argv], c.io, deps), 2, argv.join(" "));
      assert.match(c.err(), expected);
      assert.equal(c.err().trimEnd().split("\n").length, 1);
      assert.equal(deps.sent.length, 0);
    }
  });

  test("a Kafka failure mid-way names the acknowledged reports, exit 3", async () => {
    const c = capture(fixtureText);
    assert.equal(await runBackfill([], c.io, fakeDeps(3)), 3);
    assert.match(
      c.err(),
      /Kafka failure publishing to cli\.unit, 3 of 7 records were acknowledged \(shop\/checkout-nightly-20261124-030000 \.\. shop\/cart-weekly-20261123-040000, in input order\); the other 4 were not confirmed: Broker not available\n$/,
    );
  });
});

describe("kymaros-publish --retire", () => {
  const flags = ["--retire", "--test", "my-app-nightly", "--namespace", "shop"];

  test("one retirement from flags, at the given time, printed once acknowledged", async () => {
    const deps = fakeDeps();
    const c = capture();
    const code = await runPublish(
      [...flags, "--cluster", "prod", "--retired-at", "2026-11-27T00:00:00Z", "--reason", "deleted"],
      c.io,
      deps,
    );
    assert.equal(code, 0, c.err());
    assert.deepEqual(deps.retired, [
      {
        test: "my-app-nightly",
        namespace: "shop",
        cluster: "prod",
        retiredAt: Date.UTC(2026, 10, 27),
        reason: "deleted",
      },
    ]);
    assert.equal((JSON.parse(c.out()) as RetireResult).retiredAt, Date.UTC(2026, 10, 27));
  });

  test("--retired-at defaults to now", async () => {
    const deps = fakeDeps();
    const before = Date.now();
    assert.equal(await runPublish(flags, capture().io, deps), 0);
    const at = deps.retired[0]?.retiredAt ?? 0;
    assert.ok(at >= before && at <= Date.now(), String(at));
  });

  test("bad retirements: one line naming the flag, exit 2, nothing sent", async () => {
    const cases: [string[], RegExp][] = [
      [["--retire", "--namespace", "shop"], /needs --test/],
      [["--retire", "--test", "t"], /needs --namespace/],
      [[...flags, "--retired-at", "yesterday"], /--retired-at/],
      [[...flags, "--retired-at", "-5"], /--retired-at/],
      [["--retire", "--test", "", "--namespace", "shop"], /--test: test is empty/],
      [[...flags, "--reason", "x".repeat(1025)], /--reason: reason has 1025 characters/],
      [[...flags, "--score", "3"], /--retire and --score do not go together/],
      [["--test", "t", "--reason", "x"], /--reason goes with --retire/],
    ];
    for (const [argv, message] of cases) {
      const deps = fakeDeps();
      const c = capture();
      assert.equal(await runPublish(argv, c.io, deps), 2, argv.join(" "));
      assert.match(c.err(), message);
      assert.equal(c.err().trim().split("\n").length, 1, c.err());
      assert.equal(deps.created, 0, `${argv.join(" ")}: no producer for a refused retirement`);
    }
  });

  test("NDJSON: all validated first; one bad line and nothing is sent", async () => {
    const good = JSON.stringify({ test: "a", namespace: "shop", retiredAt: "2026-11-27T00:00:00Z" });
    const other = JSON.stringify({
      test: "b",
      namespace: "shop",
      cluster: "c",
      retiredAt: 1_795_000_000_000,
      reason: "renamed",
    });
    const deps = fakeDeps();
    const c = capture(`${good}\n\n${other}\n`);
    assert.equal(await runPublish(["--retire", "--file", "-"], c.io, deps), 0, c.err());
    assert.deepEqual(
      deps.retired.map((r) => [r.test, r.cluster, r.retiredAt, r.reason]),
      [
        ["a", null, Date.UTC(2026, 10, 27), null],
        ["b", "c", 1_795_000_000_000, "renamed"],
      ],
    );
    for (const bad of [
      JSON.stringify({ test: "", namespace: "shop", retiredAt: 1_795_000_000_000 }),
      JSON.stringify({ test: "a", namespace: "shop", retiredAt: 1_795_000_000_000, runId: "x" }),
      JSON.stringify({ test: "a", retiredAt: 1_795_000_000_000 }),
      JSON.stringify({ test: "a", namespace: "shop", retiredAt: 5 }),
      "{not json",
    ]) {
      const d = fakeDeps();
      const b = capture(`${good}\n${bad}\n`);
      assert.equal(await runPublish(["--retire", "--file", "-"], b.io, d), 2, bad);
      assert.match(b.err(), /line 2, field .*nothing was published/);
      assert.equal(d.created, 0);
    }
  });

  test("a Kafka failure mid-way says how many were acknowledged, exit 3", async () => {
    const lines = ["a", "b", "c"]
      .map((t) => JSON.stringify({ test: t, namespace: "n", retiredAt: 1_795_000_000_000 }))
      .join("\n");
    const c = capture(lines);
    assert.equal(await runPublish(["--retire", "--file", "-"], c.io, fakeDeps(1)), 3);
    assert.match(c.err(), /1 of 3 records were acknowledged \(retirement 1\)/);
  });
});

describe("kymaros-backfill --prune", () => {
  const dir = mkdtempSync(join(tmpdir(), "kymaros-prune-"));
  const testsFile = (items: unknown[]) => {
    const path = join(dir, `tests-${items.length}-${Math.random()}.json`);
    writeFileSync(path, JSON.stringify({ apiVersion: "v1", kind: "List", items }));
    return path;
  };
  const restoreTest = (namespace: string, name: string) => ({
    apiVersion: "restore.kymaros.io/v1alpha1",
    kind: "RestoreTest",
    metadata: { name, namespace },
  });
  test("retires exactly the tests with reports and no RestoreTest, at their latest report", async () => {
    // Keep shop's two tests and billing/ledger-daily; the others are gone.
    const path = testsFile([
      restoreTest("shop", "checkout-nightly"),
      restoreTest("shop", "cart-weekly"),
      restoreTest("billing", "ledger-daily"),
      restoreTest("elsewhere", "invoices-hourly"),
    ]);
    const dry = capture();
    const deps = fakeDeps();
    assert.equal(
      await runBackfill(["--prune", "--tests", path, "--file", fixturePath, "--dry-run"], dry.io, deps),
      4,
    );
    assert.equal(deps.created, 0);
    const listed = dry
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as TestRetired);
    // Expected: the tests of the reports a plain dry run converts, minus those kept, each at its latest.
    const plain = capture();
    await runBackfill(["--file", fixturePath, "--dry-run"], plain.io, fakeDeps());
    const converted = plain
      .out()
      .trim()
      .split("\n")
      .map((l) => runFromJson(JSON.parse(l)));
    const kept = new Set(["shop/checkout-nightly", "shop/cart-weekly", "billing/ledger-daily"]);
    const expected = new Map<string, number>();
    for (const run of converted) {
      const id = `${run.namespace}/${run.test}`;
      if (!kept.has(id)) expected.set(id, Math.max(expected.get(id) ?? 0, run.completedAt));
    }
    assert.ok(expected.size >= 2 && expected.has("billing/invoices-hourly"), [...expected.keys()].join());
    assert.deepEqual(new Map(listed.map((r) => [`${r.namespace}/${r.test}`, r.retiredAt])), expected);
    assert.ok(listed.every((r) => r.cluster === null && r.reason !== null));

    const real = capture();
    const sent = fakeDeps();
    assert.equal(await runBackfill(["--prune", "--tests", path, "--file", fixturePath], real.io, sent), 4);
    assert.deepEqual(sent.retired, listed);
    assert.equal(sent.sent.length, 0, "--prune publishes no runs");
  });

  test("bad RestoreTests or flags: one line, exit 2, nothing sent", async () => {
    const notJson = join(dir, "bad.json");
    writeFileSync(notJson, "{");
    const cases: [string[], RegExp][] = [
      [["--prune", "--file", fixturePath], /--prune needs --tests/],
      [["--tests", notJson, "--file", fixturePath], /--tests goes with --prune/],
      [["--prune", "--tests", notJson, "--file", fixturePath], /is not JSON/],
      [
        ["--prune", "--tests", testsFile([{ metadata: { name: "x" } }]), "--file", fixturePath],
        /metadata.namespace/,
      ],
      [["--prune", "--tests", join(dir, "missing.json"), "--file", fixturePath], /cannot read/],
      [["--prune", "--tests", testsFile([]), "--retired-at", "soon", "--file", fixturePath], /--retired-at/],
    ];
    for (const [argv, message] of cases) {
      const deps = fakeDeps();
      const c = capture();
      assert.equal(await runBackfill(argv, c.io, deps), 2, argv.join(" "));
      assert.match(c.err(), message);
      assert.equal(c.err().trim().split("\n").length, 1, c.err());
      assert.equal(deps.created, 0);
    }
  });
});
