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

interface FormatState {
  plain: Snapshot;
  gzip: Snapshot | null;
  compressing: boolean;
}

export interface Snapshots {
  /** Domain metrics become visible: render now, keep rendering after changes from here on. */
  enable(): void;
  readonly enabled: boolean;
  /** The state changed. */
  changed(): void;
  /** The latest plain snapshot of a format, rendered now if that format was never asked for. */
  plain(format: ExpositionFormat): Snapshot;
  /** The latest compressed snapshot, or null while the first compression of the format runs. */
  gzip(format: ExpositionFormat): Snapshot | null;
}

export function createSnapshots(domain: DomainView, revision: () => number, delayMs = 50): Snapshots {
  const formats = new Map<ExpositionFormat, FormatState>();
  let enabled = false;
  let timer: NodeJS.Timeout | undefined;

  function compress(state: FormatState): void {
    if (state.compressing || state.gzip?.revision === state.plain.revision) return;
    const source = state.plain;
    state.compressing = true;
    gzip(source.body, { level: 1 }, (err, compressed) => {
      state.compressing = false;
      if (!err) state.gzip = { revision: source.revision, body: compressed };
      // Changes that came in meanwhile: compress their snapshot too.
      compress(state);
    });
  }

  function render(format: ExpositionFormat): FormatState {
    const plain = { revision: revision(), body: domain.render(format) };
    let state = formats.get(format);
    if (state === undefined) {
      state = { plain, gzip: null, compressing: false };
      formats.set(format, state);
    } else {
      state.plain = plain;
    }
    compress(state);
    return state;
  }

  function refresh(): void {
    timer = undefined;
    for (const [format, state] of formats) if (state.plain.revision !== revision()) render(format);
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
    plain(format) {
      return (formats.get(format) ?? render(format)).plain;
    },
    gzip(format) {
      return (formats.get(format) ?? render(format)).gzip;
    },
  };
}
