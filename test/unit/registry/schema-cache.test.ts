import assert from "node:assert/strict";
import { test } from "node:test";
import type { RegistrySchema } from "../../../services/contract/index.ts";
import { RegistryUnavailable } from "../../../services/registry/client.ts";
import { createSchemaCache } from "../../../services/registry/schema-cache.ts";

function fakeRegistry(known: Record<number, string>) {
  const asked: number[] = [];
  let down = false;
  return {
    asked,
    setDown: (d: boolean) => {
      down = d;
    },
    async schemaById(id: number): Promise<RegistrySchema> {
      asked.push(id);
      await Promise.resolve();
      if (down) throw new RegistryUnavailable("down");
      return { id, schema: known[id] ?? null };
    },
  };
}

test("an id is fetched once for the process, concurrent asks sharing one request", async () => {
  const registry = fakeRegistry({ 5: "{}" });
  const cache = createSchemaCache(registry);
  const answers = await Promise.all([cache.get(5), cache.get(5), cache.get(5)]);
  await cache.get(5);
  assert.deepEqual(registry.asked, [5]);
  assert.deepEqual(
    answers,
    [1, 2, 3].map(() => ({ id: 5, schema: "{}" })),
  );
  assert.deepEqual(cache.peek(5), { id: 5, schema: "{}" });
});

test("a 404 is kept for notFoundMs, then asked again", async () => {
  let now = 0;
  const registry = fakeRegistry({});
  const cache = createSchemaCache(registry, { notFoundMs: 1000, now: () => now });
  assert.equal((await cache.get(9)).schema, null);
  now = 999;
  await cache.get(9);
  assert.deepEqual(registry.asked, [9]);
  now = 1000;
  assert.equal(cache.peek(9), undefined);
  await cache.get(9);
  assert.deepEqual(registry.asked, [9, 9]);
});

test("a registry that is down is not cached: the next ask goes to it again", async () => {
  const registry = fakeRegistry({ 1: "{}" });
  const cache = createSchemaCache(registry);
  registry.setDown(true);
  await assert.rejects(cache.get(1), RegistryUnavailable);
  assert.equal(cache.peek(1), undefined);
  registry.setDown(false);
  assert.equal((await cache.get(1)).schema, "{}");
  assert.deepEqual(registry.asked, [1, 1]);
});
