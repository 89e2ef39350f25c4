/**
 * Peak memory of kymaros-bridge's initial list of RestoreReports with upstream-sized reports
 * (status.podLogs near Kymaros's 100 KB per report), fed by a fake transport to the real
 * startBridge(), beside the baseline of holding every page until the list ends. Each case runs
 * in its own process, so maxRSS is that case's own peak.
 *   node --import tsx bench/bridge-list.ts [--reports 1000] [--log-kb 100]
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startBridge } from "../services/bridge/bridge.ts";
import type { BridgeConfig } from "../services/bridge/config.ts";
import type { KubeTransport, ListPage } from "../services/bridge/kube/client.ts";
import { createBridgeMetrics } from "../services/bridge/metrics.ts";
import type { Outbox } from "../services/bridge/publish/outbox.ts";
import { reportNameOf } from "../services/kymaros/index.ts";
import { createLogger } from "../services/log/logger.ts";

const { values } = parseArgs({
  options: {
    reports: { type: "string", default: "1000" },
    "log-kb": { type: "string", default: "100" },
    case: { type: "string" },
    page: { type: "string" },
  },
});
const REPORTS = Number(values.reports);
const LOG_KB = Number(values["log-kb"]);
const T0 = Date.UTC(2026, 10, 1, 3);

/** Report i as the API server returns it: Kymaros's whole status, podLogs included. */
function reportJson(i: number): string {
  const test = `app-${Math.floor(i / 10)}`;
  const completedAt = T0 + (i % 10) * 86_400_000;
  const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
  const line = "2026-11-01T03:00:01Z INFO request served path=/api/orders status=200 in 12ms\n";
  const logs = line.repeat(Math.ceil((LOG_KB * 1024) / line.length));
  return JSON.stringify({
    apiVersion: "restore.kymaros.io/v1alpha1",
    kind: "RestoreReport",
    metadata: {
      name: reportNameOf(test, completedAt),
      namespace: `ns-${i % 20}`,
      uid: `uid-${i}`,
      resourceVersion: String(1000 + i),
      creationTimestamp: iso(completedAt),
    },
    spec: { testRef: test },
    status: {
      score: 95,
      result: "pass",
      startedAt: iso(completedAt - 42_000),
      completedAt: iso(completedAt),
      rto: { measured: "42s", target: "0s", withinSLA: true },
      backup: { name: `rp-daily-${i}-x7k2qa`, age: "" },
      completeness: { deployments: "3/3", services: "2/2", secrets: "1/1", configMaps: "2/2", pvcs: "1/1" },
      podLogs: [{ pod: `app-${i}-0`, container: "app", logs }],
      events: [{ type: "Normal", reason: "Started", message: "Started container app" }],
    },
  });
}

function transport(pageSize: number): KubeTransport {
  return {
    server: "fake",
    async list(resource, _ns, token): Promise<ListPage> {
      if (resource.plural !== "restorereports") return { items: [], resourceVersion: "1" };
      const from = token === undefined ? 0 : Number(token);
      const to = Math.min(REPORTS, from + pageSize);
      // As the client does: one response body, parsed; the text is garbage afterwards.
      const body = `{"items":[${Array.from({ length: to - from }, (_, k) => reportJson(from + k)).join(",")}]}`;
      const items = (JSON.parse(body) as { items: unknown[] }).items;
      return { items, resourceVersion: "1", ...(to < REPORTS ? { continueToken: String(to) } : {}) };
    },
    async watch() {
      return () => {};
    },
  };
}

/** The old way: every page held until the list ends, then handed over at once. */
function holdingPages(inner: KubeTransport): KubeTransport {
  const held: unknown[] = [];
  return {
    ...inner,
    async list(resource, ns, token) {
      const page = await inner.list(resource, ns, token);
      if (resource.plural !== "restorereports") return page;
      held.push(...page.items);
      return page.continueToken === undefined ? { ...page, items: held.splice(0) } : { ...page, items: [] };
    },
  };
}

async function runCase(kind: string, pageSize: number): Promise<void> {
  let published = 0;
  let peakHeap = 0;
  let peakLive = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const outbox: Outbox = {
    add: () => {
      published += 1;
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      // What the list keeps alive (garbage collected first), every 25 runs published.
      if (gc !== undefined && published % 25 === 1) {
        gc();
        peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
      }
    },
    addRetirement: () => {},
    pending: () => 0,
    healthy: () => true,
    stop: async () => 0,
  };
  const config: BridgeConfig = {
    group: "restore.kymaros.io",
    version: "v1alpha1",
    namespaces: [],
    backupAge: "off",
    veleroNamespace: "velero",
    cluster: null,
    topic: "bench",
    port: 0,
    host: "127.0.0.1",
    logLevel: "error",
    maxBackoffMs: 1000,
  };
  const base = transport(pageSize);
  const bridge = startBridge({
    config,
    transport: kind === "hold" ? holdingPages(base) : base,
    outbox,
    metrics: createBridgeMetrics({
      newestCompletedAt: () => null,
      pending: () => 0,
      oldestPendingSince: () => null,
      testsWatched: () => 0,
      now: Date.now,
    }),
    logger: createLogger("error", () => {}),
  });
  while (published < REPORTS) await new Promise((r) => setTimeout(r, 5));
  await bridge.stop();
  const maxRssKb = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify({ published, peakHeap, peakLive, maxRss: maxRssKb * 1024 }));
}

const MB = (n: number) => (n / 1024 / 1024).toFixed(0).padStart(6);

if (values.case !== undefined) {
  await runCase(values.case, Number(values.page));
} else {
  const self = fileURLToPath(import.meta.url);
  const cases = [
    { kind: "hold", page: 500, label: "baseline: pages held to the end (page 500)" },
    { kind: "page", page: 500, label: "page by page (page 500)" },
    { kind: "page", page: 50, label: "page by page (page 50, as the bridge asks)" },
  ];
  process.stdout.write(`${REPORTS} reports, ~${LOG_KB} KB podLogs each\n`);
  process.stdout.write(
    "| case | published | peak live heap MB | peak heap MB | peak RSS MB |\n|---|---:|---:|---:|---:|\n",
  );
  for (const c of cases) {
    const run = spawnSync(
      process.execPath,
      [
        "--expose-gc",
        "--import",
        "tsx",
        self,
        `--reports=${REPORTS}`,
        `--log-kb=${LOG_KB}`,
        `--case=${c.kind}`,
        `--page=${c.page}`,
      ],
      { encoding: "utf8", maxBuffer: 1 << 20 },
    );
    if (run.status !== 0) throw new Error(`${c.label}: ${run.stderr}`);
    const r = JSON.parse(run.stdout) as {
      published: number;
      peakHeap: number;
      peakLive: number;
      maxRss: number;
    };
    process.stdout.write(
      `| ${c.label} | ${r.published} | ${MB(r.peakLive)} | ${MB(r.peakHeap)} | ${MB(r.maxRss)} |\n`,
    );
  }
}
