/** The few fields of a Kubernetes object's metadata the bridge reads. */

function field(object: unknown, name: string): string | undefined {
  if (object === null || typeof object !== "object") return undefined;
  const metadata = (object as { metadata?: unknown }).metadata;
  if (metadata === null || typeof metadata !== "object") return undefined;
  const value = (metadata as Record<string, unknown>)[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** metadata.resourceVersion: where a watch resumes. */
export function resourceVersionOf(object: unknown): string | undefined {
  return field(object, "resourceVersion");
}

/**
 * Whether an objectKey() is in a list-watch's scope: one namespace, or all (null). A relist
 * speaks only for its scope: with several namespaces watched, each has its own.
 */
export function inScope(key: string, namespace: string | null): boolean {
  return namespace === null || key.startsWith(`${namespace}/`);
}

/** `namespace/name`, unique in a cluster for a namespaced kind; undefined without a name. */
export function objectKey(object: unknown): string | undefined {
  const name = field(object, "name");
  if (name === undefined) return undefined;
  return `${field(object, "namespace") ?? ""}/${name}`;
}
