/** Runs the real service (services/api/main.ts) as a child process against the test broker. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { testBrokers } from "./kafka.ts";

const MAIN = fileURLToPath(new URL("../../services/api/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningService {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything the process wrote, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The environment the image sets for the process (Dockerfile ENV): the service runs as it ships. */
export const RUNTIME_ENV = { MALLOC_ARENA_MAX: "2" } as const;

/** A Node.js process of the project on `port`, its output kept, stopped by signal. */
export function spawnProcess(
  args: readonly string[],
  env: Record<string, string | undefined>,
  port: number,
): RunningService {
  const child = spawn(process.execPath, [...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface ServiceOptions {
  topic: string;
  groupId: string;
  dlqTopic?: string;
  env?: Record<string, string>;
  /** Node arguments that start the service; by default the TypeScript sources through tsx. */
  nodeArgs?: string[];
  brokers?: string[];
}

export async function startService(o: ServiceOptions): Promise<RunningService> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...RUNTIME_ENV,
    KYMAROS_KAFKA_BROKERS: (o.brokers ?? testBrokers()).join(","),
    KYMAROS_TOPIC: o.topic,
    KYMAROS_DLQ_TOPIC: o.dlqTopic ?? `${o.topic}.dlq`,
    KYMAROS_GROUP_ID: o.groupId,
    KYMAROS_PORT: String(port),
    KYMAROS_HOST: "127.0.0.1",
    ...o.env,
  };
  return spawnProcess(o.nodeArgs ?? ["--import", "tsx", MAIN], env, port);
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  service?: RunningService,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = service ? `\nservice output:\n${service.output().slice(-4000)}` : "";
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}${tail}`);
}

/** Until /readyz answers 200; fails at once, with the process's output, when it exits first. */
export async function waitReady(service: RunningService, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const tail = () => service.output().slice(-4000);
  while (Date.now() < deadline) {
    if (service.process.exitCode !== null || service.process.signalCode !== null) {
      throw new Error(`the process exited before it was ready:\n${tail()}`);
    }
    try {
      if ((await fetch(`${service.url}/readyz`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`/readyz not 200 within ${timeoutMs} ms:\nservice output:\n${tail()}`);
}

export async function scrape(service: RunningService): Promise<string> {
  const res = await fetch(`${service.url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** Sum of a service metric's samples whose labels contain the given text. */
export function selfMetric(text: string, name: string, labels = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    const series = line.slice(0, cut);
    if ((series === name || series.startsWith(`${name}{`)) && series.includes(labels))
      sum += Number(line.slice(cut + 1));
  }
  return sum;
}
