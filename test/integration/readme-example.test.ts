/**
 * The README's publish example, run as a newcomer would after `make demo`: the demo's sample
 * runs (tools/demo/samples.ts, the script `make demo` runs) go to a fresh topic, then the
 * example's command (taken from README.md, `kymaros-publish` being the CLI from the checkout)
 * must visibly change /metrics: the series it adds are computed here from its flags (all
 * others stay as the demo left them), and the
 * sample lines the README promises must be on /metrics. Run twice, it changes nothing more
 * than the duplicate count, as the README says.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { RunCompleted } from "../../services/contract/index.ts";
import { sampleRuns } from "../../tools/demo/samples.ts";
import { domainSamples } from "../support/exposition.ts";
import { testBrokers, uniqueTopic } from "../support/kafka.ts";
import { expectedSamples, numericSamples } from "../support/model.ts";
import {
  type RunningService,
  scrape,
  selfMetric,
  startService,
  waitFor,
  waitReady,
} from "../support/service.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const readme = readFileSync(`${repo}README.md`, "utf8");

/** The README's "Publishing runs" section. */
function publishingSection(): string {
  const start = readme.indexOf("\n## Publishing runs\n");
  const end = readme.indexOf("\n## ", start + 1);
  assert.ok(start >= 0 && end > start, "README.md has no '## Publishing runs' section");
  return readme.slice(start, end);
}

/** The arguments of the section's first `kymaros-publish --run-id ...` command (lines joined at `\`). */
function exampleArgs(): string[] {
  const block = /```sh\n([\s\S]*?)\n```/.exec(publishingSection())?.[1];
  assert.ok(block, "no sh block in the README's Publishing runs section");
  const lines = block.split("\n");
  const first = lines.findIndex((l) => l.startsWith("kymaros-publish --run-id "));
  assert.ok(first >= 0, "no 'kymaros-publish --run-id' command in the block");
  let command = "";
  for (const line of lines.slice(first)) {
    command += ` ${line.replace(/\\$/, "")}`;
    if (!line.endsWith("\\")) break;
  }
  // Plain words only, so that splitting on spaces is how a shell would read it.
  assert.doesNotMatch(command, /["'$`;|&<>#]/, "the example needs a shell to be read");
  const words = command.trim().split(/\s+/);
  assert.equal(words[0], "kymaros-publish");
  return words.slice(1);
}

/** The run the flags describe, read here with Date.parse (not the CLI's own reader). */
function runOf(args: string[]): RunCompleted {
  const flag = (name: string): string | undefined => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const time = (name: string): number | null => {
    const text = flag(name);
    return text === undefined ? null : Date.parse(text);
  };
  const number = (name: string): number | null => (flag(name) === undefined ? null : Number(flag(name)));
  return {
    runId: flag("run-id") as string,
    test: flag("test") as string,
    namespace: flag("namespace") as string,
    result: flag("result") as RunCompleted["result"],
    score: Number(flag("score")),
    startedAt: time("started-at") as number,
    completedAt: time("completed-at") as number,
    rtoSeconds: number("rto-seconds"),
    backupName: flag("backup-name") ?? null,
    backupCreatedAt: time("backup-created-at"),
    rtoTargetSeconds: number("rto-target-seconds"),
    cluster: flag("cluster") ?? null,
  };
}

function node(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("the README's publish example after the demo's sample data", { timeout: 90_000 }, () => {
  let service: RunningService | undefined;
  after(async () => {
    await service?.stop();
  });

  test("adds a test the demo does not have, with the values the README names", async () => {
    const args = exampleArgs();
    const example = runOf(args);
    const demo = sampleRuns();
    assert.ok(!demo.some((r) => r.test === example.test), `the demo already publishes ${example.test}`);

    const topic = uniqueTopic("readme");
    const env = { KYMAROS_KAFKA_BROKERS: testBrokers().join(","), KYMAROS_TOPIC: topic };
    service = await startService({ topic, groupId: `${topic}.group` });
    await waitReady(service);
    const s = service;
    const samples = async () => numericSamples(domainSamples(await scrape(s)));
    // Runs counted on /metrics (the exposition is rebuilt shortly after the events are applied).
    const counted = async () =>
      [...(await samples())]
        .filter(([k]) => k.startsWith("kymaros_tests_total{"))
        .reduce((n, [, v]) => n + v, 0);

    // What `make demo` publishes, by the script it runs (its runs are dated from today).
    const published = await node(["tools/demo/samples.ts"], env);
    assert.equal(published.code, 0, published.output);
    await waitFor(
      "the demo's runs on /metrics",
      async () => ((await counted()) === demo.length ? true : undefined),
      20_000,
      s,
    );
    const before = await samples();
    assert.ok(before.size > 0);

    // The example's series are new ones, all else stays: the expected /metrics, from its flags.
    const expected = new Map([...before, ...expectedSamples([example])]);
    assert.ok([...expectedSamples([example]).keys()].every((k) => !before.has(k)));
    const first = await node(["services/producer/cli/publish.ts", ...args], env);
    assert.equal(first.code, 0, first.output);
    await waitFor(
      "the example's run on /metrics",
      async () => {
        const actual = await samples();
        try {
          assert.deepEqual(actual, expected);
          return true;
        } catch {
          return undefined;
        }
      },
      20_000,
      s,
    );
    const afterExample = await samples();
    const added = [...afterExample.keys()].filter((k) => !before.has(k));
    assert.ok(added.length > 0, "the example added no series");
    assert.ok(
      added.every((k) => k.includes(`test="${example.test}"`)),
      JSON.stringify(added),
    );

    // The sample lines the README promises, verbatim.
    const text = await scrape(s);
    const promised = [...publishingSection().matchAll(/`(kymaros_[a-z_]+\{[^`]*\} [0-9.]+)`/g)].map(
      (m) => m[1] as string,
    );
    assert.ok(promised.length >= 2, "the README names the lines to look for");
    for (const line of promised) {
      assert.ok(text.split("\n").includes(line.replace(/, /g, ",")), `not on /metrics: ${line}`);
    }
    assert.equal(selfMetric(text, "kymaros_api_events_total", 'outcome="duplicate"'), 0);

    // Again: the run id is already counted.
    const again = await node(["services/producer/cli/publish.ts", ...args], env);
    assert.equal(again.code, 0, again.output);
    await waitFor(
      "the second publish counted as a duplicate",
      async () =>
        selfMetric(await scrape(s), "kymaros_api_events_total", 'outcome="duplicate"') === 1
          ? true
          : undefined,
      20_000,
      s,
    );
    assert.deepEqual(await samples(), afterExample);
  });
});
