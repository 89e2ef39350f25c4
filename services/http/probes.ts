/**
 * The probe routes both services serve: /healthz (the process is alive) and /readyz (ready, or
 * 503 with why not), and the fallback for every other request: 405 on a known path with another
 * method than GET or HEAD, 404 elsewhere.
 */
import type { Hono } from "hono";

export interface Readiness {
  /** Why the process is not ready, or null when it is. */
  notReadyReason(): string | null;
}

/** Adds /healthz and /readyz; call after the service's own routes. */
export function addProbes(app: Hono, readiness: Readiness): void {
  app.get("/healthz", (c) => c.text("ok\n"));
  app.get("/readyz", (c) => {
    const reason = readiness.notReadyReason();
    return reason === null ? c.text("ready\n") : c.text(`not ready: ${reason}\n`, 503);
  });
}

/** The 405/404 answers for whatever no route took; call last. */
export function addFallback(app: Hono, paths: readonly string[]): void {
  const known = new Set(["/healthz", "/readyz", ...paths]);
  app.all("*", (c) =>
    known.has(c.req.path)
      ? c.text("method not allowed\n", 405, { allow: "GET, HEAD" })
      : c.text("not found\n", 404),
  );
}
