/** The two profiles: full (make reliability) and ci (make reliability-ci, a few minutes). */

export interface Profile {
  name: "full" | "ci";
  crash: {
    trials: number;
    lanes: number;
    initialEvents: number;
    /** Events added to the log before each kill during replay. */
    replayBatch: number;
    liveEventsPerSecond: number;
    tests: number;
  };
  outage: { seconds: number; initialEvents: number; liveEventsPerSecond: number; tests: number };
  duplicates: { distinct: number; tests: number; duplicateShare: number };
  /** `flood` of the `hostile` messages are small garbage in a row, in one partition. */
  fuzz: { hostile: number; validBetween: number; flood: number };
  scrape: { clients: number; seconds: number; tests: number; liveEventsPerSecond: number };
}

export const PROFILES: Record<Profile["name"], Profile> = {
  full: {
    name: "full",
    crash: {
      trials: 40,
      lanes: 4,
      initialEvents: 100_000,
      replayBatch: 20_000,
      liveEventsPerSecond: 2000,
      tests: 500,
    },
    outage: { seconds: 30, initialEvents: 20_000, liveEventsPerSecond: 500, tests: 200 },
    duplicates: { distinct: 200_000, tests: 2000, duplicateShare: 0.3 },
    fuzz: { hostile: 15_000, validBetween: 3, flood: 12_000 },
    scrape: { clients: 200, seconds: 60, tests: 1000, liveEventsPerSecond: 1000 },
  },
  ci: {
    name: "ci",
    crash: {
      trials: 20,
      lanes: 4,
      initialEvents: 5000,
      replayBatch: 2000,
      liveEventsPerSecond: 1000,
      tests: 100,
    },
    // Longer than the service's 6 s contact timeout, so /readyz has to show the outage.
    outage: { seconds: 20, initialEvents: 5000, liveEventsPerSecond: 300, tests: 100 },
    duplicates: { distinct: 30_000, tests: 500, duplicateShare: 0.3 },
    fuzz: { hostile: 6600, validBetween: 3, flood: 6000 },
    scrape: { clients: 50, seconds: 10, tests: 300, liveEventsPerSecond: 500 },
  },
};
