/**
 * `kustomize build k8s` (through tools/kustomize.sh, which installs the pinned kustomize once)
 * renders every resource of the base unchanged, plus the dashboard ConfigMap it generates; the
 * sharded overlay renders the same with a StatefulSet in place of the Deployment.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
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
} from "../support/kustomize.ts";

const key = (o: K8sObject): string => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

describe("kustomize build k8s", { timeout: 15 * 60_000 }, () => {
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

  it("k8s/overlays/sharded: the base with the StatefulSet in place of the Deployment", () => {
    const sharded = parseManifests(kustomizeBuild(join(k8sDir, "overlays", "sharded")), "overlays/sharded");
    const expected = [
      ...baseResources()
        .filter((r) => r.kind !== "Deployment")
        .map(key),
      "ConfigMap/kymaros-system/kymaros-dashboard",
      "StatefulSet/kymaros-system/kymaros-api",
    ].sort();
    assert.deepEqual(sharded.map(key).sort(), expected);
    const byKey = new Map(sharded.map((o) => [key(o), o]));
    for (const resource of baseResources().filter((r) => r.kind !== "Deployment")) {
      assert.deepEqual(byKey.get(key(resource)), resource, key(resource));
    }
    const pods = field(only(sharded, "StatefulSet", "kymaros-api"), "spec.template.metadata.labels");
    assert.deepEqual(
      pods,
      field(only(rendered, "Deployment", "kymaros-api"), "spec.template.metadata.labels"),
    );
  });
});
