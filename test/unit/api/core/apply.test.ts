import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { apply, createState, retire, type State } from "../../../../services/api/core/index.ts";
import { createDomainView } from "../../../../services/api/metrics/render/domain.ts";
import type { IdentityLabels } from "../../../../services/api/metrics/render/identity-labels.ts";
import {
  createCodec,
  createFactsReader,
  factsOf,
  type RunCompleted,
  retirementFactsOf,
  type TestRetired,
} from "../../../../services/contract/index.ts";
import { domainSamples } from "../../../support/exposition.ts";
import { expectedSamples, numericSamples } from "../../../support/model.ts";
import { distinctEventsArb, distinctLogArb, retirement, run } from "../../../support/runs.ts";

type Event = RunCompleted | TestRetired;
const isRun = (e: Event): e is RunCompleted => "runId" in e;

function applyEvent(state: State, e: Event): void {
  if (isRun(e)) apply(state, factsOf(e));
  else retire(state, retirementFactsOf(e));
}

function render(log: readonly Event[], labels: IdentityLabels = "test"): string {
  const state = createState();
  const view = createDomainView(state, labels);
  for (const e of log) applyEvent(state, e);
  return view.render("text").toString();
}

/** A permutation of the log with some events repeated (exact copies, as a redelivery makes). */
const shuffledWithDuplicates = <T extends Event>(log: T[]) =>
  fc
    .tuple(fc.array(fc.nat({ max: log.length - 1 }), { maxLength: log.length }), fc.infiniteStream(fc.nat()))
    .map(([dupIdx, rnd]) => {
      const all = [...log, ...dupIdx.map((i) => ({ ...(log[i] as T) }))];
      // Fisher-Yates driven by the generated stream, so fast-check can shrink it.
      const it = rnd[Symbol.iterator]();
      for (let i = all.length - 1; i > 0; i--) {
        const j = (it.next().value as number) % (i + 1);
        [all[i], all[j]] = [all[j] as T, all[i] as T];
      }
      return all;
    });

const LABELS: IdentityLabels[] = ["test", "namespace", "cluster"];

/**
 * The log with some runs' start not known, as the bridge publishes a restore that failed
 * outright: startedAtKnown false, startedAt = completedAt or left as an earlier bound.
 */
function someStartsUnknown<T extends Event>(log: readonly T[]): fc.Arbitrary<T[]> {
  return fc
    .array(fc.constantFrom("known", "known", "at-completion", "bound"), {
      minLength: log.length,
      maxLength: log.length,
    })
    .map((how) =>
      log.map((e, i) => {
        if (!isRun(e) || how[i] === "known") return e;
        const startedAt = how[i] === "at-completion" ? e.completedAt : e.startedAt;
        return { ...e, startedAt, startedAtKnown: false };
      }),
    );
}
const eventsArb = distinctEventsArb.chain(([runs, retirements]) =>
  fc.tuple(someStartsUnknown(runs), fc.constant(retirements)),
);
const logArb = distinctLogArb.chain(someStartsUnknown);

test("any permutation and duplication of runs and retirements renders byte-identical output, equal to the model", () => {
  fc.assert(
    fc.property(
      eventsArb.chain(([runs, retirements]) =>
        fc.tuple(
          fc.constant(runs),
          fc.constant(retirements),
          shuffledWithDuplicates<Event>([...runs, ...retirements]),
          fc.constantFrom(...LABELS),
        ),
      ),
      ([runs, retirements, shuffled, labels]) => {
        // Runs first, then retirements in the order given: one order among all.
        const text = render(shuffled, labels);
        assert.equal(text, render([...runs, ...retirements], labels));
        assert.equal(text, render([...[...retirements].reverse(), ...runs], labels));
        assert.deepEqual(numericSamples(domainSamples(text)), expectedSamples(runs, retirements, labels));
      },
    ),
    { numRuns: 400 },
  );
});

test("any permutation and duplication of the log renders byte-identical domain metrics", () => {
  fc.assert(
    fc.property(
      logArb.chain((log) => fc.tuple(fc.constant(log), shuffledWithDuplicates(log))),
      ([log, shuffled]) => {
        assert.equal(render(shuffled), render(log));
      },
    ),
    { numRuns: 300 },
  );
});

