/**
 * The schema gate: a batch whose ids are not known waits (and retries) while the registry does
 * not answer, the later batches of its partition wait behind it in order, other partitions go on,
 * and the worker is taught each id before the first batch that carries it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SourceBatch } from "../../../../services/api/kafka/source.ts";
import { createSelfMetrics } from "../../../../services/api/metrics/serve/self.ts";
import { createSchemaGate } from "../../../../services/api/registry/gate.ts";
import { confluentFrame, type RegistrySchema } from "../../../../services/contract/index.ts";
import { silentLogger } from "../../../../services/log/logger.ts";
import { RegistryUnavailable } from "../../../../services/registry/client.ts";
import { createSchemaCache } from "../../../../services/registry/schema-cache.ts";

const batch = (partition: number, values: Buffer[]): SourceBatch => ({
  topic: "t",
  partition,
  messages: values.map((value, i) => ({ key: null, value, offset: String(i), timestamp: "0" })),
});

test("a registry that is down holds the partition back in order, other partitions go on, nothing is lost", async () => {
  let failures = 3;
  const cache = createSchemaCache({
    async schemaById(id): Promise<RegistrySchema> {
      if (failures-- > 0) throw new RegistryUnavailable("connection refused");
      return { id, schema: "{}" };
    },
  });
  const events: string[] = [];
  const metrics = createSelfMetrics();
  const gate = createSchemaGate({
    cache,
    teach: (e) => events.push(`teach ${e.id}`),
    metrics,
    logger: silentLogger,
    firstDelayMs: 5,
    maxDelayMs: 10,
  });
  const go = (name: string) => () => {
    events.push(name);
    return Promise.resolve();
  };
  const framed = confluentFrame(42, Buffer.from([2]));
  const single = Buffer.from([0xc3, 1, 0, 0]);
  const a = gate.pass(batch(0, [framed, single]), go("p0 b1"));
  const b = gate.pass(batch(0, [single]), go("p0 b2"));
  const c = gate.pass(batch(1, [single]), go("p1 b1"));
  assert.deepEqual(events, ["p1 b1"], "the other partition went at once");
  await new Promise((r) => setImmediate(r));
  assert.equal((await metrics.registryWaiting.get()).values[0]?.value, 1);
  await Promise.all([a, b, c]);
  assert.deepEqual(events, ["p1 b1", "teach 42", "p0 b1", "p0 b2"]);
  assert.equal((await metrics.registryFailures.get()).values[0]?.value, 3);
  assert.equal((await metrics.registryWaiting.get()).values[0]?.value, 0);
  // Known now: the next batch with the id goes at once, without teaching again.
  await gate.pass(batch(0, [framed]), go("p0 b3"));
  assert.deepEqual(events.slice(-1), ["p0 b3"]);
});

test("closing stops the waiting: the batch is not handed over", async () => {
  const cache = createSchemaCache({
    async schemaById(): Promise<RegistrySchema> {
      throw new RegistryUnavailable("down");
    },
  });
  const gate = createSchemaGate({
    cache,
    teach: () => {},
    metrics: createSelfMetrics(),
    logger: silentLogger,
    firstDelayMs: 5,
    maxDelayMs: 5,
  });
  let handed = false;
  const waiting = gate.pass(batch(0, [confluentFrame(1, Buffer.from([2]))]), () => {
    handed = true;
    return Promise.resolve();
  });
  gate.close();
  await assert.rejects(waiting, /stopping/);
  assert.equal(handed, false);
});
