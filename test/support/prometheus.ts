/**
 * A real Prometheus (Debian's package, 2.42) for end-to-end tests: started in a temporary
 * directory on a free 127.0.0.1 port, scraping the service with the scrape configuration of
 * docs/metrics.md (only the targets and the interval changed) and evaluating the alert rules of
 * k8s/base/prometheusrule.yaml (its `spec`, written as a rules file).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { METRICS_DOC, readMetricsDoc } from "./metrics-doc.ts";
import { freePort } from "./service.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const PROMETHEUS_RULE_FILE = join(ROOT, "k8s", "base", "prometheusrule.yaml");

/** The prometheus binary: $PROMETHEUS, or prometheus on the PATH (/usr/bin with Debian's package). */
export function prometheusPath(): string {
  const configured = process.env.PROMETHEUS;
  if (configured) return configured;
  const found = spawnSync("sh", ["-c", "command -v prometheus"], { encoding: "utf8" });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === "") {
    throw new Error("prometheus not found: install Debian's prometheus package (apt-get install prometheus)");
  }
  return path;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field(value: unknown, key: string, where: string): unknown {
  if (!isRecord(value) || !(key in value)) throw new Error(`${where}: no "${key}"`);
  return value[key];
}

/** The `spec` of the PrometheusRule in k8s/base/prometheusrule.yaml: `{ groups: [...] }`, a rules file. */
export function prometheusRuleSpec(file = PROMETHEUS_RULE_FILE): Record<string, unknown> {
  const doc: unknown = parse(readFileSync(file, "utf8"));
  if (field(doc, "kind", file) !== "PrometheusRule") throw new Error(`${file}: not a PrometheusRule`);
  const spec = field(doc, "spec", file);
  if (!isRecord(spec) || !Array.isArray(spec.groups)) throw new Error(`${file}: spec.groups is not a list`);
  return spec;
}

/**
 * The reference's scrape job, pointed at `target` (or several, replicas) and scraped every
 * `interval`; `labels` are target labels, as the Prometheus Operator's relabelling of a
 * ServiceMonitor's targets sets them (namespace, service, pod, ...).
 */
export function scrapeJob(
  target: string | readonly string[],
  interval: string,
  labels?: Record<string, string>,
): Record<string, unknown> {
  const jobs = field(readMetricsDoc().scrapeConfig, "scrape_configs", METRICS_DOC);
  if (!Array.isArray(jobs) || jobs.length !== 1 || !isRecord(jobs[0])) {
    throw new Error(`${METRICS_DOC}: expected exactly one scrape job`);
  }
  const job = structuredClone(jobs[0]);
  if (job.job_name !== "kymaros" || job.metrics_path !== "/metrics") {
    throw new Error(`${METRICS_DOC}: not the reference's job (job_name kymaros, /metrics)`);
  }
  const targets = typeof target === "string" ? [target] : [...target];
  job.static_configs = [{ targets, ...(labels ? { labels } : {}) }];
  job.scrape_interval = interval;
  job.scrape_timeout = interval;
  return job;
}

export interface PrometheusOptions {
  /** host:port of the service to scrape (several: replicas, one target each). */
  target: string | readonly string[];
  /** scrape_interval and evaluation_interval (default 1s). */
  interval?: string;
  /** Rules file content (`{ groups }`); the PrometheusRule's spec by default. */
  rules?: Record<string, unknown>;
  /** Target labels, as a ServiceMonitor's target gets them from the Operator (honor_labels false). */
  targetLabels?: Record<string, string>;
}

export interface Sample {
  metric: Record<string, string>;
  /** Evaluation timestamp (seconds) and the value as Prometheus wrote it ("NaN", "+Inf", decimals). */
  time: number;
  value: string;
}

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  value: string;
}

export interface LoadedRule {
  group: string;
  name: string;
  type: string;
  health: string;
  lastError: string | undefined;
}

