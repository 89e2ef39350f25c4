/**
 * The main thread's side of the ingest worker: hands batches over and resolves with their
 * outcomes (in order), and keeps the latest snapshots the worker sent for the metrics view.
 */
import { Worker } from "node:worker_threads";
import type { RegistrySchema } from "../../contract/index.ts";
import type { ExpositionFormat } from "../metrics/render/domain.ts";
import type { IdentityLabels } from "../metrics/render/identity-labels.ts";
import { createSnapshotStore, type SnapshotSource } from "../metrics/serve/snapshot-store.ts";
import type { TestsQuery } from "../status/query.ts";
import type { TestsPage, TestsSource } from "../status/tests.ts";
import {
  type BatchOutcome,
  type FromWorker,
  type IngestBatch,
  pack,
  type ToWorker,
  type WorkerSettings,
} from "./protocol.ts";

export interface IngestWorker {
  ingestBatch: IngestBatch;
  /** A registry id's writer schema, for the batches posted after it. */
  teach(entry: RegistrySchema): void;
  /** The replay caught up: make the domain metrics visible, in this format to begin with. */
  publish(format: ExpositionFormat): void;
  readonly snapshots: SnapshotSource;
  /** The status page's tests, selected on the worker from the rows of its last snapshot. */
  readonly tests: TestsSource;
  close(): Promise<void>;
}

const fromSources = import.meta.url.endsWith(".ts");
const entry = new URL(fromSources ? "./thread.ts" : "./thread.js", import.meta.url);

/**
 * The worker allocates little per event (a few boxed numbers: the facts object is reused and
 * runIds stay bytes), so V8's default young generation, sized for allocation-heavy code, would
 * mostly hold empty pages: a small cap keeps the process small (the bench's memory and replay
 * figures show the effect).
 */
const resourceLimits = { maxYoungGenerationSizeMb: 12 };

/** Built, the worker is plain JavaScript; from the sources (tsx), it needs tsx's loader too. */
function spawnWorker(labels: IdentityLabels, registry: boolean): Worker {
  const workerData: WorkerSettings = { labels, registry };
  if (!fromSources) return new Worker(entry, { resourceLimits, workerData });
  const boot = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, resourceLimits, workerData });
}

export function startIngestWorker(
  onFatal: (error: Error) => void,
  labels: IdentityLabels = "test",
  registry = false,
): IngestWorker {
  const worker = spawnWorker(labels, registry);
  const pending = new Map<number, (outcome: BatchOutcome) => void>();
  const pages = new Map<number, (page: TestsPage) => void>();
  let nextId = 0;
  let closing = false;

  const send = (message: ToWorker, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer);
  const snapshots = createSnapshotStore((format) => send({ type: "render", format }));

  worker.on("message", (message: FromWorker) => {
    if (message.type === "tests") {
      pages.get(message.id)?.(message.page);
      pages.delete(message.id);
      return;
    }
    if (message.type === "done") {
      const { type: _t, id, ...outcome } = message;
      pending.get(id)?.(outcome);
      pending.delete(id);
      return;
    }
    const snapshot = { revision: message.revision, body: Buffer.from(message.body) };
    snapshots.put(message.format, message.gzip ? "gzip" : "plain", snapshot);
  });
  worker.on("error", (err) => onFatal(err));
  worker.on("exit", (code) => {
    if (!closing) onFatal(new Error(`ingest worker exited with code ${code}`));
  });

  return {
    ingestBatch(messages) {
      const id = nextId++;
      const packed = pack(messages);
      return new Promise((resolve) => {
        pending.set(id, resolve);
        send({ type: "batch", id, ...packed }, [packed.data, packed.index.buffer as ArrayBuffer]);
      });
    },
    teach: (entry) => send({ type: "schema", entry }),
    publish: (format) => snapshots.publish(format),
    snapshots,
    tests: {
      select(query: TestsQuery) {
        const id = nextId++;
        return new Promise<TestsPage>((resolve) => {
          pages.set(id, resolve);
          send({ type: "tests", id, query });
        });
      },
    },
    async close() {
      closing = true;
      await worker.terminate();
    },
  };
}
