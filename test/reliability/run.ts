/**
 * The reliability suite: node --import tsx test/reliability/run.ts --profile full|ci
 *   [--seed N] [--only crash,outage,duplicates,fuzz,scrape]
 * Runs each part against the real service and a real broker, prints one table (part, figures,
 * verdict) and exits non-zero when a guarantee broke. Ground truth is always computed here,
 * independently, from the events the suite itself published.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { testBrokers } from "../support/kafka.ts";
import type { Part, PartContext, PartResult } from "./part.ts";
import { crashPart } from "./parts/crash.ts";
import { duplicatesPart } from "./parts/duplicates.ts";
import { fuzzPart } from "./parts/fuzz.ts";
import { outagePart } from "./parts/outage.ts";
import { scrapePart } from "./parts/scrape.ts";
import { PROFILES, type Profile } from "./profile.ts";
import { createRandom } from "./support/random.ts";
import { killAll } from "./support/service.ts";

const PARTS: [string, Part][] = [
  ["crash", crashPart],
  ["outage", outagePart],
  ["duplicates", duplicatesPart],
  ["fuzz", fuzzPart],
  ["scrape", scrapePart],
];

interface Row {
  part: string;
  seconds: number;
  result: PartResult;
}

function table(rows: Row[]): string {
  const lines: string[][] = [["part", "figures", "verdict"]];
  for (const { part, seconds, result } of rows) {
    const verdict = result.failures.length === 0 ? "PASS" : "FAIL";
    const figures = [...result.figures, `took ${seconds.toFixed(0)} s`];
    for (const [i, f] of figures.entries()) lines.push([i === 0 ? part : "", f, i === 0 ? verdict : ""]);
  }
  const width = [0, 1, 2].map((c) => Math.max(...lines.map((l) => [...(l[c] as string)].length)));
  const pad = (s: string, w: number) => s + " ".repeat(w - [...s].length);
  const rule = width.map((w) => "-".repeat(w)).join("-+-");
  const out = lines.map((l) => l.map((cell, c) => pad(cell, width[c] as number)).join(" | "));
  return [out[0], rule, ...out.slice(1)].join("\n");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      profile: { type: "string", default: "full" },
      seed: { type: "string" },
      only: { type: "string" },
    },
  });
  const name = values.profile as Profile["name"];
  const profile = PROFILES[name];
  if (!profile) {
    process.stderr.write(`unknown profile "${values.profile}" (full or ci)\n`);
    return 2;
  }
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const only = values.only?.split(",");
  const brokers = testBrokers();
  const runId = randomUUID().slice(0, 8);
  const random = createRandom(seed);
  const started = Date.now();
  const log = (message: string) =>
    process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
  log(`reliability suite, profile ${profile.name}, seed ${seed}, brokers ${brokers.join(",")}`);
  const ctx: PartContext = {
    profile,
    brokers,
    random,
    unique: (prefix) => `reliability.${runId}.${prefix}`,
    log,
  };

  const rows: Row[] = [];
  for (const [part, run] of PARTS) {
    if (only && !only.includes(part)) continue;
    log(`${part}: starting`);
    const t0 = Date.now();
    let result: PartResult;
    try {
      result = await run(ctx);
    } catch (err) {
      result = {
        figures: [],
        failures: [`the part could not finish: ${(err as Error).stack ?? String(err)}`],
      };
    }
    await killAll();
    const seconds = (Date.now() - t0) / 1000;
    log(`${part}: ${result.failures.length === 0 ? "PASS" : "FAIL"} in ${seconds.toFixed(0)} s`);
    rows.push({ part, seconds, result });
  }

  const failed = rows.filter((r) => r.result.failures.length > 0);
  process.stdout.write(`\n${table(rows)}\n\n`);
  for (const r of failed) {
    process.stdout.write(`${r.part}: broken guarantees\n`);
    for (const f of r.result.failures) process.stdout.write(`  - ${f}\n`);
  }
  process.stdout.write(
    `profile ${profile.name}, seed ${seed}: ${failed.length === 0 ? "all guarantees held" : `${failed.length} part(s) failed`} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`reliability: ${(err as Error).stack ?? String(err)}\n`);
    await killAll();
    process.exit(2);
  },
);
