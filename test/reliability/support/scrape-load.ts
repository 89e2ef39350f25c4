/**
 * The scrape load, in a process of its own so it does not starve the suite's publisher:
 *   node --import tsx scrape-load.ts <url> <clients> <seconds>
 * Each client GETs <url> back to back; prints one JSON line with counts and latencies.
 */
import { percentile } from "./service.ts";

const [url, clientsArg, secondsArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const until = Date.now() + Number(secondsArg) * 1000;
const latencies: number[] = [];
let errors = 0;
let bytes = 0;
const samples: string[] = [];

async function client(): Promise<void> {
  while (Date.now() < until) {
    const t = performance.now();
    try {
      const res = await fetch(url as string);
      const body = await res.text();
      if (res.status !== 200 || !body.includes("# TYPE kymaros_tests_total counter")) {
        errors += 1;
        if (samples.length < 5) samples.push(`${res.status}: ${body.slice(0, 200)}`);
      }
      bytes += body.length;
    } catch (err) {
      errors += 1;
      if (samples.length < 5) samples.push(String(err));
    }
    latencies.push(performance.now() - t);
  }
}

await Promise.all(Array.from({ length: clients }, client));
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    errors,
    bytes,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    samples,
  })}\n`,
);
