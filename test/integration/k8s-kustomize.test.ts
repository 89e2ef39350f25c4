/**
 * `kustomize build k8s` (through tools/kustomize.sh, i.e. `kubectl kustomize`) renders every
 * resource of the base unchanged, plus the dashboard ConfigMap it generates; the sharded overlay
 * renders the same with a StatefulSet in place of the Deployment; and the script needs nothing
 * but kubectl (no Go, no download), or says what is missing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { CLUSTER_PLACEHOLDER } from "../../services/bridge/config.ts";
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

/** kustomize names the generated settings ConfigMap with a hash of its content. */
const SETTINGS = /^kymaros-bridge-settings-[a-z0-9]{10}$/;
const generated = (rendered: K8sObject[]): string[] => [
  "ConfigMap/kymaros-system/kymaros-dashboard",
  ...rendered.filter((o) => o.kind === "ConfigMap" && SETTINGS.test(o.metadata.name)).map(key),
];

/** The rendered object with the generated settings' name put back as the file writes it. */
function unhashed(o: K8sObject): K8sObject {
  const copy = structuredClone(o);
  const containers = field(copy, "spec.template.spec.containers");
  for (const c of Array.isArray(containers) ? containers : []) {
    for (const from of (c as { envFrom?: Array<{ configMapRef?: { name: string } }> }).envFrom ?? []) {
      if (from.configMapRef && SETTINGS.test(from.configMapRef.name))
        from.configMapRef.name = "kymaros-bridge-settings";
    }
  }
  return copy;
}

/** An overlay on the base in a temporary directory: its kustomization's extra lines. */
function overlay(extra: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "kymaros-overlay-"));
  writeFileSync(
    join(dir, "kustomization.yaml"),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${relative(dir, baseDir)}\n${extra}`,
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

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

  it("renders every resource of the kustomization, the dashboard ConfigMap and the bridge's settings", () => {
    const expected = [...baseResources().map(key), ...generated(rendered)].sort();
    assert.equal(generated(rendered).length, 2, "no generated kymaros-bridge-settings ConfigMap");
    assert.deepEqual(rendered.map(key).sort(), expected);
  });

  it("renders each resource file's object unchanged (but the generated settings' hashed name)", () => {
    const byKey = new Map(rendered.map((o) => [key(o), unhashed(o)]));
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

  it("the bridge reads the generated settings: KYMAROS_CLUSTER's placeholder, Velero's namespace", () => {
    const settings = rendered.find((o) => o.kind === "ConfigMap" && SETTINGS.test(o.metadata.name));
    assert.ok(settings);
    assert.deepEqual(field(settings, "data"), {
      KYMAROS_CLUSTER: CLUSTER_PLACEHOLDER,
      KYMAROS_BRIDGE_VELERO_NAMESPACE: "velero",
    });
    assert.deepEqual(
      field(only(rendered, "Deployment", "kymaros-bridge"), "spec.template.spec.containers.0.envFrom"),
      [{ configMapRef: { name: settings.metadata.name } }],
    );
  });

  it("an overlay that names the cluster and Velero's namespace moves the Velero Role and RoleBinding there", () => {
    const o = overlay(
      [
        "configMapGenerator:",
        "  - name: kymaros-bridge-settings",
        "    namespace: kymaros-system",
        "    behavior: merge",
        "    literals:",
        "      - KYMAROS_CLUSTER=prod-eu-1",
        "      - KYMAROS_BRIDGE_VELERO_NAMESPACE=backup-system",
        // kustomize applies the base's replacements before the overlay's merge: the overlay
        // repeats them (the recipe docs/bridge-velero.md gives).
        stringify({
          replacements: field(
            parse(readFileSync(join(baseDir, "kustomization.yaml"), "utf8")),
            "replacements",
          ),
        }),
      ].join("\n"),
    );
    try {
      const objects = parseManifests(kustomizeBuild(o.dir), "overlay");
      const settings = objects.find((x) => x.kind === "ConfigMap" && SETTINGS.test(x.metadata.name));
      assert.deepEqual(field(settings, "data"), {
        KYMAROS_CLUSTER: "prod-eu-1",
        KYMAROS_BRIDGE_VELERO_NAMESPACE: "backup-system",
      });
      for (const kind of ["Role", "RoleBinding"]) {
        assert.equal(only(objects, kind, "kymaros-bridge-velero").metadata.namespace, "backup-system", kind);
      }
      assert.equal(
        field(
          only(objects, "Deployment", "kymaros-bridge"),
          "spec.template.spec.containers.0.envFrom.0.configMapRef.name",
        ),
        settings?.metadata.name,
      );
    } finally {
      o.remove();
    }
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
      ...generated(sharded),
      "StatefulSet/kymaros-system/kymaros-api",
    ].sort();
    assert.deepEqual(sharded.map(key).sort(), expected);
    const byKey = new Map(sharded.map((o) => [key(o), unhashed(o)]));
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
