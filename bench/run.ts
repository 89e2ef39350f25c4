/**
 * make bench: replay, scrape, freshness and memory of the service against the real local broker,
 * each beside a baseline measured in the same run, printed as one table.
 *   node --import tsx bench/run.ts [--profile full|smoke]
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { Kafka, logLevel } from "kafkajs";
import { createProducer } from "../services/producer/index.ts";
import { type RunningService, startService, waitReady } from "../test/support/service.ts";
import { bareKafkajsReplay, kcatReplay, promClientRender } from "./baselines.ts";
import { changelogBench } from "./changelog.ts";
import { type Dataset, ensureDataset, makeRun, topicSize } from "./data.ts";
import { percentile, scrapeOnce } from "./http.ts";
import { ingestComparison, openRegistryReplay } from "./registry.ts";
import { replicaBench } from "./replicas.ts";
import { statusPageFigures } from "./status-page.ts";

const { values } = parseArgs({ options: { profile: { type: "string", default: "full" } } });
const full = values.profile !== "smoke";
const P = full
  ? {
      big: { tests: 10_000, runsPerTest: 100, partitions: 6 },
      small: { tests: 1000, runsPerTest: 10, partitions: 6 },
      scrapes: 300,
      fresh: 1000,
    }
  : {
      big: { tests: 200, runsPerTest: 50, partitions: 6 },
      small: { tests: 50, runsPerTest: 4, partitions: 6 },
      scrapes: 30,
      fresh: 20,
    };

const brokers = (process.env.KYMAROS_KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const kafka = new Kafka({ brokers, clientId: "bench", logLevel: logLevel.NOTHING });
const MAIN = fileURLToPath(new URL("../dist/services/api/main.js", import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Row {
  figure: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
}
const rows: Row[] = [];
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

function rssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

function metricValue(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

async function metricsText(url: string): Promise<string> {
  const s = await scrapeOnce(url, true);
  return (s.encoding === "gzip" ? gunzipSync(s.body) : s.body).toString();
}

/**
 * readyMs: from spawning the process to /readyz answering 200 (the restart figure).
 * replayMs: the service's own kymaros_api_replay_duration_seconds, from its Kafka source's start
 * to caught up: what the bare consumer's time (connect to last message) compares with, neither
 * counting the start of a Node.js process.
 */
async function startBuilt(
  topic: string,
  env: Record<string, string> = {},
): Promise<{ service: RunningService; readyMs: number; replayMs: number }> {
  const began = performance.now();
  const service = await startService({
    topic,
    groupId: `bench-${randomUUID()}`,
    brokers,
    nodeArgs: [MAIN],
    env,
  });
  await waitReady(service, 120_000);
  const readyMs = performance.now() - began;
  const replayMs =
    metricValue(await metricsText(`${service.url}/metrics`), "kymaros_api_replay_duration_seconds") * 1000;
  return { service, readyMs, replayMs };
}

/** Keeps publishing new runs of random tests until stopped: the "while ingesting" of the targets. */
function backgroundPublisher(topic: string, d: Dataset, perSecond: number) {
  const producer = createProducer({ env: { KYMAROS_KAFKA_BROKERS: brokers.join(",") }, topic });
  let stop = false;
  let published = 0;
  let seq = 0;
  const random = Math.random;
  const loop = (async () => {
    while (!stop) {
      const began = performance.now();
      const runs = Array.from({ length: Math.max(1, perSecond / 10) }, () => {
        const r = makeRun(Math.floor(random() * d.tests), d.runsPerTest + 1000 + seq++, random);
        return { ...r, runId: `${r.runId}-${randomUUID()}` };
      });
      await producer.publishMany(runs);
      published += runs.length;
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - began))));
    }
    await producer.close();
  })();
  return {
    async stop() {
      stop = true;
      await loop;
      return published;
    },
  };
}

