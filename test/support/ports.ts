/**
 * Ports for brokers that tests start: below the ephemeral range (32768+ on Linux), since a port
 * the kernel may hand to any outgoing connection in the seconds before a broker binds it would
 * fail that broker's start.
 */
import { createServer } from "node:net";

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports starting in [from, to), at a random multiple of `count`. */
export async function consecutiveFreePorts(count: number, from: number, to: number): Promise<number[]> {
  const slots = Math.floor((to - from) / count);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * slots) * count;
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return ports;
  }
  throw new Error(`no ${count} consecutive free ports in ${from}-${to - 1}`);
}
