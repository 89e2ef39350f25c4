/** Runs the real kymaros-bridge (services/bridge/main.ts) as a child process, like startService. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { RunCompleted, TestRetired } from "../../services/contract/index.ts";
import { domainSamples } from "./exposition.ts";
import { testBrokers } from "./kafka.ts";
import { expectedSamples, numericSamples } from "./model.ts";
import { freePort, type RunningService, scrape, selfMetric, spawnProcess, waitFor } from "./service.ts";

const MAIN = fileURLToPath(new URL("../../services/bridge/main.ts", import.meta.url));

export interface BridgeOptions {
  kubeconfig: string;
  topic: string;
  env?: Record<string, string>;
  /** Keep the port of an earlier run (a restart). */
  port?: number;
}

export async function startBridgeProcess(o: BridgeOptions): Promise<RunningService & { port: number }> {
  const port = o.port ?? (await freePort());
  const env = {
    ...process.env,
    KUBECONFIG: "",
    KYMAROS_KUBECONFIG: o.kubeconfig,
    KYMAROS_KAFKA_BROKERS: testBrokers().join(","),
    KYMAROS_TOPIC: o.topic,
    KYMAROS_BRIDGE_PORT: String(port),
    KYMAROS_BRIDGE_HOST: "127.0.0.1",
    // Quick retries: the outage tests wait for the catch-up.
    KYMAROS_BRIDGE_MAX_BACKOFF_MS: "1000",
    ...o.env,
  };
  return { ...spawnProcess(["--import", "tsx", MAIN], env, port), port };
}

/** One of the bridge's own metrics, as its /metrics shows it now. */
export async function bridgeMetric(bridge: RunningService, name: string, labels = ""): Promise<number> {
  return selfMetric(await (await fetch(`${bridge.url}/metrics`)).text(), name, labels);
}

/**
 * Waits until the service's domain samples are the model's for these runs and retirements, and
 * fails with the difference otherwise (the bridge's output in the message).
 */
export async function waitForExactMetrics(
  what: string,
  service: RunningService,
  bridge: RunningService,
  published: readonly RunCompleted[],
  retired: readonly TestRetired[],
): Promise<void> {
  const expected = expectedSamples(published, retired);
  let last = new Map<string, number>();
  await waitFor(
    what,
    async () => {
      last = numericSamples(domainSamples(await scrape(service)));
      return JSON.stringify([...last].sort()) === JSON.stringify([...expected].sort()) ? true : undefined;
    },
    90_000,
    bridge,
  ).catch((err: unknown) => {
    assert.deepEqual(new Map([...last].sort()), new Map([...expected].sort()), String(err));
  });
}
