/**
 * Which identities one series stands for, and the labels that say so. The reference's label set
 * is {test}: every namespace's (and cluster's) test of one name is one series. Opted in, tests
 * are kept apart by test_namespace (and test_cluster): not `namespace`, which the Prometheus
 * Operator's ServiceMonitor sets as a target label (the service's own namespace) and which would
 * overwrite it (or be renamed exported_namespace) at scrape time.
 */
import type { Identity } from "../../core/index.ts";
import { escapeLabel } from "./format.ts";

export const IDENTITY_LABELS = ["test", "namespace", "cluster"] as const;
/** test: {test}; namespace: {test, test_namespace}; cluster: {test, test_namespace, test_cluster}. */
export type IdentityLabels = (typeof IDENTITY_LABELS)[number];

/** The key of the group an identity belongs to (unambiguous whatever the names hold). */
export function groupKey(t: Identity, labels: IdentityLabels): string {
  if (labels === "test") return JSON.stringify([t.name]);
  if (labels === "namespace") return JSON.stringify([t.name, t.namespace]);
  return JSON.stringify([t.name, t.namespace, t.cluster]);
}

/** The identity labels of a group's series (without braces). */
export function identityLabels(t: Identity, labels: IdentityLabels): string {
  const test = `test="${escapeLabel(t.name)}"`;
  if (labels === "test") return test;
  const namespace = `${test},test_namespace="${escapeLabel(t.namespace)}"`;
  if (labels === "namespace") return namespace;
  return `${namespace},test_cluster="${escapeLabel(t.cluster)}"`;
}
