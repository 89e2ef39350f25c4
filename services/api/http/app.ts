/**
 * The HTTP routes: /metrics, /healthz (the process is alive), /readyz (caught up and connected).
 * GET and HEAD only; other methods on these paths get 405, other paths 404.
 */
import { Hono } from "hono";
import type { Logger } from "../log.ts";
import type { ExpositionFormat } from "../metrics/domain.ts";
import { acceptsGzip, type MetricsView, negotiateFormat } from "../metrics/view.ts";

export interface Probes {
  /** Why the service is not ready, or null when it is. */
  notReadyReason(): string | null;
}

const ROUTES = ["/metrics", "/healthz", "/readyz"];

export function createApp(view: MetricsView, probes: Probes, logger: Logger): Hono {
  const app = new Hono();

  app.get("/metrics", async (c) => {
    const format: ExpositionFormat = negotiateFormat(c.req.header("accept"));
    const { contentType, body, gzip } = await view.render(
      format,
      acceptsGzip(c.req.header("accept-encoding")),
    );
    const headers: Record<string, string> = {
      "content-type": contentType,
      "cache-control": "no-store",
      vary: "accept-encoding",
    };
    if (gzip) headers["content-encoding"] = "gzip";
    return c.body(new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength), 200, headers);
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
