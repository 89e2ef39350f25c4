/**
 * Rendered domain expositions, kept ready as bytes (plain and gzip) so that a scrape only writes
 * them out. The state changes on events, not on scrapes: after a change the snapshot is rebuilt
 * in the background, at most once per `delayMs`, for the formats scrapers asked for. A scrape in
 * between gets the previous snapshot, at most delayMs + one render old.
 */
import { gzip } from "node:zlib";
import type { DomainView, ExpositionFormat } from "./domain.ts";

export interface Snapshot {
  revision: number;
  plain: Buffer;
  /** Filled in off the event loop (zlib's thread pool) shortly after plain. */
  gzip: Buffer | null;
}

export interface Snapshots {
  /** Domain metrics become visible: render now, keep rendering after changes from here on. */
  enable(): void;
  readonly enabled: boolean;
  /** The state changed. */
  changed(): void;
  /** The latest snapshot of a format, rendered now if that format was never asked for. */
  get(format: ExpositionFormat): Snapshot;
}

export function createSnapshots(domain: DomainView, revision: () => number, delayMs = 50): Snapshots {
  const latest = new Map<ExpositionFormat, Snapshot>();
  let enabled = false;
  let timer: NodeJS.Timeout | undefined;

  function render(format: ExpositionFormat): Snapshot {
    const snapshot: Snapshot = {
      revision: revision(),
      plain: Buffer.from(domain.render(format)),
      gzip: null,
    };
    latest.set(format, snapshot);
    gzip(snapshot.plain, { level: 1 }, (err, compressed) => {
      if (!err) snapshot.gzip = compressed;
    });
    return snapshot;
  }

  function refresh(): void {
    timer = undefined;
    for (const [format, snapshot] of latest) if (snapshot.revision !== revision()) render(format);
  }

  return {
    enable() {
      enabled = true;
      render("text");
    },
    get enabled() {
      return enabled;
    },
    changed() {
      if (enabled && timer === undefined) timer = setTimeout(refresh, delayMs);
    },
    get(format) {
      return latest.get(format) ?? render(format);
    },
  };
}
