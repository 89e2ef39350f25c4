/** The real service as a child process, on the suite's brokers; scrapes and log waits. */
import {
  type RunningService,
  scrape,
  selfMetric,
  startService,
  waitFor,
  waitReady,
} from "../../support/service.ts";
import { domainPart } from "./exposition.ts";

export type { RunningService };
export { scrape, selfMetric, waitFor, waitReady };

const running = new Set<RunningService>();

export async function startOn(
  brokers: readonly string[],
  topic: string,
  groupId: string,
  env: Record<string, string> = {},
): Promise<RunningService> {
  const s = await startService({
    topic,
    groupId,
    dlqTopic: `${topic}.dlq`,
    env: { KYMAROS_KAFKA_BROKERS: brokers.join(","), KYMAROS_LOG_LEVEL: "info", ...env },
  });
  running.add(s);
  void s.exited.then(() => running.delete(s));
  return s;
}

/** SIGKILL for every service still running (the suite's own children only). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop("SIGKILL")));
}

export function alive(s: RunningService): boolean {
  return s.process.exitCode === null && s.process.signalCode === null;
}

/** Resolves with the time (ms since epoch) at which the output first contains `text`. */
export async function waitOutput(s: RunningService, text: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (s.output().includes(text)) return Date.now();
    if (!alive(s)) throw new Error(`service exited before logging "${text}":\n${s.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`service did not log "${text}" within ${timeoutMs} ms:\n${s.output().slice(-3000)}`);
}

export async function scrapeDomain(s: RunningService): Promise<string> {
  return domainPart(await scrape(s));
}

/** applied + duplicate + invalid: every message the service consumed. */
export function consumed(metrics: string): number {
  return selfMetric(metrics, "kymaros_api_events_total");
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** The time field of the first log line with this message, as ms since epoch. */
export function logTime(output: string, msg: string): number | undefined {
  const at = output.indexOf(`"msg":"${msg}"`);
  if (at === -1) return undefined;
  const lineStart = output.lastIndexOf("\n", at) + 1;
  const m = /"time":"([^"]+)"/.exec(output.slice(lineStart, at));
  return m ? Date.parse(m[1] as string) : undefined;
}
