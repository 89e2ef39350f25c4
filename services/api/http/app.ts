/**
 * The HTTP routes: /metrics, /healthz (the process is alive), /readyz (caught up and connected),
 * and the status page with its JSON API (status/routes.tsx).
 * GET and HEAD only; other methods on these paths get 405, other paths 404.
 */
import { Hono } from "hono";
import { addFallback, addProbes, type Readiness } from "../../http/probes.ts";
import type { Logger } from "../../log/logger.ts";
import type { ExpositionFormat } from "../metrics/render/domain.ts";
import { acceptsGzip, type MetricsView, negotiateFormat } from "../metrics/serve/view.ts";
import { addStatusRoutes, STATUS_PATHS } from "../status/routes.tsx";
import type { StatusParts } from "../status/service.ts";
import type { TestsSource } from "../status/tests.ts";

/** The bytes of a part; a plain snapshot's live in memory shared with the worker (written, never held). */
const bytes = (b: Buffer): Uint8Array<ArrayBuffer> =>
  new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);

/** One buffer as it is; several as a stream of them, so that none is copied into one. */
function bodyOf(parts: readonly Buffer[]): Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array<ArrayBuffer>> {
  if (parts.length === 1) return bytes(parts[0] as Buffer);
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(controller) {
      for (const part of parts) controller.enqueue(bytes(part));
      controller.close();
    },
  });
}

/** What the status page reads: the tests of the /metrics snapshots, and the service's own state. */
export interface StatusSources {
  table: TestsSource;
  parts: StatusParts;
}

export function createApp(
  view: MetricsView,
  readiness: Readiness,
  logger: Logger,
  status?: StatusSources,
): Hono {
  const app = new Hono();

  app.get("/metrics", async (c) => {
    const format: ExpositionFormat = negotiateFormat(c.req.header("accept"));
    const { contentType, parts, length, gzip } = await view.render(
      format,
      acceptsGzip(c.req.header("accept-encoding")),
    );
    const headers: Record<string, string> = {
      "content-type": contentType,
      "content-length": String(length),
      "cache-control": "no-store",
      vary: "accept-encoding",
    };
    if (gzip) headers["content-encoding"] = "gzip";
    return c.body(bodyOf(parts), 200, headers);
  });
  if (status) addStatusRoutes(app, status.table, status.parts);
  addProbes(app, readiness);
  addFallback(app, ["/metrics", ...(status ? STATUS_PATHS : [])]);
  app.onError((err, c) => {
    logger.error("request failed", { path: c.req.path, error: err });
    return c.text("internal error\n", 500);
  });
  return app;
}
