/**
 * The dedupe set of (test, runId) pairs, exact and compact: the runIds' UTF-8 bytes live in one
 * arena outside the JavaScript heap, indexed by an open-addressing table. At 1M runs this takes
 * about half the memory of a Set of strings, and the garbage collector never walks it.
 *
 * runIds are compared as UTF-8 bytes: well-formed strings, as every Avro-decoded string is.
 * Most runIds are "<test>-<time>" (RestoreReport names): that prefix is stored as one byte.
 * Entry i's bytes are arena[start[i] .. start[i + 1]); entries are appended, never removed.
 *
 * add() runs once per event on replay, so it avoids what costs there: no string slices or
 * native calls for ASCII runIds, and each table slot holds the entry's hash beside its index,
 * so a probe that misses touches one cache line, not three arrays. addAscii() takes the runId
 * as the bytes it arrived in, so that replay makes no string per event at all.
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

  /** Adds the pair: its entry number, or -1 when it was already there. `test` is the name behind testId. */
  add(testId: number, runId: string, test = ""): number {
    const at = this.#reserve(runId.length * 3);
    const arena = this.#arena;
    const prefixed = test.length > 0 && runId.charCodeAt(test.length) === 0x2d && runId.startsWith(test);
    const from = prefixed ? test.length + 1 : 0;
    arena[at] = prefixed ? 1 : 0;
    let end = at + 1;
    for (let i = from; i < runId.length; i++) {
      const c = runId.charCodeAt(i);
      if (c >= 0x80) {
        end = at + 1 + arena.write(runId.slice(from), at + 1, "utf8");
        break;
      }
      arena[end++] = c;
    }
    return this.#insert(testId, at, end, this.#hash(testId, at, end));
  }

  /**
   * add() for a runId given as its bytes, bytes[start .. end), all below 0x80 (the caller
   * checked): the same entry as add() of the string they spell.
   */
  addAscii(testId: number, bytes: Uint8Array, start: number, end: number, test = ""): number {
    const length = end - start;
    const at = this.#reserve(length);
    const arena = this.#arena;
    let prefixed = test.length > 0 && length > test.length && bytes[start + test.length] === 0x2d;
    for (let i = 0; prefixed && i < test.length; i++) prefixed = bytes[start + i] === test.charCodeAt(i);
    const from = prefixed ? start + test.length + 1 : start;
    arena[at] = prefixed ? 1 : 0;
    // A loop, not set(subarray()): runIds are short, and a view would be an object per event.
    // It hashes as it copies (the same hash as #hash), saving a second pass over the bytes.
    let h = Math.imul(FNV_OFFSET ^ testId ^ (prefixed ? 1 : 0), FNV_PRIME);
    let to = at + 1;
    for (let i = from; i < end; i++) {
      const b = bytes[i] as number;
      arena[to++] = b;
      h = Math.imul(h ^ b, FNV_PRIME);
    }
    return this.#insert(testId, at, to, mix32(h));
  }

  /** The runId of entry e, whose test is `test`. */
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

  /** The hash of the candidate arena[at .. end) of test testId. */
  #hash(testId: number, at: number, end: number): number {
    const arena = this.#arena;
    let h = (FNV_OFFSET ^ testId) | 0;
    for (let i = at; i < end; i++) h = Math.imul(h ^ (arena[i] as number), FNV_PRIME);
    return mix32(h);
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
