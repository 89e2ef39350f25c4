/**
 * When snapshots are rebuilt, on a clock and timers of the test's own: rebuilds keep their gap
 * (at least delayMs, and three times the last rebuild's cost, counted from its start), yet every
 * change is rendered as soon as that gap allows, at once after a quiet spell.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { DomainView } from "../../../../../services/api/metrics/render/domain.ts";
import { createSnapshots } from "../../../../../services/api/metrics/render/snapshots.ts";

const DELAY_MS = 50;

type Step = { kind: "wait"; ms: number } | { kind: "change" };

const steps = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 400 }) }),
    fc.constant({ kind: "change" as const }),
  ),
  { maxLength: 40 },
);

test("rebuilds keep their gap, and each change is rendered as soon as the gap allows", () => {
  fc.assert(
    fc.property(steps, fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1 }), (script, costs) => {
      let clock = 0;
      let revision = 0;
      const timers: { at: number; run: () => void }[] = [];
      let seq = 0;
      const renders: { at: number; cost: number; revision: number; seq: number }[] = [];
      const domain: DomainView = {
        render() {
          const cost = costs[renders.length % costs.length] as number;
          renders.push({ at: clock, cost, revision, seq: seq++ });
          clock += cost;
          return Buffer.from("x");
        },
        rows: () => Buffer.from("[]"),
      };
      const snapshots = createSnapshots(domain, () => revision, {
        onSnapshot: () => {},
        delayMs: DELAY_MS,
        now: () => clock,
        setTimer: (run, ms) => timers.push({ at: clock + ms, run }),
      });
      /** Moves the clock to `until`, firing the timers due on the way (a timer fires no earlier than asked). */
      const waitUntil = (until: number) => {
        for (;;) {
          timers.sort((a, b) => a.at - b.at);
          const next = timers[0];
          if (next === undefined || next.at > until) break;
          timers.shift();
          clock = Math.max(clock, next.at);
          next.run();
        }
        clock = Math.max(clock, until);
      };

      snapshots.request("text");
      const changes: { at: number; seq: number }[] = [];
      for (const step of script as Step[]) {
        if (step.kind === "wait") waitUntil(clock + step.ms);
        else {
          revision += 1;
          changes.push({ at: clock, seq: seq++ });
          snapshots.changed();
        }
      }
      waitUntil(clock + 10_000);

      // The gap: from one rebuild's start to the next, at least delayMs and three times its cost.
      for (let i = 1; i < renders.length; i++) {
        const prev = renders[i - 1] as (typeof renders)[number];
        const cur = renders[i] as (typeof renders)[number];
        assert.ok(cur.at - prev.at >= Math.max(DELAY_MS, 3 * prev.cost), `rebuild ${i} came too soon`);
      }
      // Every change is rendered, by the first rebuild the gap allowed after it (not one later).
      const last = renders[renders.length - 1] as (typeof renders)[number];
      assert.equal(last.revision, revision);
      for (const change of changes) {
        const prev = renders.filter((r) => r.seq < change.seq).pop() as (typeof renders)[number];
        const next = renders.find((r) => r.seq > change.seq);
        assert.ok(next !== undefined, "a change was never rendered");
        const allowed = Math.max(prev.at + Math.max(DELAY_MS, 3 * prev.cost), change.at);
        assert.equal(
          next.at,
          allowed,
          `the change at ${change.at} was rendered at ${next.at}, not ${allowed}`,
        );
      }
    }),
    { numRuns: 500 },
  );
});
