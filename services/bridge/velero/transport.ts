/**
 * Velero's objects as the bridge reads them: one get of a Restore or a Backup (velero.io/v1) in
 * Velero's namespace, nothing else (the Role grants get only). A 404 is an answer (the object is
 * gone, as Velero's garbage collection does), not a failure; every other failure comes out as a
 * KubeError with the HTTP status when there is one.
 */
import { ApiException, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { KubeError } from "../kube/client.ts";

export type VeleroKind = "restores" | "backups";

/** The seam the lookup uses: the real API server here, a fake in the unit tests. */
export interface VeleroTransport {
  /** The object, or null when the API server answers 404 Not Found. */
  get(kind: VeleroKind, namespace: string, name: string): Promise<unknown | null>;
}

export const VELERO_GROUP = "velero.io";
export const VELERO_VERSION = "v1";

function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (err !== null && typeof err === "object") {
    const code = (err as { statusCode?: unknown }).statusCode;
    if (typeof code === "number") return code;
  }
  return undefined;
}

export function createVeleroTransport(kc: KubeConfig): VeleroTransport {
  const api = kc.makeApiClient(CustomObjectsApi);
  return {
    async get(kind, namespace, name) {
      const what = `get /apis/${VELERO_GROUP}/${VELERO_VERSION}/namespaces/${namespace}/${kind}/${name}`;
      try {
        return await api.getNamespacedCustomObject({
          group: VELERO_GROUP,
          version: VELERO_VERSION,
          namespace,
          plural: kind,
          name,
        });
      } catch (err) {
        const status = statusOf(err);
        if (status === 404) return null;
        const detail =
          status === undefined ? (err instanceof Error ? err.message : String(err)) : `HTTP ${status}`;
        throw new KubeError(`${what}: ${detail}`, status);
      }
    },
  };
}
