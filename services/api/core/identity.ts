/**
 * A test's identity is (name, namespace, cluster): the state keeps each apart, whatever the view
 * then merges. Found through the name's short list, so a run costs one Map lookup by the name
 * string the facts reader hands back (the same string object for every run of the test).
 */
import { DURATION_BUCKETS_SECONDS, type State, type TestState } from "./state.ts";

function newTest(test: string, namespace: string, cluster: string, id: number): TestState {
  return {
    test,
    namespace,
    cluster,
    id,
    results: { pass: 0, fail: 0, partial: 0 },
    buckets: new Array<number>(DURATION_BUCKETS_SECONDS.length + 1).fill(0),
    durationSumMs: 0,
    score: { completedAt: Number.NEGATIVE_INFINITY, entry: -1, value: 0 },
    rtoSeconds: null,
    backupAgeMs: null,
    retiredAt: Number.NEGATIVE_INFINITY,
    runs: 0,
    earliest: Number.POSITIVE_INFINITY,
    hasRuns: false,
    revision: 0,
  };
}

/** The identity's state, made on first sight. */
export function identity(state: State, test: string, namespace: string, cluster: string): TestState {
  let list = state.tests.get(test);
  if (list === undefined) {
    list = [];
    state.tests.set(test, list);
  }
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as TestState;
    if (t.namespace === namespace && t.cluster === cluster) return t;
  }
  const t = newTest(test, namespace, cluster, state.identities.length);
  list.push(t);
  state.identities.push(t);
  return t;
}

/** Notes that `t` has runs: its name collides once a second identity of it has. */
export function markRuns(state: State, t: TestState): void {
  if (t.hasRuns) return;
  t.hasRuns = true;
  let withRuns = 0;
  for (const other of state.tests.get(t.test) as TestState[]) if (other.hasRuns) withRuns += 1;
  if (withRuns === 2) {
    state.collidingNames += 1;
    state.newCollisions.push(t.test);
  }
}
