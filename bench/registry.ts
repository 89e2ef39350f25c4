/**
 * Registry-framed replay: the big dataset again, each event framed 00 + schema id (Confluent)
 * instead of single-object, replayed by the service pointed at a real Apicurio Registry (its own,
 * on free ports), against the single-object replay of the same events in the same run.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Kafka } from "kafkajs";
import { createState } from "../services/api/core/index.ts";
import { ingestBatch } from "../services/api/worker/ingest-batch.ts";
import { type PackedBatch, pack, type RawMessage } from "../services/api/worker/protocol.ts";
import {
  confluentFrame,
  createCodec,
  createRegistryReader,
  writerVersionFor,
} from "../services/contract/index.ts";
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
        // A full replay each time, like the single-object row it is compared with.
        env: { KYMAROS_SCHEMA_REGISTRY_URL: registry.url, KYMAROS_STATE_REBUILD: "true" },
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

/**
 * The ingest worker's own work on the same events, in this process and without Kafka: packed
 * batches of 500 through ingestBatch, single-object against registry-framed (the id taught as
 * the worker is taught it), alternating, `rounds` times each on a fresh state. Median CPU ms each.
 */
export function ingestComparison(events: number, rounds: number): { single: number; framed: number } {
  const codec = createCodec();
  const random = () => 0.5;
  const version = writerVersionFor(makeRun(0, 0, random));
  const batches = (frame: (b: Buffer) => Buffer) => {
    const out: PackedBatch[] = [];
    for (let at = 0; at < events; at += 500) {
      const messages: RawMessage[] = [];
      for (let i = at; i < Math.min(at + 500, events); i++) {
        const run = makeRun(i % 10_000, Math.floor(i / 10_000), random);
        messages.push({ key: Buffer.from(run.test), value: frame(codec.encode(run)) });
      }
      out.push(pack(messages));
    }
    return out;
  };
  const single = batches((b) => b);
  const framed = batches((b) => confluentFrame(1, b.subarray(10)));
  const time = (packed: PackedBatch[], registry: boolean) => {
    const reader = createRegistryReader(codec, { configured: registry });
    reader.learn({ id: 1, schema: JSON.stringify(loadSchema(version)) });
    const state = createState();
    // CPU time, not wall time: a busy machine's other processes then weigh less on the ratio.
    const began = process.cpuUsage();
    for (const batch of packed) ingestBatch(reader.read, state, batch);
    const used = process.cpuUsage(began);
    return (used.user + used.system) / 1000;
  };
  const runs = { single: [] as number[], framed: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    runs.single.push(time(single, false));
    runs.framed.push(time(framed, true));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return { single: median(runs.single), framed: median(runs.framed) };
}
