/**
 * A Kafka broker of a test's own (tools/kafka/kafka.sh in a temporary KAFKA_DIR, on free
 * loopback ports), for tests that stop and start it: the shared test broker is never touched.
 * The jars are the default instance's when it has them (no second download).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "./service.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface OwnKafka {
  readonly brokers: string[];
  up(): Promise<void>;
  /** Stops the broker; its data stays for the next up(). */
  down(): Promise<void>;
  /** Stops it and deletes its directory. */
  clean(): Promise<void>;
}

export async function ownKafka(): Promise<OwnKafka> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kymaros-kafka-"));
  const env = {
    ...process.env,
    KAFKA_DIR: dir,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
    KAFKA_SECURE: "0",
    ...(existsSync(`${ROOT}.kafka/libs/.complete`) ? { KAFKA_LIBS: `${ROOT}.kafka/libs` } : {}),
  };
  const run = async (command: string) => {
    await promisify(execFile)(`${ROOT}tools/kafka/kafka.sh`, [command], { env, timeout: 180_000 });
  };
  return {
    brokers: [`127.0.0.1:${port}`],
    up: () => run("up"),
    down: () => run("down"),
    async clean() {
      await run("clean");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
