/**
 * The latest domain snapshots where /metrics is served (the main thread), as the renderer
 * (on the worker thread) hands them over: the one SnapshotSource of the service and its tests.
 */
import type { ExpositionFormat } from "../render/domain.ts";
import type { Snapshot } from "../render/snapshots.ts";

/** What the metrics view reads. */
export interface SnapshotSource {
  /** False until the domain metrics may be shown (the replay caught up). */
  readonly enabled: boolean;
  /** The latest plain snapshot and, once made, its compressed form; waits for the first. */
  latest(format: ExpositionFormat): Promise<{ plain: Snapshot; gzip: Snapshot | null }>;
}

export interface SnapshotStore extends SnapshotSource {
  /** The replay caught up: the domain metrics become visible, rendered in this format. */
  publish(format: ExpositionFormat): void;
  /** A snapshot the renderer made. */
  put(format: ExpositionFormat, kind: "plain" | "gzip", snapshot: Snapshot): void;
}

/** `render` asks the renderer to render a format from now on; it is called once per format. */
export function createSnapshotStore(render: (format: ExpositionFormat) => void): SnapshotStore {
  const latest = new Map<ExpositionFormat, { plain: Snapshot | null; gzip: Snapshot | null }>();
  const waiting = new Map<ExpositionFormat, (() => void)[]>();

  /** A scraper (or the caught-up switch) wants this format: the first time, the renderer is asked for it too. */
  const request = (format: ExpositionFormat) => {
    if (!latest.has(format)) {
      latest.set(format, { plain: null, gzip: null });
      render(format);
    }
  };

  return {
    get enabled() {
      return latest.get("text")?.plain != null;
    },
    publish: request,
    put(format, kind, snapshot) {
      const entry = latest.get(format) ?? { plain: null, gzip: null };
      entry[kind] = snapshot;
      latest.set(format, entry);
      for (const wake of waiting.get(format) ?? []) wake();
      waiting.delete(format);
    },
    async latest(format) {
      request(format);
      let current = latest.get(format);
      while (!current?.plain) {
        await new Promise<void>((wake) => waiting.set(format, [...(waiting.get(format) ?? []), wake]));
        current = latest.get(format);
      }
      return { plain: current.plain, gzip: current.gzip };
    },
  };
}
