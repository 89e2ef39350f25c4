/**
 * An Apicurio Registry of a test's own (tools/registry/registry.sh in a temporary REGISTRY_DIR,
 * on free loopback ports), and a TCP relay in front of it that a test can cut, to play a
 * registry that is down without losing the in-memory registry's ids.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "./service.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CCOMPAT = "/apis/ccompat/v7";

export interface OwnRegistry {
  /** The Confluent-compatible API's base URL. */
  readonly url: string;
  readonly port: number;
  up(): Promise<void>;
  down(): Promise<void>;
  clean(): Promise<void>;
}

export async function ownRegistry(): Promise<OwnRegistry> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kymaros-registry-"));
  const env = {
    ...process.env,
    REGISTRY_DIR: dir,
    REGISTRY_PORT: String(port),
    REGISTRY_MANAGEMENT_PORT: String(await freePort()),
  };
  const run = async (command: string) => {
    await promisify(execFile)(`${ROOT}tools/registry/registry.sh`, [command], { env, timeout: 300_000 });
  };
  return {
    url: `http://127.0.0.1:${port}${CCOMPAT}`,
    port,
    up: () => run("up"),
    down: () => run("down"),
    async clean() {
      await run("down");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Relay {
  readonly port: number;
  /** Refuses connections (and drops the open ones) until resume(). */
  cut(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** A loopback TCP relay to 127.0.0.1:targetPort. */
export async function relay(targetPort: number): Promise<Relay> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, "127.0.0.1");
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, "127.0.0.1", () => resolve());
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (server) server.close(() => resolve());
      else resolve();
      server = undefined;
    });
  await listen();
  return { port, cut: stop, resume: listen, close: stop };
}
