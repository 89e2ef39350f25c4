/** What every part of the suite gets and returns. */
import type { Profile } from "./profile.ts";
import type { Random } from "./support/random.ts";

export interface PartContext {
  profile: Profile;
  /** The shared broker (KYMAROS_KAFKA_BROKERS or the local one). */
  brokers: string[];
  random: Random;
  /** A name no other run of the suite uses. */
  unique(prefix: string): string;
  log(message: string): void;
}

export interface PartResult {
  /** One figure per line of the table. */
  figures: string[];
  /** Every guarantee that broke, with what was seen; empty means PASS. */
  failures: string[];
}

export type Part = (ctx: PartContext) => Promise<PartResult>;
