/**
 * The service panel's data (GET /api/v1/status): read from the same prom-client metrics that
 * /metrics renders (kymaros_api_*), plus what no metric carries (version, replica, connection,
 * the last dead letters and collisions). Field names are documented in docs/status.md: stable.
 */
import { hostname } from "node:os";
import type { Gauge } from "prom-client";
import type { SelfMetrics } from "../metrics/serve/self.ts";
import type { NameCollision } from "../worker/protocol.ts";
import type { Recent, RecentDeadLetter } from "./recent.ts";
import { VERSION } from "./version.ts";

/** The live parts of the service that the page asks, at request time. */
export interface Live {
  /** Why /readyz answers 503, or null when ready. */
  notReadyReason(): string | null;
  caughtUp(): boolean;
  connected(): boolean;
}

export interface ServiceStatus {
  version: string;
  /** The host name: the pod's name in Kubernetes, which tells replicas apart. */
  replica: string;
  shard: { index: number; total: number };
  ready: boolean;
  notReadyReason: string | null;
  replay: { progress: number; caughtUp: boolean; durationSeconds: number };
  kafka: { connected: boolean };
  lag: { topic: string; partition: number; lag: number }[];
  tests: number;
  retiredTests: number;
  lastAppliedAt: string | null;
  events: Record<string, number>;
  deadLetters: {
    byResult: Record<string, number>;
    byReason: Record<string, number>;
    recent: RecentDeadLetter[];
  };
  nameCollisions: { count: number; recent: NameCollision[] };
}

async function single(g: Gauge): Promise<number> {
  return (await g.get()).values[0]?.value ?? 0;
}

async function byLabel(m: Pick<Gauge<string>, "get">, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await m.get()).values) out[String(v.labels[label])] = v.value;
  return out;
}

export interface StatusParts {
  metrics: SelfMetrics;
  live: Live;
  recent: Recent;
  shard: { index: number; total: number };
}

export async function serviceStatus({ metrics, live, recent, shard }: StatusParts): Promise<ServiceStatus> {
  const lag = (await metrics.consumerLag.get()).values
    .map((v) => ({ topic: String(v.labels.topic), partition: Number(v.labels.partition), lag: v.value }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const lastApplied = await single(metrics.lastAppliedTime);
  const notReadyReason = live.notReadyReason();
  return {
    version: VERSION,
    replica: hostname(),
    shard,
    ready: notReadyReason === null,
    notReadyReason,
    replay: {
      progress: await single(metrics.replayProgress),
      caughtUp: live.caughtUp(),
      durationSeconds: await single(metrics.replaySeconds),
    },
    kafka: { connected: live.connected() },
    lag,
    tests: await single(metrics.tests),
    retiredTests: await single(metrics.retiredTests),
    lastAppliedAt: lastApplied > 0 ? new Date(lastApplied * 1000).toISOString() : null,
    events: await byLabel(metrics.events, "outcome"),
    deadLetters: {
      byResult: await byLabel(metrics.deadLetters, "result"),
      byReason: await byLabel(metrics.invalidEvents, "reason"),
      recent: recent.deadLetters(),
    },
    nameCollisions: { count: await single(metrics.nameCollisions), recent: recent.collisions() },
  };
}
