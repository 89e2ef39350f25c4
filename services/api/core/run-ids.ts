/**
 * The dedupe set of (test, runId) pairs, exact and compact: the runIds' UTF-8 bytes live in one
 * arena outside the JavaScript heap, indexed by an open-addressing table. At 1M runs this takes
 * about half the memory of a Set of strings, and the garbage collector never walks it.
 *
 * runIds are compared as UTF-8 bytes: well-formed strings, as every Avro-decoded string is.
 * Most runIds are "<test>-<time>" (RestoreReport names): that prefix is stored as one byte.
 * Entry i's bytes are arena[start[i] .. start[i + 1]); entries are appended, never removed.
 */

function grow(array: Int32Array, minLength: number): Int32Array {
  const grown = new Int32Array(Math.max(minLength, array.length * 2));
  grown.set(array);
  return grown;
}

export class RunIdSet {
  #arena = Buffer.allocUnsafe(1 << 16);
  /** start[i] is where entry i begins; start[size] is where the next one will. */
  #start: Int32Array = new Int32Array(1 << 10);
  #hash: Int32Array = new Int32Array(1 << 10);
  #test: Int32Array = new Int32Array(1 << 10);
  /** Entry index + 1 per slot; 0 marks a free slot. */
  #slots: Int32Array = new Int32Array(1 << 11);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds the pair; false when it was already there. `test` is the name behind testId. */
  add(testId: number, runId: string, test = ""): boolean {
    const at = this.#start[this.#size] as number;
    // Write the candidate where it would be appended; keep it only if it is new.
    if (at + 1 + runId.length * 3 > this.#arena.length) this.#growArena(at + 1 + runId.length * 3);
    const arena = this.#arena;
    const prefixed = test.length > 0 && runId.charCodeAt(test.length) === 0x2d && runId.startsWith(test);
    arena[at] = prefixed ? 1 : 0;
    const length = 1 + arena.write(prefixed ? runId.slice(test.length + 1) : runId, at + 1, "utf8");
    let h = (0x811c9dc5 ^ testId) | 0;
    for (let i = at; i < at + length; i++) h = Math.imul(h ^ (arena[i] as number), 0x01000193);

    const slots = this.#slots;
    const mask = slots.length - 1;
    let s = h & mask;
    for (let slot = slots[s] as number; slot !== 0; slot = slots[s] as number) {
      const e = slot - 1;
      if (this.#hash[e] === h && this.#test[e] === testId) {
        const from = this.#start[e] as number;
        if (
          (this.#start[e + 1] as number) - from === length &&
          arena.compare(arena, at, at + length, from, from + length) === 0
        ) {
          return false;
        }
      }
      s = (s + 1) & mask;
    }

    const e = this.#size;
    if (e + 2 > this.#start.length) {
      this.#start = grow(this.#start, e + 2);
      this.#hash = grow(this.#hash, e + 2);
      this.#test = grow(this.#test, e + 2);
    }
    this.#hash[e] = h;
    this.#test[e] = testId;
    this.#start[e + 1] = at + length;
    slots[s] = e + 1;
    this.#size = e + 1;
    if (this.#size * 2 > slots.length) this.#rehash();
    return true;
  }

  #growArena(minLength: number): void {
    const grown = Buffer.allocUnsafe(Math.max(minLength, this.#arena.length * 2));
    this.#arena.copy(grown, 0, 0, this.#start[this.#size]);
    this.#arena = grown;
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let e = 0; e < this.#size; e++) {
      let s = (this.#hash[e] as number) & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = e + 1;
    }
    this.#slots = slots;
  }
}
