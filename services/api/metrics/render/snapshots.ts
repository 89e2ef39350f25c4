/**
 * Rendered domain expositions, kept ready as bytes (plain and gzip) so that a scrape only writes
 * them out. The state changes on events, not on scrapes: after a change the snapshot is rebuilt
 * in the background for the formats scrapers asked for, and compressed on zlib's thread pool,
 * one compression per format at a time. Rebuilds are at least `delayMs` apart, and at least
 * three times the last rebuild's cost apart, so that rendering takes at most about a quarter of
 * the time however large the exposition. A scrape in between gets the previous snapshot. The gap counts from the last rebuild, so a
 * change after a quiet spell is rendered at once (after the batch in hand): a lone run shows
 * up in the time a rebuild takes, not a gap later.
 */
import { performance } from "node:perf_hooks";
import { gzip } from "node:zlib";
import type { DomainView, ExpositionFormat } from "./domain.ts";

export interface Snapshot {
  revision: number;
  body: Buffer;
  /** A plain snapshot's status page rows at the same revision (DomainView.rows): one truth for both. */
  rows?: Buffer;
}

export interface Snapshots {
  /** Render this format too: now, and after changes from here on (the first makes the domain metrics visible). */
  request(format: ExpositionFormat): void;
  /** The state changed. */
  changed(): void;
}

export type SnapshotListener = (format: ExpositionFormat, kind: "plain" | "gzip", snapshot: Snapshot) => void;

interface FormatState {
  plain: Snapshot;
  gzip: Snapshot | null;
  compressing: boolean;
}

export interface SnapshotOptions {
  /** Told of every new snapshot (the worker posts them to the main thread's SnapshotStore). */
  onSnapshot: SnapshotListener;
  /** The least gap between rebuilds. */
  delayMs?: number;
  /** Where rendered bodies go (the worker renders into shared memory). */
  allocate?: (length: number) => Buffer;
  /** The clock and the timer the gaps are measured and kept with (tests bring their own). */
  now?: () => number;
  setTimer?: (run: () => void, ms: number) => unknown;
}

export function createSnapshots(
  domain: DomainView,
  revision: () => number,
  options: SnapshotOptions,
): Snapshots {
  const { onSnapshot } = options;
  const delayMs = options.delayMs ?? 50;
  const allocate = options.allocate ?? Buffer.allocUnsafe;
  const now = options.now ?? (() => performance.now());
  const setTimer = options.setTimer ?? ((run: () => void, ms: number) => setTimeout(run, ms));
  const formats = new Map<ExpositionFormat, FormatState>();
  let timer = false;
  /** What the last rebuild cost: render on this thread plus compression on the pool. */
  let renderMs = 0;
  let compressMs = 0;
  let lastRender = Number.NEGATIVE_INFINITY;
  /** Rows are the same for every format: rendered once per revision. */
  let rows: { revision: number; body: Buffer } | null = null;

  function compress(format: ExpositionFormat, state: FormatState): void {
    if (state.compressing || state.gzip?.revision === state.plain.revision) return;
    const source = state.plain;
    state.compressing = true;
    const began = now();
    // Level 4, not 1: a smaller body for every scrape to send, for more of the pool's time once
    // per rebuild.
    gzip(source.body, { level: 4 }, (err, compressed) => {
      state.compressing = false;
      compressMs = now() - began;
      if (!err) {
        state.gzip = { revision: source.revision, body: compressed };
        onSnapshot(format, "gzip", state.gzip);
      }
      // Changes that came in meanwhile: compress their snapshot too.
      compress(format, state);
    });
  }

  function render(format: ExpositionFormat): void {
    const began = now();
    lastRender = began;
    const at = revision();
    const body = domain.render(format, allocate);
    if (rows?.revision !== at) rows = { revision: at, body: domain.rows(allocate) };
    const plain = { revision: at, body, rows: rows.body };
    renderMs = now() - began;
    let state = formats.get(format);
    if (state === undefined) {
      state = { plain, gzip: null, compressing: false };
      formats.set(format, state);
    } else {
      state.plain = plain;
    }
    onSnapshot(format, "plain", plain);
    compress(format, state);
  }

  function refresh(): void {
    timer = false;
    for (const [format, state] of formats) if (state.plain.revision !== revision()) render(format);
  }

  return {
    request(format) {
      if (!formats.has(format)) render(format);
    },
    changed() {
      if (formats.size > 0 && !timer) {
        const gap = Math.max(delayMs, 3 * (renderMs + compressMs));
        timer = true;
        setTimer(refresh, Math.max(0, lastRender + gap - now()));
      }
    },
  };
}
