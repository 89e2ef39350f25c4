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
  KEY_LENGTH,
  KEY_START,
  MESSAGE_FIELDS,
  type PackedBatch,
  pack,
  type RawMessage,
  type RestoreOutcome,
  type ToWorker,
  VALUE_LENGTH,
  VALUE_START,
  type WorkerSettings,
} from "./protocol.ts";

/** A packed batch's messages again, each key and value a view of the one buffer. */
function unpack({ data, index }: PackedBatch): RawMessage[] {
  const bytes = Buffer.from(data);
  const view = (start: number, length: number) => (length < 0 ? null : bytes.subarray(start, start + length));
  const out: RawMessage[] = [];
  for (let at = 0; at < index.length; at += MESSAGE_FIELDS) {
    out.push({
      key: view(index[at + KEY_START] as number, index[at + KEY_LENGTH] as number),
      value: view(index[at + VALUE_START] as number, index[at + VALUE_LENGTH] as number),
    });
  }
  return out;
}

/** A partition's changelog records; frozen: without a checkpoint (see changelog/tracker.ts). */
export interface FlushOutcome {
  records: RawMessage[];
  frozen: boolean;
}

export interface IngestWorker {
  ingestBatch: IngestBatch;
  /** A registry id's writer schema, for the batches posted after it. */
  teach(entry: RegistrySchema): void;
  /** Loads a partition's changelog records into the state (before its first batch). */
  restore(partition: number, records: readonly RawMessage[]): Promise<RestoreOutcome>;
  /** The changelog records that bring the partition up to date, checkpoint at appliedThrough. */
  flush(partition: number, appliedThrough: number): Promise<FlushOutcome>;
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
  const answers = new Map<number, (message: FromWorker) => void>();
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
    if (message.type === "restored" || message.type === "flushed") {
      answers.get(message.id)?.(message);
      answers.delete(message.id);
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
    ingestBatch(messages, partition) {
      const id = nextId++;
      const packed = pack(messages);
      return new Promise((resolve) => {
        pending.set(id, resolve);
        send({ type: "batch", id, partition, ...packed }, [packed.data, packed.index.buffer as ArrayBuffer]);
      });
    },
    restore(partition, records) {
      const id = nextId++;
      const { data, index } = pack(records);
      return new Promise((resolve) => {
        answers.set(id, (m) => {
          if (m.type === "restored")
            resolve({ checkpoint: m.checkpoint, identities: m.identities, error: m.error });
        });
        send({ type: "restore", id, partition, data, index }, [data, index.buffer as ArrayBuffer]);
      });
    },
    flush(partition, appliedThrough) {
      const id = nextId++;
      return new Promise((resolve) => {
        answers.set(id, (m) => {
          if (m.type === "flushed") resolve({ records: unpack(m), frozen: m.frozen });
        });
        send({ type: "flush", id, partition, appliedThrough });
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
