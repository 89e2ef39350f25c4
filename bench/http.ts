/** A lean HTTP client for timing scrapes: keep-alive, gzip like Prometheus, body read fully. */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface Scrape {
  status: number;
  ms: number;
  bytes: number;
  body: Buffer;
  encoding: string | undefined;
}

/** Prometheus' own Accept header (2.42), so the service negotiates as it would for Prometheus. */
export const PROMETHEUS_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

export function scrapeOnce(url: string, gzip = true): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const req = request(
      url,
      {
        agent,
        headers: { accept: PROMETHEUS_ACCEPT, ...(gzip ? { "accept-encoding": "gzip" } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            ms: performance.now() - began,
            bytes: body.length,
            body,
            encoding: res.headers["content-encoding"],
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
