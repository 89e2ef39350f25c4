/** The probe routes and the fallback both services mount (services/http/probes.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { addFallback, addProbes } from "../../../services/http/probes.ts";

test("/healthz, /readyz with its reason, 405 on a known path, 404 elsewhere", async () => {
  let reason: string | null = "replaying the log";
  const app = new Hono();
  app.get("/metrics", (c) => c.text("m\n"));
  addProbes(app, { notReadyReason: () => reason });
  addFallback(app, ["/metrics"]);

  const get = async (path: string, method = "GET") => {
    const res = await app.request(path, { method });
    return { status: res.status, body: await res.text(), allow: res.headers.get("allow") };
  };
  assert.deepEqual(await get("/healthz"), { status: 200, body: "ok\n", allow: null });
  assert.deepEqual(await get("/readyz"), {
    status: 503,
    body: "not ready: replaying the log\n",
    allow: null,
  });
  reason = null;
  assert.deepEqual(await get("/readyz"), { status: 200, body: "ready\n", allow: null });
  for (const path of ["/metrics", "/healthz", "/readyz"]) {
    assert.deepEqual(await get(path, "POST"), {
      status: 405,
      body: "method not allowed\n",
      allow: "GET, HEAD",
    });
  }
  assert.deepEqual(await get("/other"), { status: 404, body: "not found\n", allow: null });
  assert.deepEqual(await get("/other", "DELETE"), { status: 404, body: "not found\n", allow: null });
});