async function scrapeFigures(
  label: string,
  service: RunningService,
  d: Dataset,
  tests: number,
): Promise<void> {
  const url = `${service.url}/metrics`;
  const publisher = backgroundPublisher(`bench.runs.${d.tests}x${d.runsPerTest}.p${d.partitions}`, d, 200);
  // The event-loop figures cover ingest, not the replay before it: one scrape resets them, and
  // the service renders its own metrics at most once a second.
  await scrapeOnce(url, true);
  await new Promise((r) => setTimeout(r, 1100));
  // Timed scrapes back to back, as Prometheus' would be: the bodies are read in full, and
  // decompressed only after the loop, so no scrape waits on the client decoding the last one.
  // A body ends with the process metrics' gzip member, re-rendered at most once a second: only
  // a body whose end differs from the last one kept carries a new event-loop figure.
  const gz: number[] = [];
  const bodies: Buffer[] = [];
  const tail = (b: Buffer) => b.subarray(Math.max(0, b.length - 512));
  for (let i = 0; i < P.scrapes; i++) {
    const s = await scrapeOnce(url, true);
    if (s.status !== 200 || s.encoding !== "gzip")
      throw new Error(`scrape answered ${s.status} ${s.encoding}`);
    gz.push(s.ms);
    const last = bodies.at(-1);
    if (last === undefined || !tail(last).equals(tail(s.body))) bodies.push(s.body);
  }
  const plain: number[] = [];
  for (let i = 0; i < Math.max(3, P.scrapes / 5); i++) plain.push((await scrapeOnce(url, false)).ms);
  // One more, once the own metrics are due again: its delay covers the uncompressed scrapes.
  await new Promise((r) => setTimeout(r, 1100));
  bodies.push((await scrapeOnce(url, true)).body);
  const published = await publisher.stop();
  // Each body's own metrics carry the largest event-loop delay since the previous rendering of
  // them (at most a second apart), so together they cover the whole loop.
  let maxLag = 0;
  for (const body of bodies) {
    maxLag = Math.max(
      maxLag,
      metricValue(gunzipSync(body).toString(), "nodejs_eventloop_lag_max_seconds") * 1000,
    );
  }
  const bytes = bodies[0]?.length ?? 0;
  const base = await promClientRender(tests, Math.max(5, Math.floor(P.scrapes / 20)));
  rows.push({
    figure: `/metrics p50 at ${label} tests, ingesting (gzip ${(bytes / 1e6).toFixed(2)} MB)`,
    ours: `${fmt(percentile(gz, 50), 2)} ms`,
    baseline: `${fmt(base.p50, 1)} ms`,
    ratio: fmt(percentile(gz, 50) / base.p50, 3),
    target: "<= 2 ms",
  });
  rows.push({
    figure: `/metrics p99 at ${label} tests, ingesting`,
    ours: `${fmt(percentile(gz, 99), 2)} ms`,
    baseline: `${fmt(base.p99, 1)} ms`,
    ratio: fmt(percentile(gz, 99) / base.p99, 3),
    target: "<= 20 ms",
  });
  rows.push({
    figure: `/metrics p50/p99 at ${label} tests, uncompressed`,
    ours: `${fmt(percentile(plain, 50), 1)}/${fmt(percentile(plain, 99), 1)} ms`,
    baseline: `${fmt(base.p50, 1)}/${fmt(base.p99, 1)} ms`,
    ratio: fmt(percentile(plain, 50) / base.p50, 3),
    target: "",
  });
  rows.push({
    figure: `largest event-loop delay at ${label} tests (${published} runs published meanwhile)`,
    ours: `${fmt(maxLag, 1)} ms`,
    baseline: "",
    ratio: "",
    target: "<= 50 ms",
  });
}

