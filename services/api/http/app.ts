/**
 * The HTTP routes: /metrics, /healthz (the process is alive), /readyz (caught up and connected).
 * GET and HEAD only; other methods on these paths get 405, other paths 404.
 */
import { Hono } from "hono";
import type { Logger } from "../log.ts";
import type { ExpositionFormat } from "../metrics/domain.ts";
import { type MetricsView, negotiateFormat } from "../metrics/view.ts";

export interface Probes {
  /** Why the service is not ready, or null when it is. */
  notReadyReason(): string | null;
}

const ROUTES = ["/metrics", "/healthz", "/readyz"];

export function createApp(view: MetricsView, probes: Probes, logger: Logger): Hono {
  const app = new Hono();

  app.get("/metrics", async (c) => {
    const format: ExpositionFormat = negotiateFormat(c.req.header("accept"));
    const { contentType, body } = await view.render(format);
    return c.body(body, 200, { "content-type": contentType, "cache-control": "no-store" });
  });
  app.get("/healthz", (c) => c.text("ok\n"));
  app.get("/readyz", (c) => {
    const reason = probes.notReadyReason();
    return reason === null ? c.text("ready\n") : c.text(`not ready: ${reason}\n`, 503);
  });

  app.all("*", (c) => {
    if (ROUTES.includes(c.req.path)) {
      return c.text("method not allowed\n", 405, { allow: "GET, HEAD" });
    }
    return c.text("not found\n", 404);
  });
  app.onError((err, c) => {
    logger.error("request failed", { path: c.req.path, error: err });
    return c.text("internal error\n", 500);
  });
  return app;
}
