/**
 * The bridge's outbox against a publisher that fails like Kafka does (whole batches, or after
 * acknowledging a prefix): every run and retirement added is acknowledged, in the order added,
 * none dropped; an event the producer refuses is dropped alone; health follows the last publish
 * or probe.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createBackoff } from "../../../../services/bridge/backoff.ts";
import { createOutbox } from "../../../../services/bridge/publish/outbox.ts";
import type { RunCompleted } from "../../../../services/contract/index.ts";
import { createLogger } from "../../../../services/log/logger.ts";
import { PublishError, type PublishResult } from "../../../../services/producer/errors.ts";
import type { RetirementInput } from "../../../../services/producer/retirement-input.ts";

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

const retirement = (i: number): RetirementInput => ({
  test: `t${i}`,
  namespace: "ns",
  retiredAt: 1_800_000_000_000 + i,
});
const noRetirements = { retireMany: async () => [] };

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(check(), "condition not reached");
}

describe("bridge: outbox", () => {
  it("acknowledges every run and retirement once, in the order added, through Kafka failures and partial acknowledgements", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        fc.array(fc.oneof(fc.constant(-1), fc.nat(5)), { maxLength: 8 }),
        fc.integer({ min: 1, max: 7 }),
        async (kinds, failures, batchSize) => {
          // kinds[i]: event i is a retirement (true) or a run (false).
          // failures[k]: the k-th publish call fails after acknowledging that many (-1: succeeds).
          const acked: string[] = [];
          let call = 0;
          function send<T>(items: readonly T[], name: (item: T) => string): unknown[] {
            const plan = failures[call++] ?? -1;
            if (plan < 0) {
              acked.push(...items.map(name));
              return items.map(() => ({}));
            }
            const prefix = items.slice(0, Math.min(plan, items.length - 1));
            acked.push(...prefix.map(name));
            throw new PublishError("kafka", "broker gone", {
              acknowledged: prefix.map((_, i) => result(run(i), i)),
            });
          }
          const publisher = {
            publishMany: async (runs: readonly RunCompleted[]) => send(runs, (r) => r.runId),
            retireMany: async (rs: readonly RetirementInput[]) => send(rs, (r) => `retire ${r.test}`),
          };
          const published = { run: 0, retirement: 0 };
          const outbox = createOutbox({
            publisher,
            probe: async () => undefined,
            backoff: createBackoff(1, 2),
            logger,
            batchSize,
            onPublished: (kind, n) => {
              published[kind] += n;
            },
            onError: () => undefined,
          });
          try {
            kinds.forEach((isRetirement, i) => {
              if (isRetirement) outbox.addRetirement(retirement(i));
              else outbox.add(run(i));
            });
            await until(() => outbox.pending() === 0);
            assert.deepEqual(
              acked,
              kinds.map((isRetirement, i) => (isRetirement ? `retire t${i}` : `r${i}`)),
            );
            const retirements = kinds.filter((k) => k).length;
            assert.deepEqual(published, { run: kinds.length - retirements, retirement: retirements });
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
        ...noRetirements,
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
      publisher: { publishMany: async () => [], ...noRetirements },
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
