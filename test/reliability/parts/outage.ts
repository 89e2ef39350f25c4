/**
 * Broker outage: the service's own broker (never the shared one) is stopped for a while under
 * live publishing, then started again. The service stays up, /healthz and /readyz stay 200
 * (it caught up before the outage), /metrics keeps serving the last good view, and after
 * recovery the domain exposition equals the truth of every published event: nothing missing,
 * nothing counted twice.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Part } from "../part.ts";
import { runFactory, testNames } from "../support/events.ts";
import { crossCheck, distinctByTest, firstDifference, renderDomain } from "../support/exposition.ts";
import {
  createPublisher,
  createTopics,
  kafkaFor,
  runMessage,
  startLivePublisher,
  topicSize,
} from "../support/kafka.ts";
import {
  alive,
  consumed,
  type RunningService,
  scrape,
  scrapeDomain,
  selfMetric,
  sleep,
  startOn,
  waitFor,
  waitReady,
} from "../support/service.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
// Fixed by default; RELIABILITY_KAFKA_PORT (and the port after it, the controller's) moves it,
// so several checkouts on one machine can each run the outage part on a broker of their own.
const PORT = Number(process.env.RELIABILITY_KAFKA_PORT ?? 19092);
const ENV = {
  ...process.env,
  KAFKA_DIR: `${ROOT}.kafka-reliability`,
  KAFKA_PORT: String(PORT),
  KAFKA_CONTROLLER_PORT: String(PORT + 1),
  KAFKA_SECURE: "0",
  // The jars of the default instance, when it has them: no second download.
  ...(existsSync(`${ROOT}.kafka/libs/.complete`) ? { KAFKA_LIBS: `${ROOT}.kafka/libs` } : {}),
};

async function broker(command: "up" | "down" | "clean"): Promise<void> {
  await promisify(execFile)(`${ROOT}tools/kafka/kafka.sh`, [command], { env: ENV, timeout: 180_000 });
}

interface Probe {
  at: number;
  alive: boolean;
  healthz: number;
  readyz: number;
  metrics: number;
  domain: string;
}

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

function monitor(s: RunningService): { probes: Probe[]; stop: () => Promise<void> } {
  const probes: Probe[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now();
      const [healthz, readyz] = await Promise.all([status(`${s.url}/healthz`), status(`${s.url}/readyz`)]);
      let metrics = 0;
      let domain = "";
      try {
        domain = await scrapeDomain(s);
        metrics = 200;
      } catch {
        metrics = 0;
      }
      probes.push({ at, alive: alive(s), healthz, readyz, metrics, domain });
      await sleep(250);
    }
  })();
  return {
    probes,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

export const outagePart: Part = async (ctx) => {
  const p = ctx.profile.outage;
  const { random } = ctx;
  const brokers = [`127.0.0.1:${PORT}`];
  const failures: string[] = [];
  ctx.log(`outage: starting an own broker on ${brokers[0]}`);
  await broker("clean");
  await broker("up");
  try {
    const kafka = kafkaFor(brokers, "reliability-outage");
    const topic = ctx.unique("outage");
    await createTopics(kafka, topic, `${topic}.dlq`);
    const publisher = await createPublisher(kafka, topic, { idempotent: false, retries: 2 });
    const factory = runFactory(random, testNames(p.tests, "out"), "o");
    const initial = Array.from({ length: p.initialEvents }, () => factory.next());
    await publisher.send(initial.map((r) => runMessage(r, random)));
    const s = await startOn(brokers, topic, `${topic}.group`);
    await waitReady(s, 60_000);

    const live = startLivePublisher(publisher, () => factory.next(), random, p.liveEventsPerSecond);
    const mon = monitor(s);
    await sleep(3000);
    const lastBefore = await scrapeDomain(s);
    const downAt = Date.now();
    await broker("down");
    const stoppedAt = Date.now();
    ctx.log(`outage: broker stopped (took ${stoppedAt - downAt} ms); down for ${p.seconds} s`);
    await sleep(p.seconds * 1000);
    const upAt = Date.now();
    await broker("up");
    const backAt = Date.now();
    ctx.log(`outage: broker back after ${((backAt - stoppedAt) / 1000).toFixed(1)} s down`);
    await sleep(3000);
    await live.stop();
    const log = [...initial, ...live.acked];
    const expected = renderDomain(log);
    const problems = crossCheck(expected, log);
    if (problems.length > 0) failures.push(`renderer and model disagree: ${problems[0]}`);
    let recoveredAt = 0;
    let served = "";
    try {
      await waitFor(
        "the exact view after recovery",
        async () => {
          served = await scrapeDomain(s);
          return served === expected ? true : undefined;
        },
        120_000,
      );
      recoveredAt = Date.now();
    } catch {
      failures.push(
        `after recovery the exposition never equalled the truth: ${firstDifference(served, expected)}`,
      );
    }
    // Readiness comes back with the consumer's first fetch after reconnecting, which may be a
    // moment after the data did: keep probing (up to 20 s) until it is 200 for 2 s running.
    await waitFor(
      "/readyz 200 for 2 s after recovery",
      async () => {
        const recent = mon.probes.filter((x) => x.at >= Date.now() - 2000);
        return recent.length >= 3 && recent.every((x) => x.readyz === 200) ? true : undefined;
      },
      20_000,
    ).catch(() => undefined);
    await mon.stop();
    const metrics = await scrape(s).catch(() => "");
    const size = await topicSize(kafka, topic);
    await publisher.close();
    const runs = [...distinctByTest(log).values()].reduce((n, r) => n + r.length, 0);
    const applied = selfMetric(metrics, "kymaros_api_events_total", 'outcome="applied"');
    const eaten = consumed(metrics);

    const probes = mon.probes;
    const during = probes.filter((x) => x.at >= stoppedAt && x.at < upAt);
    const after = probes.filter((x) => x.at >= backAt);
    const badHealth = probes.filter((x) => x.healthz !== 200).length;
    const badMetrics = probes.filter((x) => x.metrics !== 200).length;
    const firstNotReady = during.find((x) => x.readyz !== 200);
    const readyAgain = after.find(
      (x) => x.readyz === 200 && after.slice(after.indexOf(x)).every((y) => y.readyz === 200),
    );
    const viewsDuring = new Set(during.map((x) => x.domain));
    // The view when the broker went away: constant, never reset or partial, at least as new as
    // the one served just before the stop began, never ahead of what was published.
    const runsIn = (view: string) =>
      view
        .split("\n")
        .filter((l) => l.startsWith("kymaros_tests_total{"))
        .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
    const runsDuring = runsIn(during[0]?.domain ?? "");
    const keptView =
      during.length > 0 && viewsDuring.size === 1 && runsDuring >= runsIn(lastBefore) && runsDuring <= runs;
    const emptyView = during.some((x) => !x.domain.includes("kymaros_tests_total{"));

    if (!alive(s) || probes.some((x) => !x.alive))
      failures.push(`the service exited: ${s.output().slice(-2000)}`);
    if (badHealth > 0) failures.push(`/healthz was not 200 on ${badHealth} of ${probes.length} probes`);
    // Once caught up, an instance stays ready through an outage: its view is exact as of what it
    // read, and the outage shows in kymaros_api_kafka_connected, not as every replica unready.
    if (firstNotReady) failures.push(`/readyz answered ${firstNotReady.readyz} during the outage`);
    if (!readyAgain) {
      const last = after.at(-1);
      failures.push(
        `/readyz did not return to 200 after the broker came back (last probe ${last?.readyz} ${last ? Math.round((last.at - backAt) / 1000) : "?"} s after); service log tail:\n${s.output().slice(-2500)}`,
      );
    }
    if (badMetrics > 0) failures.push(`/metrics failed on ${badMetrics} of ${probes.length} probes`);
    if (emptyView) failures.push("/metrics lost the domain view during the outage");
    if (!keptView) {
      failures.push(
        `/metrics did not keep the last good view during the outage (${viewsDuring.size} different views, ${runsDuring} runs; ${runsIn(lastBefore)} before the stop)`,
      );
    }
    if (applied !== runs) failures.push(`applied ${applied} events, ${runs} distinct runs were published`);
    if (eaten !== size)
      failures.push(`consumed ${eaten} messages, the topic holds ${size}: read twice or skipped`);

    const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const figures = [
      `broker down ${sec(upAt - stoppedAt)} (+${sec(backAt - upAt)} to start) under ${p.liveEventsPerSecond} events/s; ${live.failures()} publish attempts failed and were retried`,
      `service alive throughout: ${alive(s) ? "yes" : "NO"}; /healthz 200 on ${probes.length - badHealth}/${probes.length} probes; /metrics 200 on ${probes.length - badMetrics}/${probes.length}`,
      `/readyz: 503 ${firstNotReady ? `${sec(firstNotReady.at - stoppedAt)} after the stop` : "NEVER"}, 200 again ${readyAgain ? `${sec(readyAgain.at - backAt)} after the broker was back` : "NEVER"}`,
      `last good view kept during the outage: ${keptView ? "yes" : "NO"} (${during.length} probes, ${viewsDuring.size} distinct view, ${runsDuring} runs; ${runsIn(lastBefore)} just before the stop)`,
      `after recovery: ${recoveredAt ? `exact ${sec(recoveredAt - backAt)} after the broker was back` : "NOT exact"}; ${log.length} events published, ${runs} distinct, ${size} messages in the log; applied ${applied}, consumed ${eaten}`,
    ];
    await s.stop("SIGTERM");
    return { figures, failures };
  } finally {
    await broker("clean").catch(() => undefined);
  }
};
