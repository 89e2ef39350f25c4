/**
 * The bridge's outbox against a publisher that fails like Kafka does (whole batches, or after
 * acknowledging a prefix): every run added is acknowledged, in order, none dropped; a run the
 * producer refuses is dropped alone; health follows the last publish or probe.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createBackoff } from "../../services/bridge/backoff.ts";
import { createOutbox } from "../../services/bridge/publish/outbox.ts";
import type { RunCompleted } from "../../services/contract/index.ts";
import { createLogger } from "../../services/log/logger.ts";
import { PublishError, type PublishResult } from "../../services/producer/errors.ts";

const logger = createLogger("error", () => undefined);

function run(i: number): RunCompleted {
  return {
    runId: `r${i}`,
    test: "t",
    namespace: "ns",
    result: "pass",
    score: 50,
    startedAt: 1_800_000_000_000,
    completedAt: 1_800_000_000_000 + i,
    rtoSeconds: null,
    backupName: null,
    backupCreatedAt: null,
    rtoTargetSeconds: null,
    cluster: null,
  };
}

const result = (r: RunCompleted, offset: number): PublishResult => ({
  topic: "t",
  partition: 0,
  offset: String(offset),
  runId: r.runId,
  test: r.test,
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(check(), "condition not reached");
}

describe("bridge: outbox", () => {
  it("acknowledges every run once, in order, through Kafka failures and partial acknowledgements", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.oneof(fc.constant(-1), fc.nat(5)), { maxLength: 8 }),
        fc.integer({ min: 1, max: 7 }),
        async (count, failures, batchSize) => {
          // failures[k]: the k-th publish call fails after acknowledging that many (-1: succeeds).
          const acked: string[] = [];
          let call = 0;
          const publisher = {
            async publishMany(runs: readonly RunCompleted[]) {
              const plan = failures[call++] ?? -1;
              if (plan < 0) {
                const out = runs.map((r) => result(r, acked.length));
                acked.push(...runs.map((r) => r.runId));
                return out;
              }
              const prefix = runs.slice(0, Math.min(plan, runs.length - 1));
              const acknowledged = prefix.map((r) => result(r, acked.length));
              acked.push(...prefix.map((r) => r.runId));
              throw new PublishError("kafka", "broker gone", { acknowledged });
            },
          };
          let published = 0;
          const outbox = createOutbox({
            publisher,
            probe: async () => undefined,
            backoff: createBackoff(1, 2),
            logger,
            batchSize,
            onPublished: (n) => {
              published += n;
            },
            onError: () => undefined,
          });
          try {
            for (let i = 0; i < count; i++) outbox.add(run(i));
            await until(() => outbox.pending() === 0);
            assert.deepEqual(
              acked,
              Array.from({ length: count }, (_, i) => `r${i}`),
            );
            assert.equal(published, count);
            assert.equal(outbox.healthy(), true);
          } finally {
            // A failed check must not leave the loop running (the test process would not end).
            assert.equal(await outbox.stop(0), 0);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("drops only the run the producer refuses", async () => {
    const acked: string[] = [];
    const errors: string[] = [];
    const outbox = createOutbox({
      publisher: {
        async publishMany(runs) {
          const index = runs.findIndex((r) => r.runId === "r1");
          if (index >= 0) throw new PublishError("validation", "bad", { index, field: "score" });
          acked.push(...runs.map((r) => r.runId));
          return runs.map((r, i) => result(r, i));
        },
      },
      probe: async () => undefined,
      backoff: createBackoff(1, 2),
      logger,
      onPublished: () => undefined,
      onError: (kind) => errors.push(kind),
    });
    for (let i = 0; i < 3; i++) outbox.add(run(i));
    await until(() => outbox.pending() === 0);
    assert.deepEqual(acked, ["r0", "r2"]);
    assert.deepEqual(errors, ["refused"]);
    await outbox.stop(0);
  });

  it("is unhealthy while the probe fails, healthy once it answers", async () => {
    let up = false;
    const errors: string[] = [];
    const outbox = createOutbox({
      publisher: { publishMany: async () => [] },
      probe: async () => {
        if (!up) throw new Error("no broker");
      },
      backoff: createBackoff(1, 2),
      logger,
      onPublished: () => undefined,
      onError: (kind) => errors.push(kind),
      idleProbeMs: 5,
    });
    await until(() => errors.length >= 2);
    assert.equal(outbox.healthy(), false);
    up = true;
    await until(() => outbox.healthy());
    up = false;
    await until(() => !outbox.healthy());
    await outbox.stop(0);
  });
});
