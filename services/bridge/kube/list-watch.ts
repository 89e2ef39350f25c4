/**
 * List then watch one resource, for ever: a full (paged) list gives the complete set and a
 * resourceVersion, a watch from there gives the changes. A watch the server closes is resumed
 * from the last resourceVersion seen; 410 Gone (that version was compacted away) relists at
 * once; any other failure (API server down, restarting, refusing) retries the same step with
 * backoff. Nothing is missed: events since the last version seen come on the resumed watch,
 * and a relist returns everything that exists.
 */
import type { Logger } from "../../log/logger.ts";
import { type Backoff, sleep } from "../backoff.ts";
import { KubeError, type KubeTransport, type Resource, type WatchEvent } from "./client.ts";
import { resourceVersionOf } from "./object.ts";

export interface ListWatchHandler {
  /**
   * Each page of a (re)list as it arrives: pages are not kept, so memory holds one page of
   * objects (reports carry up to 512 KB of pod logs each), not the whole list.
   */
  onPage(items: unknown[], first: boolean): void;
  /** The (re)list is complete: its pages held every object that exists now. Not called for a list stopped part-way. */
  onListed(): void;
  /** ADDED, MODIFIED or DELETED. */
  onEvent(event: WatchEvent): void;
}

export type KubeErrorKind = "kube_list" | "kube_watch" | "kube_gone";

export interface ListWatchOptions {
  transport: KubeTransport;
  resource: Resource;
  /** null: all namespaces. */
  namespace: string | null;
  handler: ListWatchHandler;
  backoff: Backoff;
  logger: Logger;
  onError(kind: KubeErrorKind, err: KubeError): void;
}

export interface ListWatch {
  /** True while the last list or watch request succeeded (and a list has completed). */
  healthy(): boolean;
  stop(): Promise<void>;
}

/** A complete list, page by page to the handler; null when stopped part-way (a partial list would retire what exists). */
async function listAll(o: ListWatchOptions, signal: AbortSignal, where: string): Promise<string | null> {
  let count = 0;
  let token: string | undefined;
  let rv = "";
  do {
    const page = await o.transport.list(o.resource, o.namespace, token);
    if (signal.aborted) return null;
    o.handler.onPage(page.items, token === undefined);
    count += page.items.length;
    rv = page.resourceVersion;
    token = page.continueToken;
  } while (token !== undefined);
  o.handler.onListed();
  o.logger.info("listed", { resource: where, items: count, resourceVersion: rv });
  return rv;
}

export function startListWatch(o: ListWatchOptions): ListWatch {
  const abort = new AbortController();
  let healthy = false;
  let stopWatch: (() => void) | undefined;
  const where = `${o.resource.plural}${o.namespace === null ? "" : ` in ${o.namespace}`}`;

  /** One watch until it ends; resolves with the last resourceVersion seen. */
  function watch(from: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let last = from;
      let finished = false;
      // An abort listener added to a signal already aborted never fires.
      if (abort.signal.aborted) {
        resolve(last);
        return;
      }
      // stop() aborts the watch without an onDone: end this wait too. Removed when the watch
      // ends, or every resumed watch (one per server timeout, for ever) would leave one behind.
      const onAbort = () => resolve(last);
      abort.signal.addEventListener("abort", onAbort, { once: true });
      o.transport
        .watch(
          o.resource,
          o.namespace,
          from,
          (event) => {
            last = resourceVersionOf(event.object) ?? last;
            if (event.type !== "BOOKMARK") o.handler.onEvent(event);
          },
          (err) => {
            finished = true;
            stopWatch = undefined;
            abort.signal.removeEventListener("abort", onAbort);
            if (err) reject(err);
            else resolve(last);
          },
        )
        .then(
          (stop) => {
            if (abort.signal.aborted) stop();
            else if (!finished) {
              stopWatch = stop;
              // The server answered 200: the watch is established.
              healthy = true;
              o.backoff.reset();
            }
          },
          (err: unknown) => {
            abort.signal.removeEventListener("abort", onAbort);
            reject(err);
          },
        );
    });
  }

  const loop = (async () => {
    let rv: string | null = null;
    while (!abort.signal.aborted) {
      try {
        if (rv === null) {
          rv = await listAll(o, abort.signal, where);
          if (rv === null) break;
          healthy = true;
          o.backoff.reset();
        }
        if (abort.signal.aborted) break;
        rv = await watch(rv);
      } catch (caught) {
        if (abort.signal.aborted) break;
        const err = caught instanceof KubeError ? caught : new KubeError(String(caught), undefined);
        if (err.status === 410) {
          o.onError("kube_gone", err);
          o.logger.info("resourceVersion expired (410 Gone): relisting", { resource: where });
          rv = null;
          continue;
        }
        healthy = false;
        const wait = o.backoff.next();
        o.onError(rv === null ? "kube_list" : "kube_watch", err);
        o.logger.warn("API server request failed; retrying", {
          resource: where,
          error: err,
          retryInMs: wait,
        });
        await sleep(wait, abort.signal);
      }
    }
  })();

  return {
    healthy: () => healthy && !abort.signal.aborted,
    async stop() {
      abort.abort();
      stopWatch?.();
      await loop;
    },
  };
}
