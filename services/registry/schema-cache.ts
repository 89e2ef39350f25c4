/**
 * Writer schemas by id, for the life of the process: an id names one schema forever, so each is
 * fetched once. A 404 (or another refusal) is kept for a while only (notFoundMs): the id may be registered later, and
 * meanwhile one bad id does not cost a request per message. Concurrent asks share one request.
 */
import type { RegistrySchema } from "../contract/index.ts";
import type { RegistryClient } from "./client.ts";

export interface SchemaCache {
  /** The known answer for the id, when fresh; undefined when it must be fetched. */
  peek(id: number): RegistrySchema | undefined;
  /** The answer, fetched when not fresh; throws RegistryUnavailable like the client. */
  get(id: number): Promise<RegistrySchema>;
}

export function createSchemaCache(
  client: Pick<RegistryClient, "schemaById">,
  options: { notFoundMs?: number; now?: () => number } = {},
): SchemaCache {
  const notFoundMs = options.notFoundMs ?? 60_000;
  const now = options.now ?? Date.now;
  const known = new Map<number, { entry: RegistrySchema; until: number }>();
  const inFlight = new Map<number, Promise<RegistrySchema>>();

  const peek = (id: number) => {
    const hit = known.get(id);
    return hit !== undefined && hit.until > now() ? hit.entry : undefined;
  };

  return {
    peek,
    get(id) {
      const hit = peek(id);
      if (hit) return Promise.resolve(hit);
      let pending = inFlight.get(id);
      if (!pending) {
        pending = client.schemaById(id).then((entry) => {
          known.set(id, {
            entry,
            until: entry.schema === null ? now() + notFoundMs : Number.POSITIVE_INFINITY,
          });
          return entry;
        });
        const forget = () => inFlight.delete(id);
        pending.then(forget, forget);
        inFlight.set(id, pending);
      }
      return pending;
    },
  };
}
