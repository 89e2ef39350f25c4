/**
 * The state the metrics are rendered from: per test identity (name, namespace, cluster),
 * everything the five metrics need for its current life, and nothing more. It is a function of
 * the set of distinct valid events (see apply.ts and retire.ts).
 */
import type { Result } from "../../contract/index.ts";
import { RunIdSet } from "./run-ids.ts";
import { RunLog } from "./run-log.ts";

/** Upper bounds of kymaros_test_duration_seconds, in seconds, from the metrics reference. */
export const DURATION_BUCKETS_SECONDS = [60, 120, 240, 480, 960, 1920, 3840, 7680] as const;

/**
 * The latest run of a test for one gauge, updated in place: one object per test and gauge, not
 * one per event. Runs are ordered by completedAt, ties broken by the greater runId; the runId is
 * kept as its entry in State.runIds, and read back only on a tie.
 */
export interface Latest<T> {
  completedAt: number;
  entry: number;
  value: T;
}

/**
 * One test identity and what its current life counts. Tests are namespaced (and with schema v2
 * runs, clustered): two tests of one name in two namespaces are two identities, which the view
 * merges or keeps apart.
 */
export interface Identity {
  /** The test's name (the RestoreTest's, the `test` label). */
  readonly name: string;
  readonly namespace: string;
  /** "" when its runs carry none. */
  readonly cluster: string;
  /** The identity's number in State.runIds (and its index in State.identities). */
  readonly id: number;
  /** Counts of the current life's runs (those completed after retiredAt). */
  readonly results: Record<Result, number>;
  /**
   * Per-bucket (not cumulative) counts of the runs with a duration; the last slot is +Inf. A run
   * whose start is not known counts in results, not here.
   */
  readonly buckets: number[];
  /** Sum of those durations in integer milliseconds: exact whatever the order of events. */
  durationSumMs: number;
  /** The current life's latest run; completedAt is -Infinity while the life has none. */
  score: Latest<number>;
  rtoSeconds: Latest<number> | null;
  /** The target carried by the run rtoSeconds is from (null when that run carried none). */
  rtoTargetSeconds: number | null;
  backupAgeMs: Latest<number> | null;
  /** The greatest retiredAt applied; -Infinity while never retired. */
  retiredAt: number;
  /** Runs counted in the current life: 0 means the identity has no series. */
  runs: number;
  /** The earliest completedAt among them (+Infinity when none): a retirement before it changes nothing. */
  earliest: number;
  /** Whether any run of it was ever applied (a retirement alone makes no name collision). */
  hasRuns: boolean;
  /** Bumped on every change, so a view can re-render only the tests that changed. */
  revision: number;
}

export interface State {
  /** The identities of each test name, usually one. */
  readonly byName: Map<string, Identity[]>;
  /** Every identity, by id (the order they were first seen). */
  readonly identities: Identity[];
  /** Every (identity, runId) applied: the dedupe set. */
  readonly runIds: RunIdSet;
  /** What a retirement needs to recount a life, per entry of runIds. */
  readonly runLog: RunLog;
  /** Identities retired with no run since: no series. */
  retiredTests: number;
  /** Test names carried by runs of more than one identity. */
  collidingNames: number;
  /** Names that became colliding since the caller last emptied this (to report each once). */
  readonly newCollisions: string[];
  /** Bumped on every change to any test. */
  revision: number;
}

export function createState(): State {
  return {
    byName: new Map(),
    identities: [],
    runIds: new RunIdSet(),
    runLog: new RunLog(),
    retiredTests: 0,
    collidingNames: 0,
    newCollisions: [],
    revision: 0,
  };
}

/** Whether the identity was retired and has no run in a new life: it shows no series. */
export function isRetired(t: Identity): boolean {
  return t.runs === 0 && t.retiredAt !== Number.NEGATIVE_INFINITY;
}
