/**
 * The dedupe set of (test, runId) pairs, exact and compact: the runIds' UTF-8 bytes live in one
 * arena outside the JavaScript heap, indexed by an open-addressing table. At 1M runs this takes
 * about half the memory of a Set of strings, and the garbage collector never walks it.
 *
 * runIds are compared as UTF-8 bytes: well-formed strings, as every Avro-decoded string is.
 *
 * Entry layout in the arena: u32 test id, u32 hash, u16 byte length, the bytes.
 */

const HEADER = 10;

function fnv1a(bytes: Uint8Array, length: number, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h >>> 0;
}

export class RunIdSet {
  #arena = Buffer.allocUnsafe(1 << 16);
  #used = 0;
  /** Arena offset + 1 of each entry; 0 marks a free slot. */
  #slots = new Int32Array(1 << 10);
  #size = 0;
  #scratch = Buffer.allocUnsafe(2048);

  get size(): number {
    return this.#size;
  }

  /** Adds the pair; false when it was already there. */
  add(testId: number, runId: string): boolean {
    let length = Buffer.byteLength(runId, "utf8");
    if (length > 0xffff) throw new RangeError("runId longer than 65535 bytes");
    if (length > this.#scratch.length) this.#scratch = Buffer.allocUnsafe(length * 2);
    length = this.#scratch.write(runId, 0, "utf8");
    const hash = fnv1a(this.#scratch, length, testId);
    const arena = this.#arena;
    const mask = this.#slots.length - 1;
    let i = hash & mask;
    for (;;) {
      const slot = this.#slots[i] as number;
      if (slot === 0) break;
      const at = slot - 1;
      if (
        arena.readUInt32LE(at + 4) === hash &&
        arena.readUInt32LE(at) === testId &&
        arena.readUInt16LE(at + 8) === length &&
        arena.compare(this.#scratch, 0, length, at + HEADER, at + HEADER + length) === 0
      ) {
        return false;
      }
      i = (i + 1) & mask;
    }
    this.#append(i, testId, hash, length);
    return true;
  }

  #append(slotIndex: number, testId: number, hash: number, length: number): void {
    const need = this.#used + HEADER + length;
    if (need > this.#arena.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.#arena.length * 2));
      this.#arena.copy(grown, 0, 0, this.#used);
      this.#arena = grown;
    }
    const at = this.#used;
    this.#arena.writeUInt32LE(testId, at);
    this.#arena.writeUInt32LE(hash, at + 4);
    this.#arena.writeUInt16LE(length, at + 8);
    this.#scratch.copy(this.#arena, at + HEADER, 0, length);
    this.#used = need;
    this.#slots[slotIndex] = at + 1;
    this.#size += 1;
    if (this.#size * 2 > this.#slots.length) this.#rehash();
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (const slot of this.#slots) {
      if (slot === 0) continue;
      let i = this.#arena.readUInt32LE(slot - 1 + 4) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = slot;
    }
    this.#slots = slots;
  }
}
