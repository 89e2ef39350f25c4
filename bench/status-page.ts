/**
 * The status page's figures: server time of a 100-row page at the bench's test count (its
 * Server-Timing header), against the same rows as JSON from /api/v1/tests; and /metrics latency
 * while pages are being served, against the same run's /metrics latency with no page load.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { percentile, scrapeOnce } from "./http.ts";

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

interface Answer {
  ms: number;
  serverMs: number;
}

function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
        const timing = /dur=([0-9.]+)/.exec(String(res.headers["server-timing"] ?? ""));
        resolve({ ms: performance.now() - began, serverMs: timing ? Number(timing[1]) : Number.NaN });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** What a reader clicks through: default, other pages, each sort both ways, filters. */
function queries(tests: number): string[] {
  const pages = Math.max(1, Math.ceil(tests / 100));
  const out = ["", "?result=fail", "?test=7", "?test=app-001&sort=score"];
  for (const sort of ["test", "score", "rto", "age", "completed"])
    out.push(`?sort=${sort}`, `?sort=${sort}&order=desc`);
  for (let p = 2; p <= Math.min(pages, 20); p++) out.push(`?page=${p}`);
  return out;
}

async function scrapes(url: string, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = await scrapeOnce(url, true);
    if (s.status !== 200) throw new Error(`scrape answered ${s.status}`);
    ms.push(s.ms);
  }
  return ms;
}

export interface Figure {
  figure: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
}

/** Two readers, each loading a page every this long: 40 pages a second in all. */
const READER_GAP_MS = 50;

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

const ROUNDS = 6;

/** Runs `work` while two readers far busier than people are load pages (each every READER_GAP_MS). */
async function whileReading<T>(base: string, qs: readonly string[], work: () => Promise<T>): Promise<T> {
  let stop = false;
  const reader = async (offset: number) => {
    for (let i = offset; !stop; i++) {
      const began = performance.now();
      await get(`${base}/${qs[i % qs.length]}`);
      await new Promise((r) => setTimeout(r, Math.max(0, READER_GAP_MS - (performance.now() - began))));
    }
  };
  const readers = [reader(0), reader(7)];
  try {
    return await work();
  } finally {
    stop = true;
    await Promise.all(readers);
  }
}

/** `ingest` starts the bench's background publisher and returns its stop. */
export async function statusPageFigures(
  base: string,
  tests: number,
  n: number,
  ingest: () => { stop(): Promise<number> },
): Promise<Figure[]> {
  const qs = queries(tests);
  const publisher = ingest();
  // Warm: the first page of a revision decodes its rows; the JIT compiles the render.
  for (const q of qs) await get(`${base}/${q}`);
  const page: number[] = [];
  const json: number[] = [];
  for (let i = 0; i < n; i++) {
    const q = qs[i % qs.length] as string;
    page.push((await get(`${base}/${q}`)).serverMs);
    json.push((await get(`${base}/api/v1/tests${q}`)).ms);
  }
  // Scrapes with and without readers take turns, ROUNDS times, so that the machine's drift over
  // the minute weighs on both alike.
  const quiet: number[] = [];
  const loaded: number[] = [];
  const per = Math.max(1, Math.ceil(n / ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    quiet.push(...(await scrapes(`${base}/metrics`, per)));
    loaded.push(...(await whileReading(base, qs, () => scrapes(`${base}/metrics`, per))));
  }
  await publisher.stop();
  const [p50q, p99q, p50l, p99l] = [
    percentile(quiet, 50),
    percentile(quiet, 99),
    percentile(loaded, 50),
    percentile(loaded, 99),
  ];
  return [
    {
      figure: `status page: 100-row page at ${tests} tests, server time p50/p99, ingesting (vs the same rows as JSON, client time)`,
      ours: `${f(percentile(page, 50), 2)}/${f(percentile(page, 99), 2)} ms`,
      baseline: `${f(percentile(json, 50), 2)}/${f(percentile(json, 99), 2)} ms`,
      ratio: f(percentile(page, 99) / percentile(json, 99), 2),
      target: "p99 <= 50 ms",
    },
    {
      figure: `/metrics p50/p99 at ${tests} tests while pages load at 40/s (vs no page load, same run)`,
      ours: `${f(p50l, 2)}/${f(p99l, 2)} ms`,
      baseline: `${f(p50q, 2)}/${f(p99q, 2)} ms`,
      ratio: f(p99l / p99q, 2),
      target: "p99 <= 20 ms",
    },
  ];
}
