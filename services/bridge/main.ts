#!/usr/bin/env node
/**
 * kymaros-bridge: publishes a RunCompleted for every RestoreReport that reaches a final state,
 * and a TestRetired for every RestoreTest deleted, from list-watches of the Kubernetes API, and
 * serves /healthz, /readyz and /metrics. Owns the process lifecycle; bridge.ts has the parts.
 */
import { ConfigError } from "../config/errors.ts";
import { readKafkaSettings } from "../config/kafka.ts";
import { startHttpServer } from "../http/server.ts";
import { createLogger } from "../log/logger.ts";
import { createProducer } from "../producer/sdk.ts";
import { createBackoff } from "./backoff.ts";
import { startBridge } from "./bridge.ts";
import { type BridgeConfig, readBridgeConfig } from "./config.ts";
import { createBridgeApp } from "./http/app.ts";
import { createKubeTransport, loadKubeConfig } from "./kube/client.ts";
import { createBridgeMetrics } from "./metrics.ts";
import { createOutbox, type Outbox } from "./publish/outbox.ts";
import { createKafkaProbe } from "./publish/probe.ts";

/** Kubernetes waits terminationGracePeriodSeconds (15 s in k8s/) before SIGKILL. */
const SHUTDOWN_DEADLINE_MS = 10_000;
const FLUSH_MS = 5_000;

function configured<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`kymaros-bridge: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config: BridgeConfig = configured(() => readBridgeConfig(process.env));
  const kubeconfig = configured(() => loadKubeConfig(config.kubeconfig));
  const producer = configured(() =>
    createProducer({
      env: {
        ...process.env,
        KYMAROS_KAFKA_CLIENT_ID: process.env.KYMAROS_KAFKA_CLIENT_ID ?? "kymaros-bridge",
      },
    }),
  );
  const logger = createLogger(config.logLevel);
  const probe = createKafkaProbe(readKafkaSettings(process.env, "kymaros-bridge"), config.topic);

  let bridge: ReturnType<typeof startBridge> | undefined;
  let outbox: Outbox | undefined;
  const metrics = createBridgeMetrics({
    newestCompletedAt: () => bridge?.reports.newestCompletedAt() ?? null,
    pending: () => outbox?.pending() ?? 0,
    oldestPendingSince: () => bridge?.reports.oldestPendingSince() ?? null,
    testsWatched: () => bridge?.tests.size() ?? 0,
    now: () => Date.now(),
  });
  outbox = createOutbox({
    publisher: producer,
    probe: () => probe.probe(),
    backoff: createBackoff(500, config.maxBackoffMs),
    logger,
    onPublished: (kind, n) => (kind === "run" ? metrics.runsPublished : metrics.retirements).inc(n),
    onError: (kind) => metrics.errors.labels(kind).inc(),
  });
  const readiness = { notReadyReason: () => (bridge ? bridge.notReadyReason() : "starting") };
  setInterval(() => metrics.ready.set(readiness.notReadyReason() === null ? 1 : 0), 1000).unref();
  const http = await startHttpServer(createBridgeApp(metrics.registry, readiness), config.host, config.port);
  const transport = createKubeTransport(kubeconfig);
  logger.info("listening", {
    host: config.host,
    port: http.port,
    apiServer: transport.server,
    namespaces: config.namespaces.length === 0 ? "all" : config.namespaces,
    topic: config.topic,
  });
  bridge = startBridge({ config, transport, outbox, metrics, logger });

  let shuttingDown = false;
  const shutdown = async (reason: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info("shutting down", { reason });
    setTimeout(() => {
      logger.error("shutdown took too long; exiting", { deadlineMs: SHUTDOWN_DEADLINE_MS });
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    let code = 0;
    try {
      await bridge?.stop();
      const left = await outbox.stop(FLUSH_MS);
      // Runs left stay in the API server: the next start lists and publishes them. A retirement
      // left is lost (the next start does not know the test existed): the README says so.
      if (left > 0)
        logger.warn("events not published before exit; the next start republishes the runs", { left });
      await producer.close();
      await probe.close();
      await http.close();
    } catch (err) {
      logger.error("error during shutdown", { error: err });
      code = 1;
    }
    logger.info("stopped", { code });
    process.exit(code);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "start failed", error: String(err) })}\n`,
  );
  process.exit(1);
});
