/**
 * The 32-bit hash of byte strings for the open-addressing tables on the per-event path (test
 * names in facts.ts, runIds in core/run-ids.ts): FNV-1a over the bytes, then murmur3's
 * finaliser. FNV-1a alone leaves keys that differ only in a few characters (app-00001-nightly,
 * or runIds differing in their last digits) in runs of neighbouring slots, and linear probing
 * then walks those runs on every lookup.
 *
 * The byte loop is left to the callers (one Math.imul per byte, inline in their loops).
 */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

export function mix32(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
