/**
 * The status page and its JSON API: GET /, /api/v1/tests, /api/v1/status, and the page's assets.
 * Read-only (other methods get 405 from the app's fallback); every response carries a CSP that
 * lets the page load only from the service itself, and the page's server time (Server-Timing).
 */

import { performance } from "node:perf_hooks";
import type { Context, Hono } from "hono";
import { FAVICON, STYLESHEET } from "./assets.ts";
import { StatusPage } from "./page/page.tsx";
import { parseQuery, QueryError, type TestsQuery } from "./query.ts";
import { type StatusParts, serviceStatus } from "./service.ts";
import type { TestsSource } from "./tests.ts";

export const STATUS_PATHS = ["/", "/api/v1/tests", "/api/v1/status", "/status.css", "/favicon.svg"];

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** The query, or a 400 naming the bad parameter. */
function query(c: Context): TestsQuery | Response {
  try {
    return parseQuery((name) => c.req.query(name));
  } catch (err) {
    if (!(err instanceof QueryError)) throw err;
    return c.text(`bad query: ${err.message}\n`, 400, SECURITY_HEADERS);
  }
}

export function addStatusRoutes(app: Hono, table: TestsSource, parts: StatusParts): void {
  app.get("/", async (c) => {
    const began = performance.now();
    const q = query(c);
    if (q instanceof Response) return q;
    const [page, status] = await Promise.all([table.select(q), serviceStatus(parts)]);
    const html = `<!DOCTYPE html>${await (<StatusPage q={q} page={page} status={status} />).toString()}`;
    return c.html(html, 200, {
      ...SECURITY_HEADERS,
      "server-timing": `render;dur=${(performance.now() - began).toFixed(2)}`,
    });
  });
  app.get("/api/v1/tests", async (c) => {
    const q = query(c);
    if (q instanceof Response) return q;
    return c.json(await table.select(q), 200, SECURITY_HEADERS);
  });
  app.get("/api/v1/status", async (c) => c.json(await serviceStatus(parts), 200, SECURITY_HEADERS));
  app.get("/status.css", (c) =>
    c.body(STYLESHEET, 200, {
      ...SECURITY_HEADERS,
      "content-type": "text/css; charset=utf-8",
      "cache-control": "max-age=300",
    }),
  );
  app.get("/favicon.svg", (c) =>
    c.body(FAVICON, 200, {
      ...SECURITY_HEADERS,
      "content-type": "image/svg+xml",
      "cache-control": "max-age=86400",
    }),
  );
}
