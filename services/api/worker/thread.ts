/**
 * The ingest worker: codec, validation, core state and exposition rendering, on a thread of
 * their own so that the main thread's Kafka client and HTTP server never wait for them.
 * Receives packed batches, answers with their outcomes, and sends snapshots after changes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createCodec, createFactsReader } from "../../contract/index.ts";
import { ChangeTracker } from "../changelog/tracker.ts";
import { createState } from "../core/index.ts";
import { createDomainView } from "../metrics/render/domain.ts";
import { createSnapshots } from "../metrics/render/snapshots.ts";
import { flushPartition, restorePacked } from "./changelog.ts";
import { ingestBatch } from "./ingest-batch.ts";
import { type FromWorker, ownBuffer, type ToWorker, type WorkerSettings } from "./protocol.ts";

const port = parentPort;
if (!port) throw new Error("worker/thread.ts runs as a worker thread");

const read = createFactsReader(createCodec());
const state = createState();
const tracker = new ChangeTracker(state);
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const labels = (workerData as WorkerSettings | null)?.labels ?? "test";
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
    const outcome = ingestBatch(read, state, message);
    tracker.note(message.partition);
    post({ type: "done", id: message.id, ...outcome });
    if (state.revision !== before) snapshots.changed();
  } else if (message.type === "restore") {
    post({ type: "restored", id: message.id, ...restorePacked(state, tracker, message) });
    snapshots.changed();
  } else if (message.type === "flush") {
    const packed = flushPartition(tracker, message.partition, message.appliedThrough);
    post({ type: "flushed", id: message.id, ...packed }, [packed.data, packed.index.buffer as ArrayBuffer]);
  } else {
    snapshots.request(message.format);
  }
});
