import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  ChangelogError,
  decodeRecord,
  MAX_RECORD_BYTES,
  type RawRecord,
} from "../../../../services/api/changelog/record.ts";
import { restorePartition } from "../../../../services/api/changelog/restore.ts";
import { ChangeTracker } from "../../../../services/api/changelog/tracker.ts";
import { apply, createState, retire, type State } from "../../../../services/api/core/index.ts";
import { createDomainView } from "../../../../services/api/metrics/render/domain.ts";
import {
  factsOf,
  type RunCompleted,
  retirementFactsOf,
  type TestRetired,
} from "../../../../services/contract/index.ts";
import { distinctEventsArb, run } from "../../../support/runs.ts";

type Event = RunCompleted | TestRetired;
const isRun = (e: Event): e is RunCompleted => "runId" in e;

function applyAll(state: State, log: readonly Event[]): void {
  for (const e of log) {
    if (isRun(e)) apply(state, factsOf(e));
    else retire(state, retirementFactsOf(e));
  }
}

/** The exposition of a state made by `fill` (the view is made first, as the service does). */
function exposition(fill: (state: State) => void): string {
  const state = createState();
  const view = createDomainView(state, "namespace");
  fill(state);
  return view.render("text").toString();
}

/** The service's loop on one partition: apply, note each batch, flush at some offsets. */
function writeChangelog(
  state: State,
  tracker: ChangeTracker,
  log: readonly Event[],
  from: number,
  flushAt: Set<number>,
) {
  const records: RawRecord[] = [];
  for (let i = from; i < log.length; i++) {
    applyAll(state, [log[i] as Event]);
    if (flushAt.has(i)) {
      tracker.note(0);
      records.push(...tracker.flush(0, i + 1));
    }
  }
  return records;
}

/** A log: the distinct events, shuffled, with some redelivered. */
const logArb = distinctEventsArb.chain(([runs, retirements]) => {
  const events: Event[] = [...runs, ...retirements];
  return fc
    .tuple(fc.shuffledSubarray(events, { minLength: events.length }), fc.array(fc.nat(events.length - 1)))
    .map(([shuffled, dups]) => [...shuffled, ...dups.map((i) => ({ ...(events[i] as Event) }))]);
});

/** Records as a restore may read them: some repeated, in another order. */
function disorder(records: RawRecord[]): fc.Arbitrary<RawRecord[]> {
  if (records.length === 0) return fc.constant([]);
  return fc.tuple(fc.array(fc.nat(records.length - 1)), fc.boolean()).chain(([dups, shuffle]) => {
    const all = [...records, ...dups.map((i) => records[i] as RawRecord)];
    return shuffle ? fc.shuffledSubarray(all, { minLength: all.length }) : fc.constant(all);
  });
}

test("restore from the changelog, then the source from the checkpoint, gives the full replay's bytes", () => {
  const scenario = logArb.chain((log) =>
    fc
      .tuple(
        fc.constant(log),
        fc.uniqueArray(fc.nat(log.length - 1)),
        fc.nat(),
        fc.uniqueArray(fc.nat(log.length - 1)),
      )
      .chain(([log, flushes, cut, laterFlushes]) => {
        const state = createState();
        const records = writeChangelog(state, new ChangeTracker(state), log, 0, new Set(flushes));
        // A crash loses a suffix of what was being written (a partition keeps its order).
        const kept = records.slice(0, cut % (records.length + 1));
        return fc.tuple(
          fc.constant(log),
          fc.constant(kept),
          disorder(kept),
          fc.constant(new Set(laterFlushes)),
        );
      }),
  );
  fc.assert(
    fc.property(scenario, ([log, kept, read, laterFlushes]) => {
      const full = exposition((s) => applyAll(s, log));
      let checkpoint = -1;
      const second: RawRecord[] = [];
      const restored = exposition((s) => {
        checkpoint = restorePartition(s, 0, read).checkpoint;
        const tracker = new ChangeTracker(s);
        tracker.note(0);
        tracker.markWritten(0);
        // The events before the checkpoint may be gone: only the rest is read.
        second.push(
          ...writeChangelog(s, tracker, log, checkpoint, new Set([...laterFlushes, log.length - 1])),
        );
      });
      assert.equal(restored, full);
      // A second restart, from both generations of records: the last checkpoint covers the log.
      const again = exposition((s) => {
        assert.equal(restorePartition(s, 0, [...kept, ...second]).checkpoint, log.length);
      });
      assert.equal(again, full);
    }),
    { numRuns: 300 },
  );
});

