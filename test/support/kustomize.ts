/**
 * The k8s/ kustomize base for tests: its manifest files as parsed objects, and its rendering
 * through tools/kustomize.sh (`kubectl kustomize`: nothing to install beyond kubectl).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const k8sDir = join(repoRoot, "k8s");
/** The base (kustomize refuses an overlay under the directory it builds on, hence base/). */
export const baseDir = join(k8sDir, "base");
const kustomizeScript = join(repoRoot, "tools", "kustomize.sh");

/** A Kubernetes object as parsed from YAML; read its fields with `field()`. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/**
 * The value at a dotted path (`"spec.template.spec.containers.0.ports"`), or undefined where the
 * path does not exist. Numeric segments index arrays.
 */
export function field(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const segment of path.split(".")) {
    if (Array.isArray(current)) {
      current = current[Number(segment)];
    } else if (current !== null && typeof current === "object") {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

function isK8sObject(value: unknown): value is K8sObject {
  return (
    typeof field(value, "apiVersion") === "string" &&
    typeof field(value, "kind") === "string" &&
    typeof field(value, "metadata.name") === "string"
  );
}

/** Parses a multi-document YAML stream; throws on the first YAML error, naming `source`. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  return parseAllDocuments(text).map((doc, index) => {
    if (doc.errors.length > 0) {
      throw new Error(`${source}: document ${index}: ${doc.errors.map((e) => e.message).join("; ")}`);
    }
    return doc.toJS() as unknown;
  });
}

/** Parses `kustomize build` output (or any manifest stream) into Kubernetes objects. */
export function parseManifests(text: string, source: string): K8sObject[] {
  return parseYamlDocuments(text, source)
    .filter((doc) => doc !== null && doc !== undefined)
    .map((doc, index) => {
      if (!isK8sObject(doc)) throw new Error(`${source}: document ${index} is not a Kubernetes object`);
      return doc;
    });
}

/** Every .yaml/.yml file under k8s/, as paths relative to k8s/ (sorted). */
export function k8sYamlFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(entry.name)) found.push(relative(k8sDir, path));
    }
  };
  walk(k8sDir);
  return found.sort();
}

export function readK8sFile(name: string): string {
  return readFileSync(join(k8sDir, name), "utf8");
}

/** The kustomization in k8s/<dir> (default: the base). */
export function kustomization(dir = "base"): Record<string, unknown> {
  const file = join(dir, "kustomization.yaml");
  const [doc] = parseYamlDocuments(readK8sFile(file), `k8s/${file}`);
  if (doc === null || typeof doc !== "object") throw new Error(`k8s/${file} is empty`);
  return doc as Record<string, unknown>;
}

/** The `resources:` of the kustomization, parsed from their files (what kustomize would load). */
export function baseResources(): K8sObject[] {
  const resources = field(kustomization(), "resources");
  if (!Array.isArray(resources)) throw new Error("k8s/base/kustomization.yaml lists no resources");
  return resources.flatMap((name) => {
    const file = join("base", String(name));
    return parseManifests(readK8sFile(file), `k8s/${file}`);
  });
}

/** The one resource of `kind` (and `name`, when given) among `objects`; throws unless exactly one. */
export function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const matches = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (matches.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${matches.length}`);
  return matches[0] as K8sObject;
}

/**
 * `kustomize build <dir>` (default: the k8s/ base) through tools/kustomize.sh, with `env` in
 * place of the process environment when given (to run it with a chosen PATH).
 */
export function kustomizeBuild(dir: string = k8sDir, env?: NodeJS.ProcessEnv): string {
  return execFileSync(kustomizeScript, ["build", dir], {
    cwd: repoRoot,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** tools/kustomize.sh run to its end: exit code and stderr, for its failures. */
export function runKustomizeScript(env: NodeJS.ProcessEnv): { code: number | null; stderr: string } {
  const run = spawnSync(kustomizeScript, [], { cwd: repoRoot, env, encoding: "utf8", timeout: 60_000 });
  return { code: run.status, stderr: run.stderr };
}
