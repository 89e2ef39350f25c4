/**
 * The ServiceMonitor and PrometheusRule of k8s/ against the Prometheus Operator's schemas
 * (@kubernetes-models/prometheus-operator, generated from its CRDs); a broken one must fail.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { baseResources, field, only } from "../support/kustomize.ts";

const resources = baseResources();
const check = {
  ServiceMonitor: (o: unknown) =>
    new ServiceMonitor(o as ConstructorParameters<typeof ServiceMonitor>[0]).validate(),
  PrometheusRule: (o: unknown) =>
    new PrometheusRule(o as ConstructorParameters<typeof PrometheusRule>[0]).validate(),
};

describe("k8s manifests: the Prometheus Operator's schemas", () => {
  for (const [kind, name] of [
    ["ServiceMonitor", "kymaros"],
    ["ServiceMonitor", "kymaros-bridge"],
    ["PrometheusRule", "kymaros"],
  ] as const) {
    it(`the ${kind} ${name} validates`, () => {
      assert.doesNotThrow(() => check[kind](only(resources, kind, name)));
    });
  }

  it("a ServiceMonitor endpoint without a valid scheme is refused", () => {
    const broken = structuredClone(only(resources, "ServiceMonitor", "kymaros-bridge"));
    (field(broken, "spec.endpoints.0") as Record<string, unknown>).scheme = "gopher";
    assert.throws(() => check.ServiceMonitor(broken));
  });

  it("a PrometheusRule whose rule has no expr is refused", () => {
    const broken = structuredClone(only(resources, "PrometheusRule", "kymaros"));
    delete (field(broken, "spec.groups.0.rules.0") as Record<string, unknown>).expr;
    assert.throws(() => check.PrometheusRule(broken));
  });
});
