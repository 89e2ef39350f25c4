#!/usr/bin/env node
/**
 * kymaros-bridge: publishes a RunCompleted for every RestoreReport that reaches a final state,
 * and a TestRetired for every RestoreTest deleted, from list-watches of the Kubernetes API, and
 * serves /healthz, /readyz and /metrics. Owns the process lifecycle; bridge.ts has the parts.
 */
import { readKafkaSettings } from "../config/kafka.ts";
import { startHttpServer } from "../http/server.ts";
import { createLogger } from "../log/logger.ts";
import { exitOnConfigError, onSignals, reportStartFailure, watchReadiness } from "../process/lifecycle.ts";
import { createProducer } from "../producer/sdk.ts";
import { createBackoff } from "./backoff.ts";
import { startBridge } from "./bridge.ts";
import { type BridgeConfig, readBridgeConfig } from "./config.ts";
import { createBridgeApp } from "./http/app.ts";
import { createKubeTransport, loadKubeConfig } from "./kube/client.ts";
import { createBridgeMetrics } from "./metrics.ts";
import { createOutbox, type Outbox } from "./publish/outbox.ts";
import { createKafkaProbe } from "./publish/probe.ts";
import {
  createBackupLookup,
  createLookupCounter,
  createVeleroTransport,
  withBackupAge,
} from "./velero/index.ts";

const BINARY = "kymaros-bridge";
/** What the outbox may take of the shutdown deadline to publish what it holds. */
const FLUSH_MS = 5_000;

const configured = <T>(read: () => T): T => exitOnConfigError(BINARY, read);

async function main(): Promise<void> {
  const config: BridgeConfig = configured(() => readBridgeConfig(process.env));
  const kubeconfig = configured(() => loadKubeConfig(config.kubeconfig));
  const logger = createLogger(config.logLevel);
  const producer = configured(() =>
    createProducer({
      env: {
        ...process.env,
        KYMAROS_KAFKA_CLIENT_ID: process.env.KYMAROS_KAFKA_CLIENT_ID ?? "kymaros-bridge",
      },
      // The client's log in the bridge's own records, on the bridge's one stream.
      logger,
      // Fewer than the SDK's default (about 45 s): the outbox keeps every event and retries a
      // failed publish itself with its own backoff, so an attempt that gives up after a few
      // seconds only says sooner that Kafka is away (readiness, kymaros_bridge_errors_total).
      retries: 3,
    }),
  );
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
  watchReadiness(readiness, metrics.ready);
  const http = await startHttpServer(createBridgeApp(metrics.registry, readiness), config.host, config.port);
  const transport = createKubeTransport(kubeconfig);
  logger.info("listening", {
    host: config.host,
    port: http.port,
    apiServer: transport.server,
    namespaces: config.namespaces.length === 0 ? "all" : config.namespaces,
    topic: config.topic,
  });
  // Backup age from Velero: a step in front of the outbox, in the order runs are added.
  if (config.backupAge === "velero") {
    const lookups = createBackupLookup({
      transport: createVeleroTransport(kubeconfig),
      namespace: config.veleroNamespace,
      backoff: createBackoff(500, config.maxBackoffMs),
      logger,
      onResult: createLookupCounter(metrics.registry),
    });
    outbox = withBackupAge(outbox, lookups, logger);
  }
  bridge = startBridge({ config, transport, outbox, metrics, logger });

  onSignals(
    async () => {
      await bridge?.stop();
      const left = await outbox.stop(FLUSH_MS);
      // Runs left stay in the API server: the next start lists and publishes them. A retirement
      // left is lost (the next start does not know the test existed): the README says so.
      if (left > 0)
        logger.warn("events not published before exit; the next start republishes the runs", { left });
      await producer.close();
      await probe.close();
      await http.close();
    },
    { logger },
  );
}

main().catch((err: unknown) => reportStartFailure(BINARY, err));
