/**
 * A test's identity is (name, namespace, cluster): the state keeps each apart, whatever the view
 * then merges. Found through the name's short list, so a run costs one Map lookup by the name
 * string the facts reader hands back (the same string object for every run of the test).
 */
import { DURATION_BUCKETS_SECONDS, type Identity, type State } from "./state.ts";

function newIdentity(name: string, namespace: string, cluster: string, id: number): Identity {
  return {
    name,
    namespace,
    cluster,
    id,
    results: { pass: 0, fail: 0, partial: 0 },
    buckets: new Array<number>(DURATION_BUCKETS_SECONDS.length + 1).fill(0),
    durationSumMs: 0,
    score: { completedAt: Number.NEGATIVE_INFINITY, entry: -1, value: 0 },
    rtoSeconds: null,
    rtoTargetSeconds: null,
    backupAgeMs: null,
    retiredAt: Number.NEGATIVE_INFINITY,
    runs: 0,
    earliest: Number.POSITIVE_INFINITY,
    hasRuns: false,
    revision: 0,
  };
}

/** The identity (name, namespace, cluster), made on first sight. */
export function identityOf(state: State, name: string, namespace: string, cluster: string): Identity {
  let list = state.byName.get(name);
  if (list === undefined) {
    list = [];
    state.byName.set(name, list);
  }
  for (let i = 0; i < list.length; i++) {
    const known = list[i] as Identity;
    if (known.namespace === namespace && known.cluster === cluster) return known;
  }
  const made = newIdentity(name, namespace, cluster, state.identities.length);
  list.push(made);
  state.identities.push(made);
  return made;
}

/** Notes that `identity` has runs: its name collides once a second identity of it has. */
export function markRuns(state: State, identity: Identity): void {
  if (identity.hasRuns) return;
  identity.hasRuns = true;
  let withRuns = 0;
  for (const other of state.byName.get(identity.name) as Identity[]) if (other.hasRuns) withRuns += 1;
  if (withRuns === 2) {
    state.collidingNames += 1;
    state.newCollisions.push(identity.name);
  }
}
