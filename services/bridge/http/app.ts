/**
 * The bridge's HTTP routes: /metrics (its own metrics), /healthz (the process lives), /readyz
 * (listed and watching, and Kafka answers). GET and HEAD only.
 */
import { Hono } from "hono";
import type { Registry } from "prom-client";
import { addFallback, addProbes, type Readiness } from "../../http/probes.ts";

export function createBridgeApp(registry: Registry, readiness: Readiness): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) =>
    c.body(await registry.metrics(), 200, {
      "content-type": registry.contentType,
      "cache-control": "no-store",
    }),
  );
  addProbes(app, readiness);
  addFallback(app, ["/metrics"]);
  return app;
}