export interface RunningPrometheus {
  readonly url: string;
  readonly dir: string;
  readonly configFile: string;
  readonly rulesFile: string;
  output(): string;
  /** An instant query (/api/v1/query) returning a vector; at `time` (Unix seconds) or now. */
  query(expr: string, time?: number): Promise<Sample[]>;
  /** The active (pending or firing) alerts (/api/v1/alerts). */
  alerts(): Promise<ActiveAlert[]>;
  /** The rules Prometheus loaded (/api/v1/rules). */
  rules(): Promise<LoadedRule[]>;
  /** SIGTERM, wait for the exit (SIGKILL after 10 s), remove the temporary directory. */
  stop(): Promise<number | null>;
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (!isRecord(value)) throw new Error(`${where}: not an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new Error(`${where}.${k}: not a string`);
    out[k] = v;
  }
  return out;
}

async function apiData(url: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(url, init);
  const body: unknown = await res.json();
  if (!isRecord(body) || body.status !== "success") {
    throw new Error(`${url} answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return body.data;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

export async function startPrometheus(o: PrometheusOptions): Promise<RunningPrometheus> {
  const interval = o.interval ?? "1s";
  const dir = mkdtempSync(join(tmpdir(), "kymaros-prometheus-"));
  const rulesFile = join(dir, "kymaros-rules.yaml");
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(rulesFile, stringify(o.rules ?? prometheusRuleSpec()));
  writeFileSync(
    configFile,
    stringify({
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      rule_files: [rulesFile],
      scrape_configs: [scrapeJob(o.target, interval, o.targetLabels)],
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    prometheusPath(),
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-lifecycle",
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = exitOf(child);

  const prometheus: RunningPrometheus = {
    url,
    dir,
    configFile,
    rulesFile,
    output: () => output,
    async query(expr, time) {
      const form = new URLSearchParams({ query: expr });
      if (time !== undefined) form.set("time", String(time));
      const data = await apiData(`${url}/api/v1/query`, { method: "POST", body: form });
      if (field(data, "resultType", "query") !== "vector") {
        throw new Error(`query ${expr}: not a vector: ${JSON.stringify(data)}`);
      }
      const result = field(data, "result", "query");
      if (!Array.isArray(result)) throw new Error(`query ${expr}: result is not a list`);
      return result.map((r: unknown) => {
        const value = field(r, "value", "sample");
        if (!Array.isArray(value) || typeof value[0] !== "number" || typeof value[1] !== "string") {
          throw new Error(`query ${expr}: bad sample ${JSON.stringify(r)}`);
        }
        return { metric: stringMap(field(r, "metric", "sample"), "metric"), time: value[0], value: value[1] };
      });
    },
    async alerts() {
      const list = field(await apiData(`${url}/api/v1/alerts`), "alerts", "alerts");
      if (!Array.isArray(list)) throw new Error("alerts: not a list");
      return list.map((a: unknown) => {
        const state = field(a, "state", "alert");
        const value = field(a, "value", "alert");
        return {
          labels: stringMap(field(a, "labels", "alert"), "labels"),
          annotations: stringMap(field(a, "annotations", "alert"), "annotations"),
          state: String(state),
          value: String(value),
        };
      });
    },
    async rules() {
      const groups = field(await apiData(`${url}/api/v1/rules`), "groups", "rules");
      if (!Array.isArray(groups)) throw new Error("rules: not a list");
      return groups.flatMap((g: unknown) => {
        const rules = field(g, "rules", "group");
        if (!Array.isArray(rules)) throw new Error("rules: group without a list of rules");
        return rules.map((r: unknown) => {
          const lastError = isRecord(r) && typeof r.lastError === "string" ? r.lastError : undefined;
          return {
            group: String(field(g, "name", "group")),
            name: String(field(r, "name", "rule")),
            type: String(field(r, "type", "rule")),
            health: String(field(r, "health", "rule")),
            lastError,
          };
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };

  try {
    await waitPrometheusReady(prometheus, child);
  } catch (err) {
    await prometheus.stop();
    throw err;
  }
  return prometheus;
}

async function waitPrometheusReady(
  p: RunningPrometheus,
  child: ChildProcess,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `prometheus exited (${child.exitCode ?? child.signalCode}):\n${p.output().slice(-4000)}`,
      );
    }
    try {
      if ((await fetch(`${p.url}/-/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus not ready after ${timeoutMs} ms:\n${p.output().slice(-4000)}`);
}