test("runs read in place (runIds as bytes) and decoded runs make the same state, mixed in any order", () => {
  const codec = createCodec();
  const read = createFactsReader(codec);
  // Some runIds carry their test's name as a prefix (as RestoreReport names do), some are not ASCII.
  const inPlaceLogArb = logArb.chain((log) =>
    fc
      .tuple(
        fc.array(fc.constantFrom("keep", "prefix", "accent"), {
          minLength: log.length,
          maxLength: log.length,
        }),
      )
      .map(([how]) => {
        const seen = new Set<string>();
        return log
          .map((r, i) => {
            const runId =
              how[i] === "prefix" ? `${r.test}-${r.runId}` : how[i] === "accent" ? `${r.runId}é` : r.runId;
            return { ...r, runId };
          })
          .filter((r) => !seen.has(`${r.test}/${r.runId}`) && seen.add(`${r.test}/${r.runId}`) !== undefined);
      }),
  );
  fc.assert(
    fc.property(
      inPlaceLogArb.chain((log) =>
        fc.tuple(fc.constant(log), shuffledWithDuplicates(log), fc.infiniteStream(fc.boolean())),
      ),
      ([log, shuffled, inPlace]) => {
        const state = createState();
        const view = createDomainView(state);
        const paths = inPlace[Symbol.iterator]();
        for (const r of shuffled) {
          if (paths.next().value) {
            const bytes = Buffer.concat([Buffer.from("xx"), codec.encode(r), Buffer.from("yy")]);
            const facts = read(bytes, 2, bytes.length - 2);
            assert.equal(facts.kind, "run");
            if (facts.kind === "run") apply(state, facts);
          } else {
            apply(state, factsOf(r));
          }
        }
        assert.equal(view.render("text").toString(), render(log));
      },
    ),
    { numRuns: 300 },
  );
});

test("every rendered value equals the independent model of the distinct runs", () => {
  fc.assert(
    fc.property(logArb, fc.constantFrom(...LABELS), (log, labels) => {
      assert.deepEqual(numericSamples(domainSamples(render(log, labels))), expectedSamples(log, [], labels));
    }),
    { numRuns: 300 },
  );
});

test("apply reports duplicates by (test, runId) and changes nothing for them", () => {
  const state = createState();
  const view = createDomainView(state);
  assert.equal(apply(state, factsOf(run({ runId: "a" }))), "applied");
  const before = view.render("text").toString();
  const revision = state.revision;
  assert.equal(apply(state, factsOf(run({ runId: "a", score: 10, result: "fail" }))), "duplicate");
  assert.equal(state.revision, revision);
  assert.equal(view.render("text").toString(), before);
  // The same runId under another test is another run.
  assert.equal(apply(state, factsOf(run({ runId: "a", test: "other" }))), "applied");
});

test("all three result series exist from a test's first event", () => {
  const samples = domainSamples(render([run({ result: "fail" })]));
  assert.equal(samples.get('kymaros_tests_total{test="my-app-nightly",result="pass"}'), "0");
  assert.equal(samples.get('kymaros_tests_total{test="my-app-nightly",result="fail"}'), "1");
  assert.equal(samples.get('kymaros_tests_total{test="my-app-nightly",result="partial"}'), "0");
});

test("gauges follow the latest run by completedAt, not the last to arrive", () => {
  const newer = run({ runId: "b", startedAt: 2_000_000, completedAt: 3_000_000, score: 42 });
  const older = run({ runId: "a", startedAt: 1_000_000, completedAt: 1_500_000, score: 96 });
  const samples = domainSamples(render([newer, older]));
  assert.equal(samples.get('kymaros_score{test="my-app-nightly"}'), "42");
  // Ties on completedAt: the greatest runId wins.
  const tie = domainSamples(render([run({ runId: "b", score: 1 }), run({ runId: "a", score: 2 })]));
  assert.equal(tie.get('kymaros_score{test="my-app-nightly"}'), "1");
});

test("RTO and backup age follow the latest run that carries them", () => {
  const carries = run({
    runId: "a",
    startedAt: 1_000_000,
    completedAt: 2_000_000,
    rtoSeconds: 1105,
    backupCreatedAt: 982_000,
  });
  const lacks = run({
    runId: "b",
    startedAt: 3_000_000,
    completedAt: 4_000_000,
    rtoSeconds: null,
    backupCreatedAt: null,
  });
  const samples = domainSamples(render([carries, lacks]));
  assert.equal(samples.get('kymaros_rto_seconds{test="my-app-nightly"}'), "1105");
  assert.equal(samples.get('kymaros_backup_age_seconds{test="my-app-nightly"}'), "18");
});

test("a test whose runs never carry RTO or backup has no such series", () => {
  const samples = domainSamples(render([run({ rtoSeconds: null, backupCreatedAt: null })]));
  assert.equal(samples.has('kymaros_rto_seconds{test="my-app-nightly"}'), false);
  assert.equal(samples.has('kymaros_backup_age_seconds{test="my-app-nightly"}'), false);
});

