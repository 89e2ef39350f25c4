/**
 * The HTTP server's limits, against the real service process: GET and HEAD only on its routes,
 * bounded header size, bounded time to send the header, and a SIGTERM that is not held up by
 * idle keep-alive connections or clients stuck in the middle of a request.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { createTopic, testKafka, uniqueTopic } from "../support/kafka.ts";
import { type RunningService, startService, waitReady } from "../support/service.ts";

/** The defaults of services/api/http/server.ts. */
const HEADERS_TIMEOUT_MS = 5_000;
const ROUTES = ["/metrics", "/healthz", "/readyz"];
const METHODS = ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

const running: RunningService[] = [];
const sockets: Socket[] = [];

async function service(): Promise<RunningService> {
  const topic = uniqueTopic("http-limits");
  await createTopic(testKafka(), topic, 1);
  const s = await startService({ topic, groupId: `g.${topic}` });
  running.push(s);
  await waitReady(s);
  return s;
}

function portOf(s: RunningService): number {
  return Number(new URL(s.url).port);
}

interface Exchange {
  /** Everything the server sent. */
  response: string;
  /** When the server closed the connection, in ms after it was opened; null if it did not. */
  closedAfterMs: number | null;
}

/** Opens a raw connection, lets `talk` write to it, and collects the answer until close or timeout. */
function exchange(port: number, talk: (socket: Socket) => void, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    let response = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ response, closedAfterMs: null });
    }, timeoutMs);
    socket.on("data", (d: Buffer) => {
      response += d.toString("latin1");
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // A reset after the server answered and closed is still a close.
      if (err.code !== "ECONNRESET" && err.code !== "EPIPE") reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ response, closedAfterMs: Date.now() - started });
    });
    socket.once("connect", () => talk(socket));
  });
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
function dribble(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const tick = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(tick);
    socket.write(text[i++] ?? "");
  }, everyMs);
  socket.once("close", () => clearInterval(tick));
}

after(async () => {
  for (const socket of sockets) socket.destroy();
  for (const s of running) await s.stop("SIGKILL");
});

describe("HTTP limits of the running service", () => {
  let s: RunningService;
  before(async () => {
    s = await service();
  });

  test("GET and HEAD answer on every route; HEAD without a body", async () => {
    for (const path of ROUTES) {
      const get = await fetch(`${s.url}${path}`);
      assert.equal(get.status, 200, `GET ${path}`);
      await get.arrayBuffer();
      const head = await fetch(`${s.url}${path}`, { method: "HEAD" });
      assert.equal(head.status, 200, `HEAD ${path}`);
      assert.equal((await head.arrayBuffer()).byteLength, 0, `HEAD ${path} has no body`);
    }
  });

  test("POST, PUT, DELETE, OPTIONS and PATCH get 405 with Allow: GET, HEAD on every route", async () => {
    for (const path of ROUTES) {
      for (const method of METHODS) {
        const res = await fetch(`${s.url}${path}`, {
          method,
          ...(method === "POST" || method === "PUT" || method === "PATCH" ? { body: "x=1" } : {}),
        });
        await res.arrayBuffer();
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.get("allow"), "GET, HEAD", `${method} ${path}`);
      }
    }
    const other = await fetch(`${s.url}/admin`, { method: "POST" });
    assert.equal(other.status, 404);
  });

  test("20 KiB of headers get 431 and the connection is closed", async () => {
    const pad = "a".repeat(1024);
    const headers = Array.from({ length: 20 }, (_, i) => `x-pad-${i}: ${pad}\r\n`).join("");
    const { response, closedAfterMs } = await exchange(
      portOf(s),
      (socket) => socket.write(`GET /metrics HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}\r\n`),
      5_000,
    );
    assert.match(response, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.ok(closedAfterMs !== null, "the server closed the connection");
    // The service is unharmed.
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  });

  test("a client sending its header byte by byte is cut off with 408 after the headers timeout", async () => {
    const header = `GET /metrics HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ${"z".repeat(200)}\r\n\r\n`;
    const { response, closedAfterMs } = await exchange(
      portOf(s),
      (socket) => dribble(socket, header, 50),
      HEADERS_TIMEOUT_MS + 5_000,
    );
    assert.ok(closedAfterMs !== null, "the slow client was never cut off");
    assert.match(response, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.ok(
      closedAfterMs >= HEADERS_TIMEOUT_MS - 200 && closedAfterMs <= HEADERS_TIMEOUT_MS + 2_000,
      `cut off after ${closedAfterMs} ms, expected about ${HEADERS_TIMEOUT_MS} ms`,
    );
    assert.doesNotMatch(response, /200 OK/, "it never got an answer to its request");
  });
});

describe("SIGTERM with clients holding connections", () => {
  test("100 idle keep-alive connections and 3 stuck mid-header do not keep the service from exiting", async () => {
    const s = await service();
    const port = portOf(s);
    const idle: Promise<Exchange>[] = [];
    for (let i = 0; i < 100; i++) {
      let answered: () => void = () => undefined;
      const gotAnswer = new Promise<void>((r) => {
        answered = r;
      });
      idle.push(
        exchange(
          port,
          (socket) => {
            socket.write("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n");
            socket.once("data", () => answered());
          },
          30_000,
        ),
      );
      await gotAnswer;
    }
    const stuck = Array.from({ length: 3 }, () =>
      exchange(
        port,
        (socket) => socket.write("GET /metrics HTTP/1.1\r\nhost: 127.0.0.1\r\nx-never: "),
        30_000,
      ),
    );
    await new Promise((r) => setTimeout(r, 200));

    const signalled = Date.now();
    const code = await s.stop("SIGTERM");
    const tookMs = Date.now() - signalled;
    assert.equal(code, 0, s.output().slice(-2000));
    assert.ok(tookMs < 5_000, `exit took ${tookMs} ms`);
    assert.match(s.output(), /"msg":"stopped"/);
    const closed = await Promise.all([...idle, ...stuck]);
    for (const c of closed) assert.ok(c.closedAfterMs !== null, "a connection outlived the process");
    for (const c of closed.slice(0, 100)) assert.match(c.response, /^HTTP\/1\.1 200 OK\r\n/);
  });
});
