/**
 * Scrape load: many concurrent clients on /metrics for a while, during live ingest. No errors;
 * ingest not starved: the lag (events published and acknowledged but not yet consumed, measured
 * here, and the service's own kymaros_api_consumer_lag) stays small; exact view at the end.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Part } from "../part.ts";
import { runFactory, testNames } from "../support/events.ts";
import { firstDifference, renderDomain } from "../support/exposition.ts";
import {
  createPublisher,
  createTopics,
  deleteTopics,
  kafkaFor,
  runMessage,
  startLivePublisher,
} from "../support/kafka.ts";
import {
  alive,
  consumed,
  percentile,
  scrape,
  scrapeDomain,
  selfMetric,
  sleep,
  startOn,
  waitFor,
  waitReady,
} from "../support/service.ts";

const LOAD = fileURLToPath(new URL("../support/scrape-load.ts", import.meta.url));

interface LoadResult {
  requests: number;
  errors: number;
  bytes: number;
  p50: number;
  p99: number;
  max: number;
  samples: string[];
}

export const scrapePart: Part = async (ctx) => {
  const p = ctx.profile.scrape;
  const { random } = ctx;
  const kafka = kafkaFor(ctx.brokers, "reliability-scrape");
  const topic = ctx.unique("scrape");
  await createTopics(kafka, topic, `${topic}.dlq`);
  const publisher = await createPublisher(kafka, topic);
  const tests = testNames(p.tests, "sc");
  const factory = runFactory(random, tests, "s");
  const initial = tests.flatMap((t) => Array.from({ length: 5 }, () => factory.next(t)));
  await publisher.send(initial.map((r) => runMessage(r, random)));
  const s = await startOn(ctx.brokers, topic, `${topic}.group`);
  await waitReady(s, 60_000);
  const failures: string[] = [];

  const live = startLivePublisher(publisher, () => factory.next(), random, p.liveEventsPerSecond);
  await sleep(1000);
  const load = promisify(execFile)(
    process.execPath,
    ["--import", "tsx", LOAD, `${s.url}/metrics`, String(p.clients), String(p.seconds)],
    { timeout: (p.seconds + 120) * 1000, maxBuffer: 1 << 20 },
  );
  // Lag, sampled every second while the load runs: acknowledged by the broker, not yet consumed.
  const lags: number[] = [];
  const ownLags: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const acked = initial.length + live.acked.length;
      try {
        const text = await scrape(s);
        lags.push(Math.max(0, acked - consumed(text)));
        ownLags.push(selfMetric(text, "kymaros_api_consumer_lag"));
      } catch {
        // Counted by the load clients.
      }
      await sleep(1000);
    }
  })();
  const t0 = Date.now();
  const consumedBefore = consumed(await scrape(s));
  const publishedBefore = live.acked.length;
  const { stdout } = await load;
  const loadSeconds = (Date.now() - t0) / 1000;
  const consumedDuring = consumed(await scrape(s)) - consumedBefore;
  const publishedDuring = live.acked.length - publishedBefore;
  sampling = false;
  await sampler;
  await live.stop();
  const result = JSON.parse(stdout.trim().split("\n").at(-1) as string) as LoadResult;

  const log = [...initial, ...live.acked];
  const expected = renderDomain(log);
  const stopAt = Date.now();
  let served = "";
  let exact = true;
  await waitFor(
    "the exact view after the load",
    async () => {
      served = await scrapeDomain(s);
      return served === expected ? true : undefined;
    },
    30_000,
  ).catch(() => {
    exact = false;
  });
  const catchUpMs = Date.now() - stopAt;
  const maxLag = Math.max(0, ...lags);
  const budget = p.liveEventsPerSecond * 5;

  if (result.errors > 0) failures.push(`${result.errors} failed scrapes, e.g. ${result.samples.join(" | ")}`);
  if (!exact) failures.push(`after the load the view is not exact: ${firstDifference(served, expected)}`);
  if (maxLag > budget) failures.push(`ingest starved: lag reached ${maxLag} events (> 5 s of publishing)`);
  if (consumedDuring < publishedDuring * 0.9) {
    failures.push(
      `ingest starved: consumed ${consumedDuring} of ${publishedDuring} events published during the load`,
    );
  }
  if (!alive(s)) failures.push("the service exited");
  const figures = [
    `${p.clients} clients for ${loadSeconds.toFixed(0)} s on ${p.tests} tests (${(result.bytes / Math.max(1, result.requests) / 1024).toFixed(0)} KiB per scrape): ${result.requests} scrapes (${(result.requests / loadSeconds).toFixed(0)}/s), ${result.errors} errors`,
    `scrape latency under load: p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms, max ${result.max.toFixed(0)} ms`,
    `ingest during the load: ${consumedDuring} consumed of ${publishedDuring} published (${p.liveEventsPerSecond}/s)`,
    `lag (acknowledged, not consumed): p50 ${percentile(lags, 50)}, max ${maxLag} events; kymaros_api_consumer_lag max ${Math.max(0, ...ownLags)}`,
    `exact view ${exact ? `${catchUpMs} ms` : "NEVER"} after publishing stopped`,
  ];
  await s.stop("SIGTERM");
  await publisher.close();
  if (failures.length === 0) await deleteTopics(kafka, [topic, `${topic}.dlq`]);
  return { figures, failures };
};