test("a redelivered run stays a duplicate once its event is gone from the log", () => {
  const state = createState();
  const tracker = new ChangeTracker(state);
  const log = [run({ runId: "a" }), run({ runId: "b", result: "fail" })];
  const records = writeChangelog(state, tracker, log, 0, new Set([1]));
  const restored = createState();
  assert.equal(restorePartition(restored, 0, records).checkpoint, 2);
  assert.equal(apply(restored, factsOf(run({ runId: "a" }))), "duplicate");
  assert.equal(apply(restored, factsOf(run({ runId: "c" }))), "applied");
  assert.deepEqual(restored.identities[0]?.results, { pass: 2, fail: 1, partial: 0 });
});

test("one test with 100k runs: records stay under 1 MB, chunks of the longest runIds too", () => {
  for (const [runs, idLength] of [
    [100_000, 8],
    [1_000, 512],
  ] as const) {
    const state = createState();
    const tracker = new ChangeTracker(state);
    const log = Array.from({ length: runs }, (_, i) =>
      run({
        runId: String(i).padStart(idLength, idLength > 8 ? "\u20ac" : "x"),
        startedAt: Date.UTC(2026, 0, 1) + i * 1000,
      }),
    );
    const records = writeChangelog(state, tracker, log, 0, new Set([runs / 2 - 1, runs - 1]));
    for (const r of records) assert.ok(r.value.length < MAX_RECORD_BYTES, `${r.value.length} bytes`);
    const full = exposition((s) => applyAll(s, log));
    assert.equal(
      exposition((s) => restorePartition(s, 0, records)),
      full,
    );
  }
});

test("a corrupt record is refused with what is wrong, never loaded", () => {
  const state = createState();
  const [record] = writeChangelog(state, new ChangeTracker(state), [run()], 0, new Set([0]));
  const good = record as RawRecord;
  const cases: [Buffer | null, RegExp][] = [
    [null, /tombstone/],
    [Buffer.from("{}"), /bad magic/],
    [Buffer.concat([good.value.subarray(0, 2), Buffer.alloc(8), good.value.subarray(10)]), /fingerprint/],
    [good.value.subarray(0, good.value.length - 3), /undecodable/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => decodeRecord(value),
      (e: Error) => e instanceof ChangelogError && message.test(e.message),
    );
  }
  // A state whose run chunk is missing cannot be loaded.
  const one = createState();
  const records = writeChangelog(one, new ChangeTracker(one), [run()], 0, new Set([0]));
  const withoutChunk = records.filter((r) => !r.key.toString().startsWith('["runs"'));
  assert.equal(withoutChunk.length, records.length - 1);
  assert.throws(() => restorePartition(createState(), 0, withoutChunk), /chunk 0 lacks some/);
});

test("a partition that applies runs of another partition's test stops its checkpoint, and a restore stays exact", () => {
  const state = createState();
  const tracker = new ChangeTracker(state);
  // "a" lives in partition 0; after a partition count change its runs also come through partition 1.
  const p0 = [run({ runId: "a-1", test: "a" }), run({ runId: "b-1", test: "b" })];
  const p1 = [run({ runId: "c-1", test: "c" }), run({ runId: "a-2", test: "a", result: "fail" })];
  applyAll(state, p0);
  tracker.note(0);
  applyAll(state, [p1[0] as RunCompleted]);
  tracker.note(1);
  const first = [...tracker.flush(0, 2), ...tracker.flush(1, 1)];
  applyAll(state, [p1[1] as RunCompleted]);
  tracker.note(1);
  assert.equal(tracker.frozen(1), true);
  assert.equal(tracker.frozen(0), false);
  const second = tracker.flush(1, 2);
  assert.equal(
    second.some((r) => r.key.toString().startsWith('["checkpoint"')),
    false,
    "no checkpoint for partition 1",
  );
  const isPartition = (p: number) => (r: RawRecord) =>
    (r.key.toString().startsWith(`["`) && r.key.includes(`,${p},`)) ||
    r.key.toString() === `["checkpoint",${p}]`;
  const full = exposition((s) => applyAll(s, [...p0, ...p1]));
  const restored = exposition((s) => {
    const c0 = restorePartition(s, 0, first.filter(isPartition(0))).checkpoint;
    const c1 = restorePartition(s, 1, [...first, ...second].filter(isPartition(1))).checkpoint;
    assert.deepEqual([c0, c1], [2, 1]);
    // Partition 1 is read again from its last checkpoint: a-2 (not in partition 0's records) counts.
    applyAll(s, p1.slice(c1));
  });
  assert.equal(restored, full);
});
