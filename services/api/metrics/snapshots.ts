/**
 * Rendered domain expositions, kept ready as bytes (plain and gzip) so that a scrape only writes
 * them out. The state changes on events, not on scrapes: after a change the snapshot is rebuilt
 * in the background, at most once per `delayMs`, for the formats scrapers asked for, and
 * compressed on zlib's thread pool, one compression per format at a time. A scrape in between
 * gets the previous snapshot: at most delayMs + one render (+ one compression) old.
 */
import { gzip } from "node:zlib";
import type { DomainView, ExpositionFormat } from "./domain.ts";

export interface Snapshot {
  revision: number;
  body: Buffer;
}

/** What the metrics view reads: the latest snapshots, wherever they are rendered. */
export interface SnapshotSource {
  /** False until the domain metrics may be shown (the replay caught up). */
  readonly enabled: boolean;
  /** The latest plain snapshot and, once made, its compressed form. */
  latest(format: ExpositionFormat): Promise<{ plain: Snapshot; gzip: Snapshot | null }>;
}

export interface Snapshots extends SnapshotSource {
  /** Domain metrics become visible for this format: render now, and after changes from here on. */
  show(format: ExpositionFormat): void;
  /** The state changed. */
  changed(): void;
}

export type SnapshotListener = (format: ExpositionFormat, kind: "plain" | "gzip", snapshot: Snapshot) => void;

interface FormatState {
  plain: Snapshot;
  gzip: Snapshot | null;
  compressing: boolean;
}

export function createSnapshots(
  domain: DomainView,
  revision: () => number,
  onSnapshot: SnapshotListener = () => {},
  delayMs = 50,
  allocate: (length: number) => Buffer = Buffer.allocUnsafe,
): Snapshots {
  const formats = new Map<ExpositionFormat, FormatState>();
  let timer: NodeJS.Timeout | undefined;

  function compress(format: ExpositionFormat, state: FormatState): void {
    if (state.compressing || state.gzip?.revision === state.plain.revision) return;
    const source = state.plain;
    state.compressing = true;
    gzip(source.body, { level: 1 }, (err, compressed) => {
      state.compressing = false;
      if (!err) {
        state.gzip = { revision: source.revision, body: compressed };
        onSnapshot(format, "gzip", state.gzip);
      }
      // Changes that came in meanwhile: compress their snapshot too.
      compress(format, state);
    });
  }

  function render(format: ExpositionFormat): FormatState {
    const plain = { revision: revision(), body: domain.render(format, allocate) };
    let state = formats.get(format);
    if (state === undefined) {
      state = { plain, gzip: null, compressing: false };
      formats.set(format, state);
    } else {
      state.plain = plain;
    }
    onSnapshot(format, "plain", plain);
    compress(format, state);
    return state;
  }

  function refresh(): void {
    timer = undefined;
    for (const [format, state] of formats) if (state.plain.revision !== revision()) render(format);
  }

  return {
    get enabled() {
      return formats.size > 0;
    },
    show(format) {
      if (!formats.has(format)) render(format);
    },
    changed() {
      if (formats.size > 0 && timer === undefined) timer = setTimeout(refresh, delayMs);
    },
    async latest(format) {
      const state = formats.get(format) ?? render(format);
      return { plain: state.plain, gzip: state.gzip };
    },
  };
}
