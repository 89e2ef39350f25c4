import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExpositionFormat } from "../../../../../services/api/metrics/render/domain.ts";
import { createSnapshotStore } from "../../../../../services/api/metrics/serve/snapshot-store.ts";

const snapshot = (revision: number, body: string) => ({ revision, body: Buffer.from(body) });

test("the snapshot store asks once per format, waits for the first plain snapshot, then serves the latest", async () => {
  const asked: ExpositionFormat[] = [];
  const store = createSnapshotStore((format) => asked.push(format));
  assert.equal(store.enabled, false);

  const served: { plain: { revision: number }; gzip: { revision: number } | null }[] = [];
  const waiting = store.latest("text").then((s) => served.push(s));
  store.publish("text");
  assert.deepEqual(asked, ["text"], "one request per format, however often it is wanted");
  await Promise.resolve();
  assert.equal(served.length, 0, "nothing to serve before the first snapshot");

  store.put("text", "gzip", snapshot(1, "z"));
  await Promise.resolve();
  assert.equal(served.length, 0, "a compressed snapshot alone is not enough");
  assert.equal(store.enabled, false);

  store.put("text", "plain", snapshot(2, "p"));
  await waiting;
  assert.equal(store.enabled, true);
  assert.deepEqual([served[0]?.plain.revision, served[0]?.gzip?.revision], [2, 1]);

  store.put("text", "plain", snapshot(3, "q"));
  const latest = await store.latest("text");
  assert.equal(latest.plain.body.toString(), "q");

  // OpenMetrics does not make the domain metrics visible: only text, after the replay, does.
  const other = createSnapshotStore((format) => asked.push(format));
  other.put("openmetrics", "plain", snapshot(1, "o"));
  assert.equal(other.enabled, false);
  assert.equal((await other.latest("openmetrics")).plain.body.toString(), "o");
});
