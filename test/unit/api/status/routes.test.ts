/**
 * The status routes on the app: read-only, a CSP on every answer, hostile test names rendered
 * as text, and the JSON API filtering like the page.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { apply, createState } from "../../../../services/api/core/index.ts";
import { createApp } from "../../../../services/api/http/app.ts";
import { createDomainView } from "../../../../services/api/metrics/render/domain.ts";
import { createSelfMetrics } from "../../../../services/api/metrics/serve/self.ts";
import { createMetricsView } from "../../../../services/api/metrics/serve/view.ts";
import { createRecent } from "../../../../services/api/status/recent.ts";
import { CONTENT_SECURITY_POLICY } from "../../../../services/api/status/routes.tsx";
import { createTestsTable, type TestsPage } from "../../../../services/api/status/tests.ts";
import { factsOf } from "../../../../services/contract/index.ts";
import { createLogger } from "../../../../services/log/logger.ts";
import { eventually } from "../../../support/eventually.ts";
import { run } from "../../../support/runs.ts";
import { localSnapshots } from "../../../support/snapshots.ts";

export const HOSTILE = [
  "<script>alert(1)</script>",
  `"'><img src=x onerror=alert(1)>`,
  "&amp; &lt;b&gt; </td></tr>",
  `ünïcødé-テスト-😀-\u202eevil`,
  `long-${"x".repeat(240)}`,
];

async function app() {
  const state = createState();
  for (const [i, name] of HOSTILE.entries()) {
    const result = i % 2 ? "fail" : "pass";
    apply(state, factsOf(run({ runId: `r${i}`, test: name, result, score: 50 + i })));
  }
  const { store } = localSnapshots(state);
  const rows = createDomainView(state);
  store.publish("text");
  const metrics = createSelfMetrics();
  const recent = createRecent();
  recent.deadLetter({ topic: "t", partition: 2, offset: "41", reason: "undecodable" });
  const live = { notReadyReason: () => null, caughtUp: () => true, connected: () => true };
  const a = createApp(
    createMetricsView(store, metrics),
    live,
    createLogger("error", () => {}),
    {
      table: createTestsTable({ latestRows: () => ({ revision: state.revision, rows: rows.rows() }) }),
      parts: { metrics, live, recent, shard: { index: 0, total: 1 } },
    },
  );
  await eventually(async () => (await a.request("/metrics")).status === 200, "the first snapshot");
  return a;
}

/** The text content of the test-name cells, unescaped as a browser would. */
function names(html: string): string[] {
  const decode = (s: string) =>
    s
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
  return [...html.matchAll(/<th scope="row" class="name">([^<]*)</g)].map((m) => decode(m[1] as string));
}

test("hostile test names are text in the page and exact in the API", async () => {
  const a = await app();
  const res = await a.request("/?per=10");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.doesNotMatch(html, /<script|<img/);
  assert.deepEqual(new Set(names(html)), new Set(HOSTILE));
  const api = (await (await a.request("/api/v1/tests")).json()) as TestsPage;
  assert.deepEqual(new Set(api.rows.map((r) => r.test)), new Set(HOSTILE));
});

test("every status answer carries the CSP, and only GET and HEAD are allowed", async () => {
  const a = await app();
  for (const path of ["/", "/api/v1/tests", "/api/v1/status", "/status.css", "/favicon.svg"]) {
    const res = await a.request(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY, path);
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const refused = await a.request(path, { method });
      assert.equal(refused.status, 405, `${method} ${path}`);
      assert.equal(refused.headers.get("allow"), "GET, HEAD");
    }
  }
  const head = await a.request("/", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
  assert.equal((await head.text()).length, 0);
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
});

test("the API filters by result and name; a bad parameter is a 400 naming it", async () => {
  const a = await app();
  const failing = (await (await a.request("/api/v1/tests?result=fail")).json()) as TestsPage;
  assert.deepEqual(failing.rows.map((r) => r.test).sort(), HOSTILE.filter((_, i) => i % 2).sort());
  const named = (await (
    await a.request(`/api/v1/tests?test=${encodeURIComponent("テスト")}`)
  ).json()) as TestsPage;
  assert.deepEqual(
    named.rows.map((r) => r.test),
    [HOSTILE[3]],
  );
  const bad = await a.request("/api/v1/tests?result=maybe");
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /result must be one of pass, fail, partial/);
});

test("the status API shows the last dead letters by place and reason", async () => {
  const a = await app();
  const status = (await (await a.request("/api/v1/status")).json()) as {
    deadLetters: { recent: { partition: number; offset: string; reason: string }[] };
    shard: { index: number; total: number };
  };
  assert.deepEqual(
    status.deadLetters.recent.map(({ partition, offset, reason }) => ({ partition, offset, reason })),
    [{ partition: 2, offset: "41", reason: "undecodable" }],
  );
  assert.deepEqual(status.shard, { index: 0, total: 1 });
});