async function freshness(service: RunningService, topic: string): Promise<void> {
  const producer = createProducer({ env: { KYMAROS_KAFKA_BROKERS: brokers.join(",") }, topic });
  const consumer = kafka.consumer({ groupId: `bench-fresh-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const seen = new Map<string, () => void>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString() ?? "";
      seen.get(key)?.();
    },
  });
  await new Promise((r) => setTimeout(r, 3000));
  const ours: number[] = [];
  const bare: number[] = [];
  const url = `${service.url}/metrics`;
  for (let i = 0; i < P.fresh; i++) {
    const test = `fresh-${i % 50}`;
    const run = {
      ...makeRun(0, i, Math.random),
      test,
      runId: `fresh-${randomUUID()}`,
      result: "fail" as const,
    };
    const pattern = `kymaros_tests_total{test="${test}",result="fail"} ${Math.floor(i / 50) + 1}\n`;
    const consumed = new Promise<number>((resolve) => seen.set(test, () => resolve(performance.now())));
    const began = performance.now();
    await producer.publish(run);
    for (;;) {
      const s = await scrapeOnce(url, true);
      if ((s.encoding === "gzip" ? gunzipSync(s.body) : s.body).includes(pattern)) break;
      if (performance.now() - began > 10_000) throw new Error(`run ${i} not visible after 10 s`);
    }
    ours.push(performance.now() - began);
    bare.push((await consumed) - began);
  }
  await consumer.disconnect();
  await producer.close();
  for (const p of [50, 99]) {
    rows.push({
      figure: `publish -> visible on /metrics p${p} (${P.fresh} runs)`,
      ours: `${fmt(percentile(ours, p), 1)} ms`,
      baseline: `${fmt(percentile(bare, p), 1)} ms`,
      ratio: fmt(percentile(ours, p) / percentile(bare, p), 2),
      target: p === 99 ? "<= 150 ms" : "",
    });
  }
}

async function main(): Promise<void> {
  log(`bench profile ${full ? "full" : "smoke"} against ${brokers.join(",")}`);
  const bigTopic = await ensureDataset(kafka, P.big, log);
  const smallTopic = await ensureDataset(kafka, P.small, log);
  const events = (await topicSize(kafka, bigTopic)) ?? 0;

  // Replays vary run to run (page cache, JIT, the broker's own warm-up, and this machine's speed,
  // which drifts by a third over minutes): median of three each, the three kinds taking turns so
  // that a slow spell weighs on all of them. The last service started stays up for what follows.
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const readies: number[] = [];
  const replays: number[] = [];
  const bareRuns: number[] = [];
  const kcatRuns: number[] = [];
  const registryRuns: number[] = [];
  const framed = await openRegistryReplay(kafka, P.big, {
    brokers,
    nodeArgs: [MAIN],
    log,
    replaySeconds: async (s) =>
      metricValue(await metricsText(`${s.url}/metrics`), "kymaros_api_replay_duration_seconds"),
  });
  let kept: Awaited<ReturnType<typeof startBuilt>> | undefined;
  for (let i = 0; i < 3; i++) {
    log(
      `replay round ${i + 1} of 3: bare kafkajs consumer, kcat, the service single-object and registry-framed`,
    );
    bareRuns.push(await bareKafkajsReplay(brokers, bigTopic, events));
    kcatRuns.push(await kcatReplay(brokers, bigTopic));
    // Before the single-object replay in rounds 1 and 3, after it in round 2 (its service stops
    // first then): neither kind always runs right after kcat.
    if (i !== 1) registryRuns.push(await framed.once());
    // A full replay, as every start did before the state changelog (its rows come below).
    const run = await startBuilt(bigTopic, { KYMAROS_STATE_REBUILD: "true" });
    readies.push(run.readyMs);
    replays.push(run.replayMs);
    if (i < 2) await run.service.stop();
    else kept = run;
    if (i === 1) registryRuns.push(await framed.once());
  }
  await framed.close();
  if (!kept) throw new Error("no replay ran");
  const { service } = kept;
  const readyMs = median(readies);
  const replayMs = median(replays);
  const bareS = median(bareRuns);
  const kcatS = median(kcatRuns);
  log(
    `  ready ${readies.map((m) => (m / 1000).toFixed(2)).join(", ")} s; replay ${replays.map((m) => (m / 1000).toFixed(2)).join(", ")} s; bare ${bareRuns.map((x) => x.toFixed(2)).join(", ")} s; kcat ${kcatRuns.map((x) => x.toFixed(2)).join(", ")} s`,
  );
  const oursRate = events / (replayMs / 1000);
  rows.push({
    figure: `restart to ready, full replay of ${events} events (median of 3)`,
    ours: `${fmt(readyMs / 1000, 2)} s`,
    baseline: `${fmt(bareS, 2)} s (kafkajs)`,
    ratio: fmt(readyMs / 1000 / bareS, 2),
    target: "<= 15 s",
  });
  rows.push({
    figure: "replay events/s, whole pipeline (source start to caught up) vs bare kafkajs",
    ours: `${fmt(oursRate / 1000, 1)}k/s`,
    baseline: `${fmt(events / bareS / 1000, 1)}k/s`,
    ratio: fmt(oursRate / (events / bareS), 2),
    target: ">= 100k/s, >= 0.80",
  });
  const registryRate = events / (median(registryRuns) / 1000);
  rows.push({
    figure: "replay events/s, registry-framed (00 + id, Apicurio) vs single-object",
    ours: `${fmt(registryRate / 1000, 1)}k/s`,
    baseline: `${fmt(oursRate / 1000, 1)}k/s`,
    ratio: fmt(registryRate / oursRate, 2),
    target: ">= 0.90",
  });
  const ingest = ingestComparison(full ? 200_000 : 20_000, 5);
  rows.push({
    figure: `ingest worker alone, ${full ? 200_000 : 20_000} events: registry-framed vs single-object, CPU (median of 5)`,
    ours: `${fmt(ingest.framed, 0)} ms`,
    baseline: `${fmt(ingest.single, 0)} ms`,
    ratio: fmt(ingest.single / ingest.framed, 2),
    target: ">= 0.90 (rate)",
  });
  rows.push({
    figure: "replay events/s vs kcat to /dev/null",
    ours: `${fmt(oursRate / 1000, 1)}k/s`,
    baseline: `${fmt(events / kcatS / 1000, 1)}k/s`,
    ratio: fmt(oursRate / (events / kcatS), 2),
    target: "",
  });

  await new Promise((r) => setTimeout(r, 3000));
  const text = await metricsText(`${service.url}/metrics`);
  rows.push({
    figure: `memory at ${P.big.tests} tests, ${events} events: RSS (heap used)`,
    ours: `${fmt(rssMb(service.process.pid), 0)} MB (${fmt(metricValue(text, "nodejs_heap_size_used_bytes") / 1e6, 0)} MB)`,
    baseline: "",
    ratio: "",
    target: "RSS <= 256 MB",
  });

  log(`scrape at ${P.big.tests} tests`);
  await scrapeFigures(String(P.big.tests), service, P.big, P.big.tests);
  log(`status page at ${P.big.tests} tests`);
  rows.push(
    ...(await statusPageFigures(service.url, P.big.tests, P.scrapes, () =>
      backgroundPublisher(bigTopic, P.big, 200),
    )),
  );
  await service.stop();

  rows.push(
    ...(await changelogBench({
      brokers,
      nodeArgs: [MAIN],
      log,
      metrics: (s) => metricsText(`${s.url}/metrics`),
      rssMb,
    }).rows(bigTopic, P.big, readyMs, kcatS, full ? 3 : 1)),
  );

  log("replicas and shards: one shard of two, restart after SIGKILL, rolling restart");
  const replicas = replicaBench({ brokers, nodeArgs: [MAIN], log });
  rows.push(await replicas.shardRestart(bigTopic, readyMs, full ? 3 : 1));
  rows.push(await replicas.killRestart(bigTopic));
  rows.push(await replicas.rollingRestart(smallTopic));

  log(`scrape and freshness at ${P.small.tests} tests`);
  const small = await startBuilt(smallTopic);
  await scrapeFigures(String(P.small.tests), small.service, P.small, P.small.tests);
  await freshness(small.service, smallTopic);
  await small.service.stop();

  const cols: (keyof Row)[] = ["figure", "ours", "baseline", "ratio", "target"];
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (r: Record<keyof Row, string>) =>
    cols.map((c, i) => r[c].padEnd(widths[i] as number)).join(" | ");
  process.stdout.write(
    `\n${line({ figure: "figure", ours: "ours", baseline: "baseline", ratio: "ratio", target: "target" })}\n`,
  );
  process.stdout.write(`${widths.map((w) => "-".repeat(w)).join("-|-")}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  process.stdout.write(`\nratio = ours / baseline (for rates: ours / baseline, higher is better)\n`);
}

await main();
process.exit(0);
