#!/usr/bin/env node
/**
 * kymaros-api: wires the one-way flow Kafka source -> codec -> validation -> core state ->
 * metrics view -> HTTP, and owns the process lifecycle. The middle of it (codec to rendered
 * exposition) runs on a worker thread; Kafka and HTTP stay on this one.
 */
import { randomBytes } from "node:crypto";
import type { Admin } from "kafkajs";
import { ConfigError } from "../config/errors.ts";
import { type HttpServer, startHttpServer } from "../http/server.ts";
import { createLogger } from "../log/logger.ts";
import { createBatchHandler } from "./batch-handler.ts";
import { type Config, readConfig } from "./config.ts";
import { createApp, type Probes } from "./http/app.ts";
import { createKafka } from "./kafka/client.ts";
import { createDeadLetterSink, type DeadLetterSink } from "./kafka/dead-letters.ts";
import { createLedgerGroup, LEDGER_SESSION_MS, type LedgerGroup } from "./kafka/ledger-group.ts";
import { createKafkaSource, type KafkaSource } from "./kafka/source.ts";
import { createSelfMetrics } from "./metrics/serve/self.ts";
import { createMetricsView } from "./metrics/serve/view.ts";
import { DeadLetterLedger } from "./shard/ledger.ts";
import { describeShard } from "./shard/shard.ts";
import { startIngestWorker } from "./worker/client.ts";

/** Kubernetes waits terminationGracePeriodSeconds (15 s in k8s/); we promise 10. */
const SHUTDOWN_DEADLINE_MS = 9_000;

function loadConfig(): Config {
  try {
    return readConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`kymaros-api: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const metrics = createSelfMetrics();
  const kafka = createKafka(config.kafka, logger);

  let shuttingDown = false;
  let http: HttpServer | undefined;
  let deadLetters: DeadLetterSink | undefined;
  let source: KafkaSource | undefined;
  let ledgerGroup: LedgerGroup | undefined;
  let ledgerAdmin: Admin | undefined;
  const fatal = (what: string) => (error: Error) => {
    logger.error(what, { error });
    void shutdown(what, 1);
  };
  const worker = startIngestWorker(fatal("ingest worker failed"), config.testIdentity);

  const shutdown = async (reason: string, code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    metrics.ready.set(0);
    logger.info("shutting down", { reason });
    setTimeout(() => {
      logger.error("shutdown took too long; exiting", { deadlineMs: SHUTDOWN_DEADLINE_MS });
      process.exit(code || 1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      await source?.stop();
      logger.debug("source stopped");
      await ledgerGroup?.stop();
      await ledgerAdmin?.disconnect();
      await deadLetters?.close();
      logger.debug("dead-letter producer closed");
      await http?.close();
      await worker.close();
    } catch (err) {
      logger.error("error during shutdown", { error: err });
      code ||= 1;
    }
    logger.info("stopped", { code });
    process.exit(code);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM", 0));
  process.once("SIGINT", () => void shutdown("SIGINT", 0));

  const probes: Probes = {
    notReadyReason() {
      if (shuttingDown) return "shutting down";
      if (!source?.caughtUp() || !worker.snapshots.enabled) return "replaying the log";
      if (!source.connected()) return "not connected to Kafka";
      return null;
    },
  };
  setInterval(() => metrics.ready.set(probes.notReadyReason() === null ? 1 : 0), 1000).unref();

  // HTTP first: /healthz answers while the log replays.
  const view = createMetricsView(worker.snapshots, metrics);
  http = await startHttpServer(createApp(view, probes, logger), config.host, config.port);
  logger.info("listening", {
    host: config.host,
    port: http.port,
    topic: config.topic,
    brokers: config.kafka.brokers,
    shard: describeShard(config.shard),
  });
  metrics.shards.set({ shard: String(config.shard.index) }, config.shard.total);

  deadLetters = await createDeadLetterSink(kafka, config.dlqTopic, logger);
  ledgerAdmin = kafka.admin();
  await ledgerAdmin.connect();
  const ledger = createLedgerGroup({
    kafka,
    admin: ledgerAdmin,
    topic: config.topic,
    groupId: config.groupId,
    shard: config.shard,
    // Ownership lapses a little before the group would hand the partition to another member.
    ledger: new DeadLetterLedger({ leaseMs: LEDGER_SESSION_MS - 2_000, maxPendingPerPartition: 10_000 }),
    sink: deadLetters,
    logger,
    metrics,
    partitionCount: () => source?.recordedPartitionCount() ?? 0,
    onFatal: fatal("Kafka ledger group stopped for good"),
  });
  ledgerGroup = ledger;
  source = createKafkaSource({
    kafka,
    topic: config.topic,
    dlqTopic: config.dlqTopic,
    groupId: config.groupId,
    readerGroupId: `${config.groupId}.reader.${randomBytes(6).toString("hex")}`,
    shard: config.shard,
    onHandled: (partition, next) => ledger.handled(partition, next),
    logger,
    metrics,
    handle: createBatchHandler({
      ingestBatch: (messages) => worker.ingestBatch(messages),
      deadLetters: ledger,
      metrics,
      logger,
      testIdentity: config.testIdentity,
    }),
    onCaughtUp: () => {
      metrics.replayProgress.set(1);
      worker.show("text");
    },
    onReplayStarting: () => ledger.start(),
    onFatal: fatal("Kafka consumer stopped for good"),
  });
  await source.start();
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    // Found only once Kafka answered (the shards against the topic's partitions).
    process.stderr.write(`kymaros-api: configuration error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "start failed", error: String(err) })}\n`,
  );
  process.exit(1);
});
