/**
 * The bridge's list-watch on a fake transport: every server-closed watch is resumed from the
 * last resourceVersion seen, events reach the handler in order, and resuming for ever leaves
 * nothing behind (a listener per watch on the stop signal once did).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createBackoff } from "../../../../services/bridge/backoff.ts";
import type { KubeTransport, WatchEvent } from "../../../../services/bridge/kube/client.ts";
import { startListWatch } from "../../../../services/bridge/kube/list-watch.ts";
import { createLogger } from "../../../../services/log/logger.ts";

test("server-closed watches resume from the last resourceVersion, many times, without leaking", async () => {
  const WATCHES = 40;
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", onWarning);
  const resumedFrom: string[] = [];
  let allWatched: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allWatched = resolve;
  });
  const transport: KubeTransport = {
    server: "fake",
    async list() {
      return { items: [], resourceVersion: "0" };
    },
    async watch(_resource, _namespace, from, onEvent, onDone) {
      resumedFrom.push(from);
      const n = resumedFrom.length;
      if (n > WATCHES) {
        allWatched();
        return () => {};
      }
      // One event, then the server closes the watch (as it does at its timeout).
      setImmediate(() => {
        onEvent({ type: "ADDED", object: { metadata: { name: `t${n}`, resourceVersion: String(n) } } });
        onDone(null);
      });
      return () => {};
    },
  };
  const seen: string[] = [];
  const watch = startListWatch({
    transport,
    resource: { group: "restore.kymaros.io", version: "v1alpha1", plural: "restoretests" },
    namespace: null,
    handler: {
      onList: () => {},
      onEvent: (e: WatchEvent) => seen.push((e.object as { metadata: { name: string } }).metadata.name),
    },
    backoff: createBackoff(1, 1),
    logger: createLogger("error", () => {}),
    onError: () => {},
  });
  await done;
  assert.equal(watch.healthy(), true);
  await watch.stop();
  // Let a warning emitted on the last resume reach the listener.
  await new Promise((r) => setImmediate(r));
  process.off("warning", onWarning);
  assert.deepEqual(
    resumedFrom,
    Array.from({ length: WATCHES + 1 }, (_, i) => String(i)),
  );
  assert.deepEqual(
    seen,
    Array.from({ length: WATCHES }, (_, i) => `t${i + 1}`),
  );
  assert.deepEqual(warnings, []);
});
