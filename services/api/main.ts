#!/usr/bin/env node
/**
 * kymaros-api: wires the one-way flow Kafka source -> codec -> validation -> core state ->
 * metrics view -> HTTP, and owns the process lifecycle. The middle of it (codec to rendered
 * exposition) runs on a worker thread; Kafka and HTTP stay on this one.
 *
 * The Kafka side starts in three steps, each awaited before the next: the topics are set up,
 * the reader reads where the replay begins (and what the dead-letter group committed), then the
 * dead-letter group is seeded with that and the reader follows the topic.
 */
import { randomBytes } from "node:crypto";
import type { Admin, Kafka } from "kafkajs";
import type { Readiness } from "../http/probes.ts";
import { type HttpServer, startHttpServer } from "../http/server.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { EXIT } from "../process/exit-codes.ts";
import { exitOnConfigError, onSignals, reportStartFailure, watchReadiness } from "../process/lifecycle.ts";
import { createRegistryClient } from "../registry/client.ts";
import { createSchemaCache } from "../registry/schema-cache.ts";
import { createBatchHandler } from "./batch-handler.ts";
import { type Config, readConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import { createKafka } from "./kafka/client.ts";
import { kafkaGroupMembers, kafkaReaders } from "./kafka/consumers.ts";
import { createDeadLetterGroup, type DeadLetterGroup, GROUP_SESSION_MS } from "./kafka/dead-letter-group.ts";
import { DeadLetterOwnership } from "./kafka/dead-letter-ownership.ts";
import { createDeadLetterSink, type DeadLetterSink } from "./kafka/dead-letters.ts";
import { explainDenied } from "./kafka/denied.ts";
import { checkReplication } from "./kafka/replication.ts";
import { restoreState } from "./kafka/restore-state.ts";
import { retrying } from "./kafka/retry.ts";
import { createKafkaSource, type KafkaSource } from "./kafka/source.ts";
import { createStateProducer, type StateProducer } from "./kafka/state-producer.ts";
import { prepareStateTopic } from "./kafka/state-topic.ts";
import { createStateWriter, type StateWriter } from "./kafka/state-writer.ts";
import { prepareTopics } from "./kafka/topics.ts";
import { createSelfMetrics, type SelfMetrics } from "./metrics/serve/self.ts";
import { createMetricsView } from "./metrics/serve/view.ts";
import { createSchemaGate, type SchemaGate } from "./registry/gate.ts";
import { describeShard } from "./shard/shard.ts";
import { createRecent, type Recent } from "./status/recent.ts";
import { type IngestWorker, startIngestWorker } from "./worker/client.ts";

const BINARY = "kymaros-api";

/** What a shutdown closes, in this order; each part is set once it was started. */
interface Parts {
  source?: KafkaSource;
  deadLetterGroup?: DeadLetterGroup;
  stateWriter?: StateWriter;
  stateProducer?: StateProducer;
  admin?: Admin;
  sink?: DeadLetterSink;
  http?: HttpServer;
  gate?: SchemaGate;
}

async function closeAll(parts: Parts, worker: IngestWorker, logger: Logger): Promise<void> {
  parts.gate?.close();
  await parts.source?.stop();
  logger.debug("source stopped");
  await parts.deadLetterGroup?.stop();
  await parts.stateWriter?.stop();
  await parts.stateProducer?.close();
  await parts.admin?.disconnect();
  await parts.sink?.close();
  logger.debug("dead-letter producer closed");
  await parts.http?.close();
  await worker.close();
}

/**
 * The state changelog: its topic checked, this shard's part restored into the worker (where the
 * source reads on from), and its writer, which the dead-letter group's owner drives.
 */
async function startStateChangelog(
  config: Config,
  parts: Parts,
  worker: IngestWorker,
  io: { kafka: Kafka; admin: Admin; logger: Logger; metrics: SelfMetrics },
): Promise<{ resumeFrom: Map<number, number>; stateWriter: StateWriter }> {
  const { kafka, admin, logger, metrics } = io;
  await prepareStateTopic(admin, config, logger);
  await retrying(logger, "describe the state topic's replication", () =>
    checkReplication(admin, [config.stateTopic], logger, metrics),
  );
  const resumeFrom = await restoreState({
    consumers: kafkaReaders(kafka, config.shard),
    admin,
    worker,
    topic: config.topic,
    stateTopic: config.stateTopic,
    rebuild: config.stateRebuild,
    groupId: `${config.groupId}.restore.${randomBytes(6).toString("hex")}`,
    shard: config.shard,
    logger,
    metrics,
  });
  const stateProducer = await createStateProducer(kafka, config.stateTopic, logger);
  parts.stateProducer = stateProducer;
  const stateWriter = createStateWriter({
    send: (partition, records) => stateProducer.send(partition, records),
    flush: (partition, next) => worker.flush(partition, next),
    logger,
    metrics,
  });
  parts.stateWriter = stateWriter;
  return { resumeFrom, stateWriter };
}

/** The Kafka side, from the topics to the replay; `parts` learns each piece as it starts. */
async function startKafka(
  config: Config,
  parts: Parts,
  worker: IngestWorker,
  io: {
    logger: Logger;
    metrics: SelfMetrics;
    recent: Recent;
    fatal: (what: string) => (error: Error) => void;
  },
): Promise<void> {
  const { logger, metrics, recent, fatal } = io;
  const kafka = createKafka(config.kafka, logger);
  const admin = kafka.admin();
  parts.admin = admin;
  // kafkajs gives up a connect at once when the seed broker it picked is down: a start with one
  // broker of the list away must pick another.
  await retrying(logger, "connect to Kafka", () => admin.connect());
  await prepareTopics(admin, config, logger, metrics);
  const { resumeFrom, stateWriter } = await startStateChangelog(config, parts, worker, {
    kafka,
    admin,
    logger,
    metrics,
  });

  const sink = await createDeadLetterSink(kafka, config.dlqTopic, logger);
  parts.sink = sink;
  const deadLetterGroup = createDeadLetterGroup({
    consumers: kafkaGroupMembers(kafka, config.shard, GROUP_SESSION_MS),
    admin,
    topic: config.topic,
    groupId: config.groupId,
    // Ownership lapses a little before the group would hand the partition to another member.
    ownership: new DeadLetterOwnership({ leaseMs: GROUP_SESSION_MS - 2_000, maxPendingPerPartition: 10_000 }),
    sink,
    logger,
    metrics,
    onFatal: fatal("Kafka dead-letter group stopped for good"),
    // The partition's owner alone writes its state changelog, as it writes its dead letters.
    ownerApplied: (partition, next) => stateWriter.applied(partition, next),
  });
  parts.deadLetterGroup = deadLetterGroup;
  if (config.registry) {
    const cache = createSchemaCache(createRegistryClient(config.registry));
    parts.gate = createSchemaGate({ cache, teach: (entry) => worker.teach(entry), metrics, logger });
  }
  const source = createKafkaSource({
    consumers: kafkaReaders(kafka, config.shard),
    admin,
    topic: config.topic,
    groupId: config.groupId,
    readerGroupId: `${config.groupId}.reader.${randomBytes(6).toString("hex")}`,
    shard: config.shard,
    resumeFrom,
    handle: createBatchHandler({
      ingestBatch: (messages, partition) => worker.ingestBatch(messages, partition),
      deadLetters: deadLetterGroup,
      metrics,
      logger,
      testIdentity: config.testIdentity,
      recent,
      ...(parts.gate ? { gate: parts.gate } : {}),
    }),
    onHandled: (partition, next) => deadLetterGroup.handled(partition, next),
    onCaughtUp: () => {
      worker.publish("text");
      stateWriter.caughtUp();
    },
    onFatal: fatal("Kafka consumer stopped for good"),
    logger,
    metrics,
  });
  parts.source = source;
  metrics.observeKafka(config.topic, source);
  // Seeded before the first batch is handed over: letters below these commits are skipped.
  deadLetterGroup.start(await source.start());
  await source.follow();
}

async function main(): Promise<void> {
  const config = exitOnConfigError(BINARY, () => readConfig(process.env));
  const logger = createLogger(config.logLevel);
  const metrics = createSelfMetrics();
  const parts: Parts = {};
  const fatal = (what: string) => (error: Error) => {
    logger.error(what, { error });
    void lifecycle.stop(what, EXIT.failed);
  };
  const worker = startIngestWorker(
    fatal("ingest worker failed"),
    config.testIdentity,
    config.registry !== undefined,
  );
  const lifecycle = onSignals(
    () => {
      metrics.ready.set(0);
      return closeAll(parts, worker, logger);
    },
    { logger },
  );

  const readiness: Readiness = {
    notReadyReason() {
      if (lifecycle.stopping) return "shutting down";
      // Only the start's replay holds readiness back: once caught up, the view is exact as of
      // what it has read, and a broker outage shows in the Kafka gauges, not as every replica
      // leaving the Service at once.
      if (!parts.source?.caughtUp() || !worker.snapshots.enabled) return "replaying the log";
      return null;
    },
  };
  watchReadiness(readiness, metrics.ready);

  // HTTP first: /healthz answers while the log replays.
  const view = createMetricsView(worker.snapshots, metrics);
  const recent = createRecent();
  const live = {
    notReadyReason: () => readiness.notReadyReason(),
    caughtUp: () => parts.source?.caughtUp() ?? false,
    connected: () => parts.source?.connected() ?? false,
  };
  const status = {
    table: worker.tests,
    parts: { metrics, live, recent, shard: { index: config.shard.index, total: config.shard.total } },
  };
  parts.http = await startHttpServer(createApp(view, readiness, logger, status), config.host, config.port);
  logger.info("listening", {
    host: config.host,
    port: parts.http.port,
    topic: config.topic,
    brokers: config.kafka.brokers,
    shard: describeShard(config.shard),
    ...(config.registry ? { schemaRegistry: config.registry.url } : {}),
  });
  metrics.shards.set({ shard: String(config.shard.index) }, config.shard.total);
  await startKafka(config, parts, worker, { logger, metrics, recent, fatal }).catch((err: unknown) => {
    throw explainDenied(err, config);
  });
}

main().catch((err: unknown) => reportStartFailure(BINARY, err));
