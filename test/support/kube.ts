/**
 * A real Kubernetes API server for tests: tools/kube/kube.sh (kube-apiserver + etcd, built once
 * per machine) in its own directory on free loopback ports, with kubectl against it.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./service.ts";

const kubeScript = fileURLToPath(new URL("../../tools/kube/kube.sh", import.meta.url));
export const CRDS = fileURLToPath(new URL("../fixtures/kube/crds.yaml", import.meta.url));

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface LocalKube {
  readonly dir: string;
  /** The admin kubeconfig. */
  readonly kubeconfig: string;
  readonly server: string;
  readonly caFile: string;
  /** etcd's client URL (plain HTTP on loopback; its JSON gateway answers under /v3/). */
  readonly etcdUrl: string;
  /** kubectl as the admin (or with the given kubeconfig); never throws, see code. */
  kubectl(args: string[], options?: { input?: string; kubeconfig?: string }): Promise<KubectlResult>;
  /** kubectl as the admin; throws with stderr on failure. */
  kubectlOk(args: string[], input?: string): Promise<string>;
  /** A kubeconfig that authenticates with this bearer token. */
  kubeconfigFor(token: string, name: string): string;
  stopApiServer(): void;
  /** Starts whatever is stopped and waits until the API server is ready. */
  up(): void;
  down(): void;
}

export async function startKube(): Promise<LocalKube> {
  const dir = mkdtempSync(join(tmpdir(), "kymaros-kube-"));
  const env = {
    ...process.env,
    KUBE_DIR: dir,
    KUBE_API_PORT: String(await freePort()),
    KUBE_ETCD_PORT: String(await freePort()),
    KUBE_ETCD_PEER_PORT: String(await freePort()),
  };
  const run = (command: string) =>
    execFileSync(kubeScript, [command], { env, stdio: ["ignore", "ignore", "pipe"] });
  try {
    run("up");
  } catch (err) {
    // Whatever did start must not outlive the failed test.
    run("down");
    throw err;
  }
  const kubeconfig = join(dir, "kubeconfig");
  const server = `https://127.0.0.1:${env.KUBE_API_PORT}`;
  const caFile = join(dir, "pki", "ca.pem");
  const kubectl: LocalKube["kubectl"] = (args, options = {}) =>
    new Promise((resolve) => {
      const child = execFile(
        "kubectl",
        // kubectl 1.32 warns about the skew with a 1.34 server: harmless here.
        ["--kubeconfig", options.kubeconfig ?? kubeconfig, ...args],
        { env: { ...process.env, KUBECONFIG: "" }, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  return {
    dir,
    kubeconfig,
    server,
    caFile,
    etcdUrl: `http://127.0.0.1:${env.KUBE_ETCD_PORT}`,
    kubectl,
    async kubectlOk(args, input) {
      const r = await kubectl(args, input === undefined ? {} : { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    kubeconfigFor(token, name) {
      const file = join(dir, `${name}.kubeconfig`);
      writeFileSync(
        file,
        [
          "apiVersion: v1",
          "kind: Config",
          `clusters: [{name: local, cluster: {server: "${server}", certificate-authority: "${caFile}"}}]`,
          `users: [{name: ${name}, user: {token: "${token}"}}]`,
          `contexts: [{name: ${name}, context: {cluster: local, user: ${name}}}]`,
          `current-context: ${name}`,
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      return file;
    },
    stopApiServer: () => run("stop-apiserver"),
    up: () => run("up"),
    down() {
      run("down");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The test CRDs installed and established. */
export async function installCrds(kube: LocalKube): Promise<void> {
  await kube.kubectlOk(["apply", "-f", CRDS]);
  await kube.kubectlOk([
    "wait",
    "--for=condition=Established",
    "crd/restorereports.restore.kymaros.io",
    "crd/restoretests.restore.kymaros.io",
    "--timeout=60s",
  ]);
}

const veleroCrdsScript = fileURLToPath(new URL("../../tools/kube/velero-crds.sh", import.meta.url));

/**
 * Velero's own Restore and Backup CRDs (from its Go module, tools/kube/velero-crds.sh: emitted
 * once per machine) installed and established, so Velero objects are validated as a real
 * install validates them.
 */
export async function installVeleroCrds(kube: LocalKube): Promise<void> {
  const file = execFileSync(veleroCrdsScript, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  await kube.kubectlOk(["apply", "-f", file]);
  await kube.kubectlOk([
    "wait",
    "--for=condition=Established",
    "crd/restores.velero.io",
    "crd/backups.velero.io",
    "--timeout=60s",
  ]);
}
