/**
 * The ingest worker: codec, validation, core state and exposition rendering, on a thread of
 * their own so that the main thread's Kafka client and HTTP server never wait for them.
 * Receives packed batches, answers with their outcomes, and sends snapshots after changes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createCodec, createRegistryReader } from "../../contract/index.ts";
import { createState } from "../core/index.ts";
import { createDomainView } from "../metrics/render/domain.ts";
import { createSnapshots } from "../metrics/render/snapshots.ts";
import { ingestBatch } from "./ingest-batch.ts";
import { type FromWorker, ownBuffer, type ToWorker, type WorkerSettings } from "./protocol.ts";

const port = parentPort;
if (!port) throw new Error("worker/thread.ts runs as a worker thread");

const settings = workerData as WorkerSettings | null;
// Single-object messages read as before; Confluent-framed ones through the ids taught below.
const registry = createRegistryReader(createCodec(), { configured: settings?.registry === true });
const read = registry.read;
const state = createState();
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const labels = settings?.labels ?? "test";
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
    post({ type: "done", id: message.id, ...outcome });
    if (state.revision !== before) snapshots.changed();
  } else if (message.type === "schema") {
    registry.learn(message.entry);
  } else {
    snapshots.request(message.format);
  }
});
