/**
 * The state the metrics are rendered from: per test, everything the five metrics need and
 * nothing more. It is a function of the set of distinct valid events (see apply.ts).
 */
import type { Result } from "../../contract/index.ts";
import { RunIdSet } from "./run-ids.ts";

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

export interface TestState {
  readonly test: string;
  /** The test's number in State.runIds. */
  readonly id: number;
  readonly results: Record<Result, number>;
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  readonly buckets: number[];
  /** Sum of durations in integer milliseconds: exact whatever the order of events. */
  durationSumMs: number;
  score: Latest<number>;
  rtoSeconds: Latest<number> | null;
  backupAgeMs: Latest<number> | null;
  /** Bumped on every change, so a view can re-render only the tests that changed. */
  revision: number;
}

export interface State {
  readonly tests: Map<string, TestState>;
  /** Every (test, runId) applied: the dedupe set. */
  readonly runIds: RunIdSet;
  /** Bumped on every change to any test. */
  revision: number;
}

export function createState(): State {
  return { tests: new Map(), runIds: new RunIdSet(), revision: 0 };
}
