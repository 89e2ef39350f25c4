/**
 * Serves the Hono app on Node's HTTP server with bounded header size and request time:
 * - headers larger than maxHeaderSize get 431 and the connection is closed (Node's parser);
 * - a client that has not sent its whole header within headersTimeout, or its whole request
 *   within requestTimeout, gets 408 and is cut off. Node checks these deadlines only every
 *   connectionsCheckingInterval (30 s by default), so the interval is shortened here;
 * - close() stops accepting, closes idle keep-alive connections at once and, after a grace
 *   period for the responses in flight, every connection left (slow or stuck clients).
 */
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface HttpLimits {
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this; above the usual 60 s of load balancers. */
  keepAliveTimeoutMs: number;
  /** How long close() lets the responses in flight finish before closing their connections. */
  closeGraceMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 65_000,
  closeGraceMs: 2_000,
};

export function startHttpServer(
  app: Hono,
  host: string,
  port: number,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch: app.fetch,
      hostname: host,
      port,
      serverOptions: {
        maxHeaderSize: limits.maxHeaderBytes,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, limits.headersTimeoutMs / 5)),
      },
    }) as Server;
    server.requestTimeout = limits.requestTimeoutMs;
    server.headersTimeout = limits.headersTimeoutMs;
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    server.once("error", reject);
    server.once("listening", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            const force = setTimeout(() => server.closeAllConnections(), limits.closeGraceMs);
            force.unref();
            server.close(() => {
              clearTimeout(force);
              done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
