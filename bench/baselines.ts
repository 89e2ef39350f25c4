/** The baselines each figure is compared with, measured in the same run on the same data. */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { percentile } from "./http.ts";

/**
 * A bare kafkajs consumer that only counts messages: the ceiling for any kafkajs pipeline. It
 * runs in a fresh process (bare-consumer.ts), as the service does: seconds from its connect to
 * the last message.
 */
export function bareKafkajsReplay(brokers: string[], topic: string, expected: number): Promise<number> {
  const script = fileURLToPath(new URL("./bare-consumer.ts", import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", script, brokers.join(","), topic, String(expected)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`bare consumer exited ${code}: ${err.trim()}`));
      try {
        resolve((JSON.parse(out) as { seconds: number }).seconds);
      } catch {
        reject(new Error(`bare consumer printed no result: ${out.trim()} ${err.trim()}`));
      }
    });
  });
}

/** kcat reading the whole topic to /dev/null. */
export function kcatReplay(brokers: string[], topic: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn("kcat", ["-C", "-b", brokers.join(","), "-t", topic, "-o", "beginning", "-e", "-q"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve((performance.now() - began) / 1000)
        : reject(new Error(`kcat exited ${code}: ${err}`)),
    );
  });
}

/** A plain prom-client registry holding the same series as the service at `tests` tests. */
export async function promClientRender(
  tests: number,
  samples: number,
): Promise<{ p50: number; p99: number; bytes: number }> {
  const registry = new Registry();
  const total = new Counter({
    name: "kymaros_tests_total",
    help: "h",
    labelNames: ["test", "result"],
    registers: [registry],
  });
  const score = new Gauge({ name: "kymaros_score", help: "h", labelNames: ["test"], registers: [registry] });
  const rto = new Gauge({
    name: "kymaros_rto_seconds",
    help: "h",
    labelNames: ["test"],
    registers: [registry],
  });
  const age = new Gauge({
    name: "kymaros_backup_age_seconds",
    help: "h",
    labelNames: ["test"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "kymaros_test_duration_seconds",
    help: "h",
    labelNames: ["test"],
    buckets: [60, 120, 240, 480, 960, 1920, 3840, 7680],
    registers: [registry],
  });
  for (let i = 0; i < tests; i++) {
    const test = `app-${String(i).padStart(5, "0")}-nightly`;
    for (const result of ["pass", "fail", "partial"]) total.inc({ test, result }, i % 7);
    score.set({ test }, 90);
    rto.set({ test }, 695.5);
    age.set({ test }, 14412);
    duration.observe({ test }, 700);
  }
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < samples; i++) {
    const began = performance.now();
    bytes = (await registry.metrics()).length;
    times.push(performance.now() - began);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), bytes };
}