test("histogram sums stay exact over many fractional durations", () => {
  // 0.1 s added 1000 times in floating point is not 100; in integer milliseconds it is.
  const log = Array.from({ length: 1000 }, (_, i) => run({ runId: `r${i}`, startedAt: 0, completedAt: 100 }));
  const samples = domainSamples(render(log));
  assert.equal(samples.get('kymaros_test_duration_seconds_sum{test="my-app-nightly"}'), "100");
  assert.equal(samples.get('kymaros_test_duration_seconds_bucket{test="my-app-nightly",le="60"}'), "1000");
});

test("a run whose start is not known counts and sets the score, but is not observed in the histogram", () => {
  const known = run({ runId: "a", startedAt: 0, completedAt: 100_000, score: 96 });
  // Later, and with startedAt an hour before: still no duration.
  const unknown = run({
    runId: "b",
    result: "fail",
    score: 0,
    startedAt: 200_000,
    completedAt: 3_800_000,
    startedAtKnown: false,
  });
  const samples = domainSamples(render([known, unknown]));
  const s = (name: string) => samples.get(name.replace("{", '{test="my-app-nightly"'));
  assert.equal(s('kymaros_tests_total{,result="pass"}'), "1");
  assert.equal(s('kymaros_tests_total{,result="fail"}'), "1");
  assert.equal(s("kymaros_score{}"), "0");
  assert.equal(s("kymaros_test_duration_seconds_count{}"), "1");
  assert.equal(s("kymaros_test_duration_seconds_sum{}"), "100");
  assert.equal(s('kymaros_test_duration_seconds_bucket{,le="60"}'), "0");
  assert.equal(s('kymaros_test_duration_seconds_bucket{,le="120"}'), "1");
  assert.equal(s('kymaros_test_duration_seconds_bucket{,le="7680"}'), "1");
  // Backup age is taken from startedAt all the same.
  assert.equal(s("kymaros_backup_age_seconds{}"), "14412");
});

test("a retirement among runs whose start is not known recounts them without a duration", () => {
  const log = [
    run({ runId: "a", startedAt: 0, completedAt: 100_000 }),
    run({ runId: "b", startedAt: 300_000, completedAt: 300_000, startedAtKnown: false }),
    run({ runId: "c", startedAt: 400_000, completedAt: 500_000 }),
    run({ runId: "d", startedAt: 600_000, completedAt: 900_000, startedAtKnown: false }),
  ];
  // Retired between a and b: b, c and d count, and only c (100 s) is observed.
  const retired = retirement({ retiredAt: 200_000 });
  const samples = domainSamples(render([...log, retired]));
  assert.equal(samples.get('kymaros_tests_total{test="my-app-nightly",result="pass"}'), "3");
  assert.equal(samples.get('kymaros_test_duration_seconds_count{test="my-app-nightly"}'), "1");
  assert.equal(samples.get('kymaros_test_duration_seconds_sum{test="my-app-nightly"}'), "100");
});

test("bucket bounds are inclusive: exactly 60 s falls in le=60, 60.001 s does not", () => {
  const samples = domainSamples(
    render([
      run({ runId: "a", startedAt: 0, completedAt: 60_000 }),
      run({ runId: "b", startedAt: 0, completedAt: 60_001 }),
    ]),
  );
  assert.equal(samples.get('kymaros_test_duration_seconds_bucket{test="my-app-nightly",le="60"}'), "1");
  assert.equal(samples.get('kymaros_test_duration_seconds_bucket{test="my-app-nightly",le="120"}'), "2");
  assert.equal(samples.get('kymaros_test_duration_seconds_sum{test="my-app-nightly"}'), "120.001");
});

test("series come in JavaScript string order of (test, namespace, cluster), whatever escaping does", () => {
  const names = ["a b", "a\tb", 'a"b', "a\\b", "a", "ä", "Z"];
  const log = names.flatMap((test, i) => [
    run({ runId: `r${i}`, test, namespace: "x" }),
    run({ runId: `s${i}`, test, namespace: "a\tz" }),
    run({ runId: `t${i}`, test, namespace: "a z" }),
  ]);
  const order = (text: string) =>
    text
      .split("\n")
      .filter((l) => l.startsWith("kymaros_score{"))
      .map((l) => l.slice(0, l.lastIndexOf(" ")));
  const byTest = order(render(log));
  const expected = [...names]
    .sort()
    .map((t) => `kymaros_score{test="${t.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"}`);
  assert.deepEqual(byTest, expected);
  const byNamespace = order(render(log, "namespace"));
  assert.equal(byNamespace.length, names.length * 3);
  const keys = byNamespace.map((l) => l);
  const expectedNs = [...names]
    .sort()
    .flatMap((t) => ["a\tz", "a z", "x"].sort().map((ns) => [t, ns]))
    .map(
      ([t, ns]) =>
        `kymaros_score{test="${(t as string).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}",test_namespace="${ns}"}`,
    );
  assert.deepEqual(keys, expectedNs);
});
