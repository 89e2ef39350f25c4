import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { apply, createState } from "../../../../services/api/core/index.ts";
import { createApp } from "../../../../services/api/http/app.ts";
import { createSelfMetrics } from "../../../../services/api/metrics/serve/self.ts";
import { createMetricsView } from "../../../../services/api/metrics/serve/view.ts";
import { factsOf } from "../../../../services/contract/index.ts";
import { createLogger } from "../../../../services/log/logger.ts";
import { eventually } from "../../../support/eventually.ts";
import { run } from "../../../support/runs.ts";
import { localSnapshots } from "../../../support/snapshots.ts";

function app(notReady: string | null = null) {
  const state = createState();
  apply(state, factsOf(run()));
  const { store } = localSnapshots(state);
  store.publish("text");
  const view = createMetricsView(store, createSelfMetrics());
  return createApp(
    view,
    { notReadyReason: () => notReady },
    createLogger("error", () => {}),
  );
}

test("GET /metrics serves the text format by default", async () => {
  const res = await app().request("/metrics");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.match(await res.text(), /^kymaros_score\{test="my-app-nightly"\} 96$/m);
});

test("GET /metrics serves OpenMetrics when the scraper asks for it", async () => {
  const accept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75";
  const res = await app().request("/metrics", { headers: { accept } });
  assert.match(res.headers.get("content-type") ?? "", /^application\/openmetrics-text/);
  assert.match(await res.text(), /# EOF\n?$/);
});

test("gzip when the scraper accepts it, as Prometheus does", async () => {
  const a = app();
  // Until the snapshot's gzip is made (off the event loop), a plain body is the answer.
  const gzipped = () => a.request("/metrics", { headers: { "accept-encoding": "gzip" } });
  await eventually(async () => (await gzipped()).headers.get("content-encoding") === "gzip", "a gzip body");
  const res = await gzipped();
  assert.equal(res.headers.get("content-encoding"), "gzip");
  const text = gunzipSync(Buffer.from(await res.arrayBuffer())).toString();
  assert.match(text, /^kymaros_score\{test="my-app-nightly"\} 96$/m);
  const identity = await a.request("/metrics", { headers: { "accept-encoding": "gzip;q=0, identity" } });
  assert.equal(identity.headers.get("content-encoding"), null);
});

test("HEAD answers like GET without a body", async () => {
  const res = await app().request("/metrics", { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
});

test("/healthz is 200 even when not ready; /readyz is 503 with the reason", async () => {
  const a = app("replaying the log");
  assert.equal((await a.request("/healthz")).status, 200);
  const ready = await a.request("/readyz");
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /replaying the log/);
  assert.equal((await app().request("/readyz")).status, 200);
});

test("other methods get 405 with Allow, other paths 404", async () => {
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    const res = await app().request("/metrics", { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
  }
  assert.equal((await app().request("/")).status, 404);
  assert.equal((await app().request("/metrics/extra")).status, 404);
});
