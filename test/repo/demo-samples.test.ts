/**
 * `make demo` is a newcomer's first look: its sample data must not set off the service's
 * warning about one test name with several identities (namespace, cluster), and should still
 * show both writer versions (v1 without a cluster, v2 with one) and every result.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sampleRuns } from "../../tools/demo/samples.ts";

describe("the demo's sample runs", () => {
  const runs = sampleRuns();

  it("give each test name one identity, so the service has no name collision to warn about", () => {
    const identities = new Map<string, Set<string>>();
    for (const run of runs) {
      const seen = identities.get(run.test) ?? new Set<string>();
      seen.add(JSON.stringify([run.namespace, run.cluster]));
      identities.set(run.test, seen);
    }
    const shared = [...identities].filter(([, seen]) => seen.size > 1).map(([name]) => name);
    assert.deepEqual(shared, []);
    assert.equal(identities.size, 4);
  });

  it("come from v1 and v2 writers and hold every result", () => {
    assert.ok(runs.some((r) => r.cluster === null));
    assert.ok(runs.some((r) => r.cluster !== null));
    assert.deepEqual([...new Set(runs.map((r) => r.result))].sort(), ["fail", "partial", "pass"]);
    assert.equal(new Set(runs.map((r) => r.runId)).size, runs.length, "run ids are distinct");
  });
});
