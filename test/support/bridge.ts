/** Runs the real kymaros-bridge (services/bridge/main.ts) as a child process, like startService. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { testBrokers } from "./kafka.ts";
import { freePort, type RunningService } from "./service.ts";

const MAIN = fileURLToPath(new URL("../../services/bridge/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface BridgeOptions {
  kubeconfig: string;
  topic: string;
  env?: Record<string, string>;
  /** Keep the port of an earlier run (a restart). */
  port?: number;
}

export async function startBridgeProcess(o: BridgeOptions): Promise<RunningService & { port: number }> {
  const port = o.port ?? (await freePort());
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      KUBECONFIG: "",
      KYMAROS_KUBECONFIG: o.kubeconfig,
      KYMAROS_KAFKA_BROKERS: testBrokers().join(","),
      KYMAROS_TOPIC: o.topic,
      KYMAROS_BRIDGE_PORT: String(port),
      KYMAROS_BRIDGE_HOST: "127.0.0.1",
      // Quick retries: the outage tests wait for the catch-up.
      KYMAROS_BRIDGE_MAX_BACKOFF_MS: "1000",
      ...o.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
