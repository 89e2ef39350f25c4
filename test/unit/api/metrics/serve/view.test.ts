import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { Counter, Gauge } from "prom-client";
import { apply, createState } from "../../../../../services/api/core/index.ts";
import { createDomainView } from "../../../../../services/api/metrics/render/domain.ts";
import { escapeLabel, formatMillisAsSeconds } from "../../../../../services/api/metrics/render/format.ts";
import { createSelfMetrics } from "../../../../../services/api/metrics/serve/self.ts";
import { createMetricsView, type Exposition } from "../../../../../services/api/metrics/serve/view.ts";
import { factsOf } from "../../../../../services/contract/index.ts";
import { eventually } from "../../../../support/eventually.ts";
import { readMetricsDoc } from "../../../../support/metrics-doc.ts";
import { checkMetrics } from "../../../../support/promtool.ts";
import { run } from "../../../../support/runs.ts";
import { localSnapshots } from "../../../../support/snapshots.ts";

/** The body as a scraper receives it: the parts one after the other, of the length announced. */
function bodyText(e: Exposition): string {
  const body = Buffer.concat(e.parts);
  assert.equal(body.length, e.length);
  return body.toString();
}

/** The project's metrics reference: names, types, HELP texts and buckets the exposition must carry. */
const doc = readMetricsDoc();

function populated() {
  const state = createState();
  apply(state, factsOf(run()));
  apply(state, factsOf(run({ runId: "b", test: 'we"ird\\name\n', rtoSeconds: 0.1, result: "partial" })));
  apply(
    state,
    factsOf(run({ runId: "c", test: "orders-db-validation", rtoSeconds: null, backupCreatedAt: null })),
  );
  return state;
}

/** The whole /metrics view over a state, with the domain families visible. */
function fullView(state = populated(), self = createSelfMetrics()) {
  const { store, renderer } = localSnapshots(state);
  store.publish("text");
  return { view: createMetricsView(store, self), store, renderer, state };
}

function promtoolCheck(text: string) {
  const r = checkMetrics(text);
  return { code: r.code, problems: r.output.trim() };
}

test("the domain exposition passes promtool check metrics", () => {
  const { code, problems } = promtoolCheck(createDomainView(populated()).render("text").toString());
  assert.equal(problems, "");
  assert.equal(code, 0);
});

