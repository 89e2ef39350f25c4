/**
 * The ingest worker: codec, validation, core state and exposition rendering, on a thread of
 * their own so that the main thread's Kafka client and HTTP server never wait for them.
 * Receives packed batches, answers with their outcomes, and sends snapshots after changes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createCodec, createRegistryReader } from "../../contract/index.ts";
import { ChangeTracker } from "../changelog/tracker.ts";
import { createState } from "../core/index.ts";
import { createDomainView } from "../metrics/render/domain.ts";
import { createSnapshots } from "../metrics/render/snapshots.ts";
import { createTestsTable } from "../status/tests.ts";
import { flushPartition, restorePacked } from "./changelog.ts";
import { ingestBatch } from "./ingest-batch.ts";
import { type FromWorker, ownBuffer, type ToWorker, type WorkerSettings } from "./protocol.ts";

const port = parentPort;
if (!port) throw new Error("worker/thread.ts runs as a worker thread");

const settings = workerData as WorkerSettings | null;
// Single-object messages read as before; Confluent-framed ones through the ids taught below.
const registry = createRegistryReader(createCodec(), { configured: settings?.registry === true });
const read = registry.read;
const state = createState();
const tracker = new ChangeTracker(state);
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const labels = settings?.labels ?? "test";
/**
 * The status page's rows of the last plain snapshot posted: a page is selected here, off the
 * main thread (decoding and sorting 10k rows would delay scrapes), and from rows no newer than
 * the /metrics snapshot the main thread holds by the time the answer arrives (posted after it).
 */
let rows: { revision: number; rows: Buffer } | null = null;
const table = createTestsTable({ latestRows: () => rows });
const snapshots = createSnapshots(createDomainView(state, labels), () => state.revision, {
  onSnapshot: (format, kind, snapshot) => {
    if (kind === "gzip") {
      const body = ownBuffer(snapshot.body);
      post({ type: "snapshot", format, revision: snapshot.revision, gzip: true, body }, [body]);
    } else {
      if (snapshot.rows && (rows === null || snapshot.revision >= rows.revision)) {
        rows = { revision: snapshot.revision, rows: snapshot.rows };
      }
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
  } else if (message.type === "tests") {
    post({ type: "tests", id: message.id, page: table.select(message.query) });
  } else if (message.type === "schema") {
    registry.learn(message.entry);
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
