/**
 * What the status page tells about the last refusals and name collisions, which no metric
 * carries by item: kept on the main thread as the batch handler learns of them, bounded. A dead
 * letter is kept by where it lies and why (topic, partition, offset, reason), never its bytes.
 */
import type { RejectReason } from "../ingest/index.ts";
import type { NameCollision } from "../worker/protocol.ts";

export interface RecentDeadLetter {
  topic: string;
  partition: number;
  offset: string;
  reason: RejectReason;
  /** When this instance refused it (RFC 3339). */
  at: string;
}

export interface Recent {
  deadLetter(letter: Omit<RecentDeadLetter, "at">): void;
  collision(collision: NameCollision): void;
  /** Newest first. */
  deadLetters(): RecentDeadLetter[];
  /** The names this instance saw become colliding, in the order seen (the first MAX_COLLISIONS). */
  collisions(): NameCollision[];
}

export const MAX_DEAD_LETTERS = 20;
export const MAX_COLLISIONS = 100;

export function createRecent(now: () => number = Date.now): Recent {
  const letters: RecentDeadLetter[] = [];
  const collisions: NameCollision[] = [];
  return {
    deadLetter(letter) {
      letters.unshift({ ...letter, at: new Date(now()).toISOString() });
      if (letters.length > MAX_DEAD_LETTERS) letters.pop();
    },
    collision(collision) {
      if (collisions.length < MAX_COLLISIONS) collisions.push({ ...collision });
    },
    deadLetters: () => [...letters],
    collisions: () => [...collisions],
  };
}