test("the whole /metrics text passes promtool check metrics, process metrics included", async () => {
  const self = createSelfMetrics();
  // Every own metric with a sample: a labelled one shows no line (and no complaint) until set.
  let families = 0;
  for (const metric of Object.values(self)) {
    if (!(metric instanceof Gauge || metric instanceof Counter)) continue;
    const names = (metric as unknown as { labelNames: readonly string[] }).labelNames;
    metric.inc(Object.fromEntries(names.map((n) => [n, "0"])), 1);
    families += 1;
  }
  assert.ok(families >= 10, `${families} own metrics`);
  const { view } = fullView(populated(), self);
  const text = bodyText(await view.render("text"));
  const { code, problems } = promtoolCheck(text);
  assert.equal(problems, "");
  assert.equal(code, 0);
  // The defaults are there, bar the _total gauges promtool refuses (their by-type gauges stay).
  assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
  assert.match(text, /^# TYPE nodejs_active_handles gauge$/m);
  assert.doesNotMatch(text, /^nodejs_active_\w+_total/m);
});

test("an OpenMetrics scrape leaves the text format's counter names whole", async () => {
  const state = populated();
  const { store } = localSnapshots(state);
  store.publish("text");
  store.publish("openmetrics");
  const self = createSelfMetrics();
  let clock = 0; // the view caches its own metrics for a while: the test moves time on
  const view = createMetricsView(store, self, () => clock);
  self.events.inc({ outcome: "applied" }, 3);
  self.deadLetters.inc({ result: "published" }, 2);
  const open = bodyText(await view.render("openmetrics"));
  assert.match(open, /^# TYPE kymaros_api_events counter$/m);
  assert.match(open, /^kymaros_api_events_total\{outcome="applied"\} 3$/m);
  self.events.inc({ outcome: "applied" }, 1);
  const text = bodyText(await view.render("text"));
  assert.match(text, /^# TYPE kymaros_api_events_total counter$/m);
  assert.match(text, /^kymaros_api_events_total\{outcome="applied"\} 4$/m);
  assert.match(text, /^kymaros_api_dead_letters_total\{result="published"\} 2$/m);
  assert.equal(promtoolCheck(text).problems, "");
  // and the OpenMetrics copy follows the counter
  clock += 3_600_000;
  assert.match(
    bodyText(await view.render("openmetrics")),
    /^kymaros_api_events_total\{outcome="applied"\} 4$/m,
  );
});

test("HELP and TYPE lines are docs/metrics.md's, families in its order", () => {
  const text = createDomainView(populated()).render("text").toString();
  const helps = [...text.matchAll(/^# HELP (\S+) (.*)$/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(
    helps,
    doc.metrics.map((m) => [m.name, m.help]),
  );
  const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(
    types,
    doc.metrics.map((m) => `${m.name} ${m.type}`),
  );
  assert.doesNotMatch(text, /\} \S+ \d+$/m, "no sample carries a timestamp");
});

test("every sample carries exactly the labels docs/metrics.md gives its metric", () => {
  const text = createDomainView(populated()).render("text").toString();
  const samples = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  assert.ok(samples.length > 0);
  for (const line of samples) {
    const m = /^([a-z_]+)\{(.*)\} \S+$/.exec(line);
    assert.ok(m?.[1] && m[2] !== undefined, `unexpected sample line: ${line}`);
    const [name, labels] = [m[1], m[2]];
    const histogram = /_(bucket|sum|count)$/.test(name) ? name.replace(/_(bucket|sum|count)$/, "") : "";
    const spec = doc.metrics.find((d) => d.name === name || d.name === histogram);
    assert.ok(spec, `${name} is not in docs/metrics.md`);
    // Label names outside the quoted values (test names may contain anything, escaped).
    const names = [...labels.matchAll(/([a-z_]+)="(?:[^"\\]|\\.)*"/g)].map((l) => l[1]);
    const expected = name.endsWith("_bucket") ? [...spec.labels, "le"] : spec.labels;
    assert.deepEqual(names, expected, line);
  }
});

test("buckets are exactly docs/metrics.md's bounds and +Inf, cumulative", () => {
  const text = createDomainView(populated()).render("text").toString();
  const les = [
    ...text.matchAll(/kymaros_test_duration_seconds_bucket\{test="my-app-nightly",le="([^"]+)"\} (\d+)/g),
  ];
  assert.deepEqual(
    les.map((m) => m[1]),
    [...doc.buckets.map(String), "+Inf"],
  );
  // One run of 700 s: counted in every bucket from the first bound at or above 700 on.
  assert.deepEqual(
    les.map((m) => Number(m[2])),
    [...doc.buckets, Number.POSITIVE_INFINITY].map((le) => (700 <= le ? 1 : 0)),
  );
});

test("OpenMetrics: family names without _total, samples unchanged, one # EOF at the end", async () => {
  const { view } = fullView();
  const rendered = await view.render("openmetrics");
  const { contentType } = rendered;
  const body = bodyText(rendered);
  assert.match(contentType, /^application\/openmetrics-text; version=1\.0\.0/);
  assert.match(body, /^# TYPE kymaros_tests counter$/m);
  assert.match(body, /^kymaros_tests_total\{test="my-app-nightly",result="pass"\} 1$/m);
  assert.equal(body.match(/^# EOF$/gm)?.length, 1);
  assert.match(body, /# EOF\n?$/);
});

test("the domain view is hidden until the replay caught up", async () => {
  const state = populated();
  const { store } = localSnapshots(state);
  const view = createMetricsView(store, createSelfMetrics());
  const before = bodyText(await view.render("text"));
  assert.doesNotMatch(before, /^(# TYPE )?kymaros_(tests|score)/m);
  assert.match(before, /^# TYPE kymaros_api_events_total counter$/m);
  store.publish("text");
  assert.match(bodyText(await view.render("text")), /^kymaros_score\{test="my-app-nightly"\} 96$/m);
});

test("gzip bodies decode to exactly the plain body", async () => {
  const { view, store } = fullView();
  // The snapshot's gzip is made off the event loop.
  await eventually(async () => (await store.latest("text")).gzip !== null, "the gzip snapshot is made");
  const plain = await view.render("text", false);
  const zipped = await view.render("text", true);
  assert.equal(zipped.gzip, true);
  assert.equal(plain.gzip, false);
  const strip = (t: string) => t.replace(/^(process|nodejs)_.*\n/gm, "");
  assert.equal(strip(gunzipSync(Buffer.concat(zipped.parts)).toString()), strip(bodyText(plain)));
});

test("after a change the snapshot is rebuilt in the background, not on the scrape", async () => {
  const { store, renderer, state } = fullView();
  const first = (await store.latest("text")).plain;
  apply(state, factsOf(run({ runId: "new", completedAt: Date.UTC(2031, 0, 1), score: 3 })));
  renderer.changed();
  assert.equal(
    (await store.latest("text")).plain,
    first,
    "a scrape right after the change gets the previous snapshot",
  );
  await eventually(
    async () => (await store.latest("text")).gzip?.revision === state.revision,
    "the rebuilt snapshot is compressed",
  );
  const next = await store.latest("text");
  assert.equal(next.plain.revision, state.revision);
  assert.match(next.plain.body.toString(), /^kymaros_score\{test="my-app-nightly"\} 3$/m);
  assert.equal(next.gzip?.revision, state.revision, "and compressed");
});

test("the exposition is re-rendered only after the state changed", () => {
  const state = populated();
  const view = createDomainView(state);
  const first = view.render("text").toString();
  assert.equal(view.render("text").toString(), first);
  apply(state, factsOf(run({ runId: "late", completedAt: Date.UTC(2030, 0, 1), score: 7 })));
  assert.match(view.render("text").toString(), /^kymaros_score\{test="my-app-nightly"\} 7$/m);
});

test("label values and exact seconds are rendered as the text format requires", () => {
  assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.equal(formatMillisAsSeconds(28_140_123), "28140.123");
  assert.equal(formatMillisAsSeconds(28_140_000), "28140");
  assert.equal(formatMillisAsSeconds(5), "0.005");
  assert.equal(formatMillisAsSeconds(-1500), "-1.5");
  assert.equal(formatMillisAsSeconds(0), "0");
});
