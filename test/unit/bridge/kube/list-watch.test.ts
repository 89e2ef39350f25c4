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
      onPage: () => {},
      onListed: () => {},
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

/** A transport whose list pages wait for the test; its watch, like the real one, never calls onDone once stopped. */
function gatedTransport(pages: number) {
  const gates: Array<() => void> = [];
  const requested: Array<Promise<void>> = [];
  const watches: string[] = [];
  let announce: (() => void)[] = [];
  for (let i = 0; i < pages; i++) {
    requested.push(new Promise<void>((r) => announce.push(r)));
  }
  const transport: KubeTransport = {
    server: "fake",
    async list(_resource, _namespace, token) {
      const n = token === undefined ? 0 : Number(token);
      announce[n]?.();
      await new Promise<void>((r) => gates.push(r));
      const last = n === pages - 1;
      return {
        items: [{ metadata: { namespace: "ns", name: `t${n}` } }],
        resourceVersion: "7",
        ...(last ? {} : { continueToken: String(n + 1) }),
      };
    },
    async watch(_resource, _namespace, from) {
      watches.push(from);
      return () => {};
    },
  };
  const release = () => gates.shift()?.();
  announce = announce.slice();
  return { transport, requested, release, watches };
}

function start(transport: KubeTransport, lists: unknown[][]) {
  const pages: unknown[][] = [];
  return startListWatch({
    transport,
    resource: { group: "restore.kymaros.io", version: "v1alpha1", plural: "restoretests" },
    namespace: null,
    handler: {
      onPage: (items) => pages.push(items),
      onListed: () => lists.push(pages.flat()),
      onEvent: () => {},
    },
    backoff: createBackoff(1, 1),
    logger: createLogger("error", () => {}),
    onError: () => {},
  });
}

test("a stop while the list is in flight ends the loop; no watch is started", {
  timeout: 10_000,
}, async () => {
  const fake = gatedTransport(1);
  const lists: unknown[][] = [];
  const watch = start(fake.transport, lists);
  await fake.requested[0];
  const stopped = watch.stop();
  fake.release();
  await stopped;
  assert.deepEqual(fake.watches, []);
  assert.deepEqual(lists, []);
});

test("a stop during a paged list hands no partial list to the handler (it would retire what exists)", {
  timeout: 10_000,
}, async () => {
  const fake = gatedTransport(3);
  const lists: unknown[][] = [];
  const watch = start(fake.transport, lists);
  await fake.requested[0];
  fake.release();
  await fake.requested[1];
  const stopped = watch.stop();
  fake.release();
  await stopped;
  assert.deepEqual(lists, []);
  assert.deepEqual(fake.watches, []);
});

test("a paged list reaches the handler a page at a time, then onListed once", {
  timeout: 10_000,
}, async () => {
  const fake = gatedTransport(3);
  const calls: string[] = [];
  const watch = startListWatch({
    transport: fake.transport,
    resource: { group: "restore.kymaros.io", version: "v1alpha1", plural: "restorereports" },
    namespace: null,
    handler: {
      onPage: (items, first) =>
        calls.push(
          `${first ? "first " : ""}${(items as { metadata: { name: string } }[]).map((i) => i.metadata.name)}`,
        ),
      onListed: () => calls.push("listed"),
      onEvent: () => {},
    },
    backoff: createBackoff(1, 1),
    logger: createLogger("error", () => {}),
    onError: () => {},
  });
  for (let i = 0; i < 3; i++) {
    await fake.requested[i];
    // Each page is handed over before the next is asked for.
    assert.equal(calls.length, i);
    fake.release();
  }
  while (fake.watches.length === 0) await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, ["first t0", "t1", "t2", "listed"]);
  await watch.stop();
});
