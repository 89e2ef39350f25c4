/**
 * `kustomize build k8s` (through tools/kustomize.sh, i.e. `kubectl kustomize`) renders every
 * resource of the base unchanged, plus the dashboard ConfigMap it generates; the sharded overlay
 * renders the same with a StatefulSet in place of the Deployment; and the script needs nothing
 * but kubectl (no Go, no download), or says what is missing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import {
  baseDir,
  baseResources,
  field,
  type K8sObject,
  k8sDir,
  kustomizeBuild,
  only,
  parseManifests,
  runKustomizeScript,
} from "../support/kustomize.ts";

const key = (o: K8sObject): string => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** A directory holding links to just these commands, to be the whole PATH of a child process. */
function pathOf(commands: string[]): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "kymaros-path-"));
  for (const command of commands) {
    const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).stdout.trim();
    assert.ok(found.startsWith("/"), `${command} is not on the PATH`);
    symlinkSync(found, join(dir, command));
  }
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe("kustomize build k8s", { timeout: 120_000 }, () => {
  let rendered: K8sObject[] = [];

  before(() => {
    rendered = parseManifests(kustomizeBuild(), "kustomize build k8s");
  });

  it("renders every resource of the kustomization, and the dashboard ConfigMap", () => {
    const expected = [...baseResources().map(key), "ConfigMap/kymaros-system/kymaros-dashboard"].sort();
    assert.deepEqual(rendered.map(key).sort(), expected);
  });

  it("renders each resource file's object unchanged", () => {
    const byKey = new Map(rendered.map((o) => [key(o), o]));
    for (const resource of baseResources()) {
      assert.deepEqual(byKey.get(key(resource)), resource, key(resource));
    }
  });

  it('wraps the dashboard JSON verbatim into a ConfigMap labelled grafana_dashboard: "1"', () => {
    const configMap = only(rendered, "ConfigMap", "kymaros-dashboard");
    assert.equal(configMap.metadata.labels?.grafana_dashboard, "1");
    const json = (field(configMap, "data") as Record<string, string>)["kymaros.json"];
    assert.equal(json, readFileSync(join(baseDir, "dashboards", "kymaros.json"), "utf8"));
    assert.doesNotThrow(() => JSON.parse(String(json)));
  });

  it("renders the Namespace before the resources that live in it", () => {
    const kinds = rendered.map((o) => o.kind);
    assert.equal(kinds[0], "Namespace");
  });

  it("renders with kubectl alone on the PATH (no Go, nothing installed)", () => {
    const bin = pathOf(["bash", "dirname", "kubectl"]);
    try {
      const alone = parseManifests(kustomizeBuild(k8sDir, { PATH: bin.path }), "kubectl alone");
      assert.deepEqual(alone.map(key), rendered.map(key));
    } finally {
      bin.remove();
    }
  });

  it("without kubectl or kustomize, fails with one line saying what it needs", () => {
    const bin = pathOf(["bash", "dirname"]);
    try {
      const { code, stderr } = runKustomizeScript({ PATH: bin.path });
      assert.equal(code, 1);
      assert.deepEqual(stderr.trimEnd().split("\n"), [
        "kustomize.sh: rendering k8s needs kubectl (it has kustomize built in) or kustomize on the PATH",
      ]);
    } finally {
      bin.remove();
    }
  });

  it("k8s/overlays/sharded: the base with the StatefulSet in place of the Deployment", () => {
    const sharded = parseManifests(kustomizeBuild(join(k8sDir, "overlays", "sharded")), "overlays/sharded");
    const expected = [
      ...baseResources()
        .filter((r) => key(r) !== "Deployment/kymaros-system/kymaros-api")
        .map(key),
      "ConfigMap/kymaros-system/kymaros-dashboard",
      "StatefulSet/kymaros-system/kymaros-api",
    ].sort();
    assert.deepEqual(sharded.map(key).sort(), expected);
    const byKey = new Map(sharded.map((o) => [key(o), o]));
    for (const resource of baseResources().filter(
      (r) => key(r) !== "Deployment/kymaros-system/kymaros-api",
    )) {
      assert.deepEqual(byKey.get(key(resource)), resource, key(resource));
    }
    const pods = field(only(sharded, "StatefulSet", "kymaros-api"), "spec.template.metadata.labels");
    assert.deepEqual(
      pods,
      field(only(rendered, "Deployment", "kymaros-api"), "spec.template.metadata.labels"),
    );
  });
});
