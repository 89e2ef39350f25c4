#!/usr/bin/env node
/**
 * kymaros-api: wires the one-way flow Kafka source -> codec -> validation -> core state ->
 * metrics view -> HTTP, and owns the process lifecycle. The middle of it (codec to rendered
 * exposition) runs on a worker thread; Kafka and HTTP stay on this one.
 */
import { ConfigError } from "../config/errors.ts";
import { createBatchHandler } from "./batch-handler.ts";
import { type Config, readConfig } from "./config.ts";
import { createApp, type Probes } from "./http/app.ts";
import { type HttpServer, startHttpServer } from "./http/server.ts";
import { createKafka } from "./kafka/client.ts";
import { createDeadLetterSink, type DeadLetterSink } from "./kafka/dead-letters.ts";
import { createKafkaSource, type KafkaSource } from "./kafka/source.ts";
import { createLogger } from "./log.ts";
import { createSelfMetrics } from "./metrics/serve/self.ts";
import { createMetricsView } from "./metrics/serve/view.ts";
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
  });

  deadLetters = await createDeadLetterSink(kafka, config.dlqTopic, logger);
  source = createKafkaSource({
    kafka,
    topic: config.topic,
    dlqTopic: config.dlqTopic,
    groupId: config.groupId,
    logger,
    metrics,
    handle: createBatchHandler({
      ingestBatch: (messages) => worker.ingestBatch(messages),
      deadLetters,
      metrics,
      logger,
    }),
    onCaughtUp: () => {
      metrics.replayProgress.set(1);
      worker.show("text");
    },
    onFatal: fatal("Kafka consumer stopped for good"),
  });
  await source.start();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "start failed", error: String(err) })}\n`,
  );
  process.exit(1);
});
