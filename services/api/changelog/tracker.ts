/**
 * Which identities changed since they were last written, per source partition, found cheaply:
 * new dedupe entries are read once each (their identity from the set), and a flush compares the
 * partition's identities' revision and retirement with what was written. Lives beside the state
 * (in the ingest worker), and turns a partition's changes into changelog records.
 */
import type { State } from "../core/index.ts";
import { identityBodies } from "./encode-identity.ts";
import { CHUNK_RUNS, encodeRecord, type RawRecord, type StateBody } from "./record.ts";

interface Written {
  revision: number;
  retiredAt: number;
  runCount: number;
}

const NEVER: Written = { revision: -1, retiredAt: Number.NaN, runCount: 0 };

export class ChangeTracker {
  /** Per identity id: its dedupe entries in order, and how many of the array are used. */
  #entries: Int32Array[] = [];
  #counts: number[] = [];
  #partitionOf: number[] = [];
  /** Identities by source partition. */
  #byPartition = new Map<number, number[]>();
  #written: Written[] = [];
  #seenEntries = 0;
  #seenIdentities = 0;
  /** Per identity, its revision and retirement as the last note() saw them. */
  #seenRevision: number[] = [];
  #seenRetiredAt: number[] = [];
  /**
   * Partitions that applied events of an identity of another partition (the events topic's
   * partition count changed, so a test's runs lie in two): their checkpoint no longer moves,
   * since the other partition's changelog holds that identity. A restart reads them again from
   * there; if retention deleted them meanwhile, the restore reports a gap, never a wrong count.
   */
  readonly #frozen = new Set<number>();
  #notedPartition = -1;
  readonly #state: State;

  constructor(state: State) {
    this.#state = state;
  }

  /** What the state gained since the last call came from `partition` (batches are applied one by one). */
  note(partition: number): void {
    const state = this.#state;
    this.#notedPartition = partition;
    for (; this.#seenIdentities < state.identities.length; this.#seenIdentities++) {
      const id = this.#seenIdentities;
      this.#partitionOf[id] = partition;
      this.#entries[id] = new Int32Array(4);
      this.#counts[id] = 0;
      this.#written[id] = NEVER;
      const list = this.#byPartition.get(partition) ?? [];
      if (list.length === 0) this.#byPartition.set(partition, list);
      list.push(id);
    }
    const { runIds } = state;
    for (; this.#seenEntries < runIds.size; this.#seenEntries++) this.#push(runIds.testId(this.#seenEntries));
    this.#foreign(partition);
  }

  /** Whether the batch just noted changed an identity of another partition: one pass over them. */
  #foreign(partition: number): void {
    const { identities } = this.#state;
    for (let id = 0; id < identities.length; id++) {
      const t = identities[id] as (typeof identities)[number];
      if (t.revision === this.#seenRevision[id] && Object.is(t.retiredAt, this.#seenRetiredAt[id])) continue;
      this.#seenRevision[id] = t.revision;
      this.#seenRetiredAt[id] = t.retiredAt;
      if (this.#partitionOf[id] !== partition) this.#frozen.add(partition);
    }
  }

  /** Whether the partition's checkpoint stopped moving (see #frozen). */
  frozen(partition: number): boolean {
    return this.#frozen.has(partition);
  }

  #push(id: number): void {
    let entries = this.#entries[id] as Int32Array;
    const count = this.#counts[id] as number;
    if (count === entries.length) {
      const grown = new Int32Array(entries.length * 2);
      grown.set(entries);
      this.#entries[id] = entries = grown;
    }
    entries[count] = this.#seenEntries;
    this.#counts[id] = count + 1;
    if (this.#partitionOf[id] !== this.#notedPartition) this.#frozen.add(this.#notedPartition);
  }

  /** Marks the state's identities as written as they now are (after a restore loaded them). */
  markWritten(partition: number): void {
    for (const id of this.#byPartition.get(partition) ?? []) this.#markWritten(id);
  }

  #markWritten(id: number): void {
    const t = this.#state.identities[id];
    if (t === undefined) return;
    this.#written[id] = {
      revision: t.revision,
      retiredAt: t.retiredAt,
      runCount: this.#counts[id] as number,
    };
  }

  /** The partitions whose identities changed since their last flush. */
  partitions(): number[] {
    return [...this.#byPartition.keys()].sort((a, b) => a - b);
  }

  /**
   * The records that bring the partition's changelog up to date, the checkpoint last: every
   * event before `appliedThrough` is then in the state these records hold.
   */
  flush(partition: number, appliedThrough: number): RawRecord[] {
    const bodies: StateBody[] = [];
    for (const id of this.#byPartition.get(partition) ?? []) {
      const t = this.#state.identities[id];
      const w = this.#written[id] as Written;
      const count = this.#counts[id] as number;
      if (t === undefined) continue;
      if (t.revision === w.revision && Object.is(t.retiredAt, w.retiredAt) && count === w.runCount) continue;
      const fromChunk = Math.floor(w.runCount / CHUNK_RUNS);
      bodies.push(...identityBodies(this.#state, t, this.#entries[id] as Int32Array, count, fromChunk));
      this.#markWritten(id);
    }
    if (!this.#frozen.has(partition)) bodies.push({ kind: "checkpoint" });
    return bodies.map((body) => encodeRecord({ sourcePartition: partition, appliedThrough, body }));
  }
}
