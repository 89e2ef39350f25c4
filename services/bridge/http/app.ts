/**
 * The bridge's HTTP routes: /metrics (its own metrics), /healthz (the process lives), /readyz
 * (listed and watching, and Kafka answers). GET and HEAD only.
 */
import { Hono } from "hono";
import type { Registry } from "prom-client";

export interface Readiness {
  /** Why the bridge is not ready, or null when it is. */
  notReadyReason(): string | null;
}

const ROUTES = ["/metrics", "/healthz", "/readyz"];

export function createBridgeApp(registry: Registry, readiness: Readiness): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) =>
    c.body(await registry.metrics(), 200, {
      "content-type": registry.contentType,
      "cache-control": "no-store",
    }),
  );
  app.get("/healthz", (c) => c.text("ok\n"));
  app.get("/readyz", (c) => {
    const reason = readiness.notReadyReason();
    return reason === null ? c.text("ready\n") : c.text(`not ready: ${reason}\n`, 503);
  });
  app.all("*", (c) =>
    ROUTES.includes(c.req.path)
      ? c.text("method not allowed\n", 405, { allow: "GET, HEAD" })
      : c.text("not found\n", 404),
  );
  return app;
}
