/**
 * The dedupe set of (test, runId) pairs, exact and compact: the runIds' UTF-8 bytes live in one
 * arena outside the JavaScript heap, indexed by an open-addressing table: far smaller than a Set
 * of strings, and the garbage collector never walks it.
 *
 * runIds come and are compared as their UTF-8 bytes, read where they lie in the message.
 * Most runIds are "<test>-<time>" (RestoreReport names): that prefix is stored as one byte.
 * Entry i's bytes are arena[start[i] .. start[i + 1]); entries are appended, never removed.
 *
 * add() runs once per event on replay, so it avoids what costs there: no string, no view and
 * no native call per runId; it hashes as it copies; and each table slot holds the entry's hash
 * beside its index, so a probe that misses touches one cache line, not three arrays.
 *
 * Entries are numbered in the order they were added: the core keeps that number, not the
 * string, for the latest run of each gauge, and asks runId() for the string on a tie.
 */
import { FNV_OFFSET, FNV_PRIME, mix32 } from "../../contract/hash.ts";

function grow(array: Int32Array, minLength: number): Int32Array {
  const grown = new Int32Array(Math.max(minLength, array.length * 2));
  grown.set(array);
  return grown;
}

export class RunIdSet {
  #arena = Buffer.allocUnsafe(1 << 16);
  /** start[i] is where entry i begins; start[size] is where the next one will. */
  #start: Int32Array = new Int32Array(1 << 10);
  #test: Int32Array = new Int32Array(1 << 10);
  /** Pairs per slot: entry index + 1 (0 marks a free slot), then the entry's hash. */
  #slots: Int32Array = new Int32Array(2 << 11);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /**
   * Adds the pair (test testId, the runId whose UTF-8 is bytes[start .. end)): its entry number,
   * or -1 when it was already there. `test` is the UTF-8 of the name behind testId.
   */
  add(testId: number, bytes: Uint8Array, start: number, end: number, test: Uint8Array): number {
    const length = end - start;
    const at = this.#reserve(length);
    const arena = this.#arena;
    const prefix = test.length;
    let prefixed = prefix > 0 && length > prefix && bytes[start + prefix] === 0x2d;
    for (let i = 0; prefixed && i < prefix; i++) prefixed = bytes[start + i] === test[i];
    const from = prefixed ? start + prefix + 1 : start;
    arena[at] = prefixed ? 1 : 0;
    // A loop, not set(subarray()): runIds are short, and a view would be an object per event.
    let h = Math.imul(FNV_OFFSET ^ testId ^ (prefixed ? 1 : 0), FNV_PRIME);
    let to = at + 1;
    for (let i = from; i < end; i++) {
      const b = bytes[i] as number;
      arena[to++] = b;
      h = Math.imul(h ^ b, FNV_PRIME);
    }
    return this.#insert(testId, at, to, mix32(h));
  }

  /** The test number entry e was added with. */
  testId(e: number): number {
    return this.#test[e] as number;
  }

  /** The runId of entry e, whose test is `test` (the name whose UTF-8 add() was given). */
  runId(e: number, test: string): string {
    const from = this.#start[e] as number;
    const rest = this.#arena.toString("utf8", from + 1, this.#start[e + 1] as number);
    return this.#arena[from] === 1 ? `${test}-${rest}` : rest;
  }

  /** Where the next entry's bytes go, with room for 1 + maxBytes of them. */
  #reserve(maxBytes: number): number {
    const at = this.#start[this.#size] as number;
    if (at + 1 + maxBytes > this.#arena.length) this.#growArena(at + 1 + maxBytes);
    return at;
  }

  /** Keeps the candidate written at arena[at .. end), whose hash is h, if it is new: its entry, or -1. */
  #insert(testId: number, at: number, end: number, h: number): number {
    const slots = this.#slots;
    const mask = (slots.length >> 1) - 1;
    let s = h & mask;
    for (let slot = slots[s << 1] as number; slot !== 0; slot = slots[s << 1] as number) {
      if (slots[(s << 1) + 1] === h && this.#same(slot - 1, testId, at, end)) return -1;
      s = (s + 1) & mask;
    }

    const e = this.#size;
    if (e + 2 > this.#start.length) {
      this.#start = grow(this.#start, e + 2);
      this.#test = grow(this.#test, e + 2);
    }
    this.#test[e] = testId;
    this.#start[e + 1] = end;
    slots[s << 1] = e + 1;
    slots[(s << 1) + 1] = h;
    this.#size = e + 1;
    if (this.#size * 4 > slots.length) this.#rehash();
    return e;
  }

  /** Whether entry e is the candidate arena[at .. end) of the same test. */
  #same(e: number, testId: number, at: number, end: number): boolean {
    if (this.#test[e] !== testId) return false;
    const from = this.#start[e] as number;
    if ((this.#start[e + 1] as number) - from !== end - at) return false;
    const arena = this.#arena;
    for (let i = 0; i < end - at; i++) if (arena[from + i] !== arena[at + i]) return false;
    return true;
  }

  #growArena(minLength: number): void {
    const grown = Buffer.allocUnsafe(Math.max(minLength, this.#arena.length * 2));
    this.#arena.copy(grown, 0, 0, this.#start[this.#size]);
    this.#arena = grown;
  }

  /** Doubles the table (kept at most half full). */
  #rehash(): void {
    const old = this.#slots;
    const slots = new Int32Array(old.length * 2);
    const mask = (slots.length >> 1) - 1;
    for (let o = 0; o < old.length; o += 2) {
      const slot = old[o] as number;
      if (slot === 0) continue;
      const h = old[o + 1] as number;
      let s = h & mask;
      while (slots[s << 1] !== 0) s = (s + 1) & mask;
      slots[s << 1] = slot;
      slots[(s << 1) + 1] = h;
    }
    this.#slots = slots;
  }
}
