/**
 * The pipeline worker: codec, validation, core state and exposition rendering, on a thread of
 * their own so that the main thread's Kafka client and HTTP server never wait for them.
 * Receives packed batches, answers with their outcomes, and sends snapshots after changes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createCodec, createFactsReader } from "../../contract/index.ts";
import { createState } from "../core/index.ts";
import { ingestBatch } from "../ingest/index.ts";
import { createDomainView } from "../metrics/domain.ts";
import type { IdentityLabels } from "../metrics/identity-labels.ts";
import { createSnapshots } from "../metrics/snapshots.ts";
import { copyBytes, type FromWorker, ownBuffer, type ToWorker } from "./protocol.ts";

const port = parentPort;
if (!port) throw new Error("pipeline-worker.ts runs as a worker thread");

const read = createFactsReader(createCodec());
const state = createState();
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const labels = ((workerData as { labels?: IdentityLabels } | null)?.labels ?? "test") as IdentityLabels;
const snapshots = createSnapshots(createDomainView(state, labels), () => state.revision, {
  onSnapshot: (format, kind, snapshot) => {
    if (kind === "gzip") {
      const body = ownBuffer(snapshot.body);
      post({ type: "snapshot", format, revision: snapshot.revision, gzip: true, body }, [body]);
    } else {
      // Rendered into shared memory (below): both threads read the same bytes, no copy.
      post({
        type: "snapshot",
        format,
        revision: snapshot.revision,
        gzip: false,
        body: snapshot.body.buffer,
      });
    }
  },
  allocate: (length) => Buffer.from(new SharedArrayBuffer(length)),
});

port.on("message", (message: ToWorker) => {
  if (message.type === "batch") {
    const before = state.revision;
    const data = Buffer.from(message.data);
    const { index } = message;
    const { applied, retired, duplicate, rejects } = ingestBatch(read, state, { data, index });
    // The main thread no longer holds the batch: refused messages travel back with their bytes.
    const refused = rejects.map((r) => {
      const at = r.index << 2;
      return {
        ...r,
        key: copyBytes(data, index[at] as number, index[at + 1] as number),
        value: copyBytes(data, index[at + 2] as number, index[at + 3] as number),
      };
    });
    post({
      type: "done",
      id: message.id,
      tests: state.identities.length,
      retiredTests: state.retiredTests,
      collidingNames: state.collidingNames,
      newCollisions: state.newCollisions.splice(0),
      applied,
      retired,
      duplicate,
      rejects: refused,
    });
    if (state.revision !== before) snapshots.changed();
  } else {
    snapshots.show(message.format);
  }
});
