/**
 * The Kubernetes API as the bridge uses it: paged lists and watches of one custom resource,
 * cluster-wide or in one namespace, through @kubernetes/client-node. Failures come out as
 * KubeError with the HTTP status when there is one, so the list-watch loop can tell a 410 Gone
 * (relist) from an outage (retry).
 */
import { ApiException, CustomObjectsApi, KubeConfig, Watch } from "@kubernetes/client-node";
import { ConfigError } from "../../config/errors.ts";

export interface Resource {
  group: string;
  version: string;
  plural: string;
}

export interface ListPage {
  items: unknown[];
  resourceVersion: string;
  /** Set when more pages follow. */
  continueToken?: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchEvent {
  type: WatchEventType;
  object: unknown;
}

export class KubeError extends Error {
  override readonly name = "KubeError";
  constructor(
    message: string,
    /** The HTTP status (or a watch ERROR event's Status code); undefined for a transport failure. */
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

export interface KubeTransport {
  list(resource: Resource, namespace: string | null, continueToken?: string): Promise<ListPage>;
  /**
   * Starts a watch from resourceVersion; onEvent gets each event, onDone once when the watch
   * ends (null: closed by the server, as watches routinely are). Resolves with a stop function.
   */
  watch(
    resource: Resource,
    namespace: string | null,
    resourceVersion: string,
    onEvent: (event: WatchEvent) => void,
    onDone: (err: KubeError | null) => void,
  ): Promise<() => void>;
  /** The API server's URL, for logs. */
  readonly server: string;
}

/** Small pages: a RestoreReport carries up to 512 KB of pod logs, and a page is held while it is handled. */
const PAGE_SIZE = 50;
/** The server ends a watch after this, and the loop resumes it: a dead connection cannot hang on. */
const WATCH_TIMEOUT_SECONDS = 300;

/** Loads the kubeconfig file, or the default (KUBECONFIG, ~/.kube/config, in-cluster). */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (file === undefined) kc.loadFromDefault();
    else kc.loadFromFile(file);
  } catch (err) {
    throw new ConfigError(
      "KYMAROS_KUBECONFIG",
      `cannot load ${file ?? "the default kubeconfig"}: ${(err as Error).message}`,
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new ConfigError(
      "KYMAROS_KUBECONFIG",
      file === undefined
        ? "no cluster: not in a pod and no kubeconfig (set KYMAROS_KUBECONFIG or KUBECONFIG)"
        : `${file} has no current cluster`,
    );
  }
  return kc;
}

function isObj(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function toKubeError(err: unknown, what: string): KubeError {
  if (err instanceof KubeError) return err;
  if (err instanceof ApiException) return new KubeError(`${what}: HTTP ${err.code}`, err.code);
  const status = isObj(err) && typeof err.statusCode === "number" ? err.statusCode : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return new KubeError(`${what}: ${message}`, status);
}

function path(resource: Resource, namespace: string | null): string {
  const ns = namespace === null ? "" : `/namespaces/${encodeURIComponent(namespace)}`;
  return `/apis/${resource.group}/${resource.version}${ns}/${resource.plural}`;
}

export function createKubeTransport(kc: KubeConfig): KubeTransport {
  const api = kc.makeApiClient(CustomObjectsApi);
  const watcher = new Watch(kc);
  return {
    server: kc.getCurrentCluster()?.server ?? "(none)",
    async list(resource, namespace, continueToken) {
      const what = `list ${path(resource, namespace)}`;
      let body: unknown;
      try {
        body =
          namespace === null
            ? await api.listClusterCustomObject({ ...resource, limit: PAGE_SIZE, _continue: continueToken })
            : await api.listNamespacedCustomObject({
                ...resource,
                namespace,
                limit: PAGE_SIZE,
                _continue: continueToken,
              });
      } catch (err) {
        throw toKubeError(err, what);
      }
      if (!isObj(body) || !Array.isArray(body.items) || !isObj(body.metadata)) {
        throw new KubeError(`${what}: the answer is not a list`, undefined);
      }
      const rv = body.metadata.resourceVersion;
      if (typeof rv !== "string") throw new KubeError(`${what}: the list has no resourceVersion`, undefined);
      const next = body.metadata.continue;
      const page: ListPage = { items: body.items, resourceVersion: rv };
      if (typeof next === "string" && next !== "") page.continueToken = next;
      return page;
    },
    async watch(resource, namespace, resourceVersion, onEvent, onDone) {
      const what = `watch ${path(resource, namespace)}`;
      let ended = false;
      const done = (err: unknown) => {
        if (ended) return;
        ended = true;
        onDone(err === null || err === undefined ? null : toKubeError(err, what));
      };
      const controller = await watcher.watch(
        path(resource, namespace),
        { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_SECONDS },
        (type: string, object: unknown) => {
          if (ended) return;
          if (type === "ERROR") {
            // A Status object: 410 Gone when resourceVersion is too old.
            const code = isObj(object) && typeof object.code === "number" ? object.code : undefined;
            const message =
              isObj(object) && typeof object.message === "string" ? object.message : "watch error";
            done(new KubeError(`${what}: ${message}`, code));
            return;
          }
          onEvent({ type: type as WatchEventType, object });
        },
        done,
      );
      return () => {
        ended = true;
        controller.abort();
      };
    },
  };
}
