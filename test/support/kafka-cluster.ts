/**
 * A three-node Kafka cluster of a test's own (tools/kafka/cluster.sh in a temporary directory, on
 * free loopback ports): replication factor 3 and min.insync.replicas 2, as in production. Nodes
 * are killed (SIGKILL), stopped and started by number; the shared test broker is never touched.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { consecutiveFreePorts } from "./ports.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export type NodeId = 1 | 2 | 3;

export interface KafkaCluster {
  readonly brokers: string[];
  up(): Promise<void>;
  /** SIGKILL: no controlled shutdown, leadership moves only once the controller notices. */
  kill(node: NodeId): Promise<void>;
  start(node: NodeId): Promise<void>;
  /** The node whose client port is `port`. */
  nodeOf(port: number): NodeId;
  /** The pid of a running node (for what a test checks of it). */
  pid(node: NodeId): number;
  clean(): Promise<void>;
}

export async function kafkaCluster(): Promise<KafkaCluster> {
  // A client port and its controller port (+ 1) per node.
  const ports = (await consecutiveFreePorts(6, 20_000, 26_000)).filter((_, i) => i % 2 === 0);
  const dir = mkdtempSync(join(tmpdir(), "kymaros-cluster-"));
  const env = {
    ...process.env,
    KAFKA_CLUSTER_DIR: dir,
    KAFKA_CLUSTER_PORTS: ports.join(","),
    ...(existsSync(`${ROOT}.kafka/libs/.complete`) ? { KAFKA_LIBS: `${ROOT}.kafka/libs` } : {}),
  };
  const run = async (...args: string[]) => {
    await promisify(execFile)(`${ROOT}tools/kafka/cluster.sh`, args, { env, timeout: 180_000 });
  };
  return {
    brokers: ports.map((p) => `127.0.0.1:${p}`),
    up: () => run("up"),
    kill: (node) => run("kill-node", String(node)),
    start: (node) => run("start-node", String(node)),
    nodeOf(port) {
      const index = ports.indexOf(port);
      if (index < 0) throw new Error(`no node listens on ${port}`);
      return (index + 1) as NodeId;
    },
    pid: (node) => Number(readFileSync(join(dir, `node${node}`, "broker.pid"), "utf8")),
    async clean() {
      await run("clean");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
