import assert from "node:assert/strict";
import { test } from "node:test";
import { createStateWriter } from "../../../../services/api/kafka/state-writer.ts";
import { createSelfMetrics } from "../../../../services/api/metrics/serve/self.ts";
import type { RawMessage } from "../../../../services/api/worker/protocol.ts";
import { createLogger } from "../../../../services/log/logger.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function value(metrics: ReturnType<typeof createSelfMetrics>, name: string, partition?: number) {
  const metric = metrics.text.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  const v = values.find((x) => partition === undefined || x.labels.partition === partition);
  return v?.value;
}

function fixture(frozen = false, maxEvents = 1000) {
  const metrics = createSelfMetrics();
  const lines: string[] = [];
  const flushes: [number, number][] = [];
  const sent: [number, number][] = [];
  const record: RawMessage = { key: Buffer.from("k"), value: Buffer.from("vvv") };
  const writer = createStateWriter({
    flush: async (partition, next) => {
      flushes.push([partition, next]);
      return { records: [record, record], frozen };
    },
    send: async (partition, records) => {
      sent.push([partition, records.length]);
    },
    logger: createLogger("error", (line) => lines.push(line)),
    metrics,
    quietMs: 30,
    maxDelayMs: 200,
    maxEvents,
  });
  writer.caughtUp();
  return { writer, metrics, flushes, sent, lines };
}

test("events in a quick succession are written once after a quiet spell, at the last offset", async () => {
  const f = fixture();
  f.writer.applied(0, 10);
  f.writer.applied(0, 20);
  f.writer.applied(1, 5);
  assert.deepEqual(f.flushes, [], "nothing written while events come");
  assert.equal(await value(f.metrics, "kymaros_api_state_checkpoint_lag", 0), 20);
  await sleep(80);
  assert.deepEqual(f.flushes, [
    [0, 20],
    [1, 5],
  ]);
  assert.deepEqual(f.sent, [
    [0, 2],
    [1, 2],
  ]);
  assert.equal(await value(f.metrics, "kymaros_api_state_changelog_bytes_written_total"), 2 * 2 * 4);
  assert.equal(await value(f.metrics, "kymaros_api_state_checkpoint_lag", 0), 0);
  await f.writer.stop();
});

test("many events are written without waiting for a quiet spell; stop writes what is pending", async () => {
  const f = fixture(false, 50);
  f.writer.applied(0, 60);
  await sleep(5);
  assert.deepEqual(f.flushes, [[0, 60]]);
  f.writer.applied(0, 70);
  await f.writer.stop();
  assert.deepEqual(f.flushes, [
    [0, 60],
    [0, 70],
  ]);
});

test("a frozen partition's records are written, its lag keeps growing, and it is said once", async () => {
  const f = fixture(true);
  f.writer.applied(2, 10);
  await sleep(60);
  f.writer.applied(2, 30);
  await sleep(60);
  assert.equal(f.flushes.length, 2);
  assert.equal(await value(f.metrics, "kymaros_api_state_checkpoint_lag", 2), 30);
  assert.equal(f.lines.filter((l) => l.includes("checkpoint no longer moves")).length, 1);
  await f.writer.stop();
});

test("during the replay events only accumulate: caught up, one write per partition", async () => {
  const metrics = createSelfMetrics();
  const flushes: [number, number][] = [];
  const writer = createStateWriter({
    flush: async (partition, next) => {
      flushes.push([partition, next]);
      return { records: [], frozen: false };
    },
    send: async () => {},
    logger: createLogger("error", () => {}),
    metrics,
    quietMs: 10,
    maxEvents: 5,
  });
  for (let next = 10; next <= 100; next += 10) writer.applied(0, next);
  await sleep(40);
  assert.deepEqual(flushes, [], "nothing before caught up");
  writer.caughtUp();
  await sleep(20);
  assert.deepEqual(flushes, [[0, 100]]);
  await writer.stop();
});
