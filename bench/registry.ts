/**
 * Registry-framed replay: the big dataset again, each event framed 00 + schema id (Confluent)
 * instead of single-object, replayed by the service pointed at a real Apicurio Registry (its own,
 * on free ports), against the single-object replay of the same events in the same run.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Kafka } from "kafkajs";
import { confluentFrame, writerVersionFor } from "../services/contract/index.ts";
import { loadSchema } from "../services/contract/schemas.ts";
import { createRegistryClient } from "../services/registry/client.ts";
import { ownRegistry } from "../test/support/registry.ts";
import { type RunningService, startService, waitReady } from "../test/support/service.ts";
import { type Dataset, ensureDataset, makeRun } from "./data.ts";

export interface RegistryReplay {
  /** One registry-framed replay: the service's own replay duration, in ms. */
  once(): Promise<number>;
  close(): Promise<void>;
}

export async function openRegistryReplay(
  kafka: Kafka,
  d: Dataset,
  options: {
    brokers: string[];
    nodeArgs: string[];
    log: (s: string) => void;
    replaySeconds: (s: RunningService) => Promise<number>;
  },
): Promise<RegistryReplay> {
  const registry = await ownRegistry();
  await registry.up();
  // The dataset's runs are all of one writer version (they set cluster): that schema's id.
  const version = writerVersionFor(makeRun(0, 0, () => 0.5));
  const client = createRegistryClient({
    url: registry.url,
    timeoutMs: 5000,
    subjectStrategy: "topic-record",
    autoRegister: true,
  });
  const id = await client.register(
    "bench-io.kymaros.events.RunCompleted",
    JSON.stringify(loadSchema(version)),
  );
  // Ids are the in-memory registry's: the topic's name carries the one its data was framed with.
  const topic = await ensureDataset(kafka, d, options.log, {
    name: `registry-id${id}`,
    frame: (b) => confluentFrame(id, b.subarray(10)),
  });
  return {
    async once() {
      const began = performance.now();
      const service = await startService({
        topic,
        groupId: `bench-${randomUUID()}`,
        brokers: options.brokers,
        nodeArgs: options.nodeArgs,
        env: { KYMAROS_SCHEMA_REGISTRY_URL: registry.url },
      });
      try {
        await waitReady(service, 120_000);
        options.log(`  registry-framed: ready in ${((performance.now() - began) / 1000).toFixed(2)} s`);
        return (await options.replaySeconds(service)) * 1000;
      } finally {
        await service.stop();
      }
    },
    close: () => registry.clean(),
  };
}
