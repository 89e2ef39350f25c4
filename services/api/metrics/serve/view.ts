/**
 * What /metrics answers: the domain families (only once the replay caught up, never a partial
 * view) followed by the service's own metrics, in the format and encoding the scraper asked for.
 * gzip bodies are gzip members back to back (domain, own metrics, process metrics), which gzip
 * readers, Prometheus' among them, read as one stream.
 */
import { gzipSync } from "node:zlib";
import type { ExpositionFormat } from "../render/domain.ts";
import type { SelfMetrics } from "./self.ts";
import type { SnapshotSource } from "./snapshot-store.ts";

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/** A response body in parts, written one after the other: a large plain body is never copied into one. */
export interface Exposition {
  contentType: string;
  parts: readonly Buffer[];
  length: number;
  gzip: boolean;
}

function exposition(contentType: string, parts: readonly Buffer[], gzip: boolean): Exposition {
  let length = 0;
  for (const p of parts) length += p.length;
  return { contentType, parts, length, gzip };
}

export interface MetricsView {
  render(format: ExpositionFormat, acceptGzip?: boolean): Promise<Exposition>;
}

/** OpenMetrics only when the scraper lists it in Accept; Prometheus does when it can parse it. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept?.includes("application/openmetrics-text") ? "openmetrics" : "text";
}

export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return acceptEncoding !== undefined && /\bgzip\b(?!;q=0(\.0*)?\b)/.test(acceptEncoding);
}

/**
 * The service's own metrics are rendered again whenever a newer domain snapshot is served, so
 * their counters always cover what the domain view shows, and at least once per this long. The
 * process metrics, slow to collect, only once per this long.
 */
export const OWN_METRICS_MAX_AGE_MS = 1000;

interface Rendered {
  at: number;
  domainRevision: number;
  plain: Buffer;
  gzip: Buffer | null;
}

const EOF = "# EOF\n";

export function createMetricsView(
  snapshots: SnapshotSource,
  self: SelfMetrics,
  now: () => number = Date.now,
): MetricsView {
  const counters = new Map<ExpositionFormat, Rendered>();
  const processes = new Map<ExpositionFormat, Rendered>();

  async function cached(
    store: Map<ExpositionFormat, Rendered>,
    format: ExpositionFormat,
    gzip: boolean,
    domainRevision: number,
    render: () => Promise<string>,
  ): Promise<Buffer> {
    let r = store.get(format);
    if (r === undefined || r.domainRevision !== domainRevision || now() - r.at >= OWN_METRICS_MAX_AGE_MS) {
      r = { at: now(), domainRevision, plain: Buffer.from(await render()), gzip: null };
      store.set(format, r);
    }
    if (!gzip) return r.plain;
    r.gzip ??= gzipSync(r.plain, { level: 1 });
    return r.gzip;
  }

  /** kymaros_api_* (without OpenMetrics' closing line), then the process metrics (with it). */
  async function ownMetrics(format: ExpositionFormat, gzip: boolean, domainRevision = -1): Promise<Buffer[]> {
    const open = format === "openmetrics";
    return [
      await cached(counters, format, gzip, domainRevision, async () => {
        const text = open ? await self.openMetrics.metrics() : await self.text.metrics();
        return open && text.endsWith(EOF) ? text.slice(0, -EOF.length) : text;
      }),
      await cached(processes, format, gzip, -1, () =>
        open ? self.processOpenMetrics.metrics() : self.processText.metrics(),
      ),
    ];
  }

  /**
   * The last gzip body per format, reused while its parts are the same buffers: a scrape should
   * not pay for concatenating the same megabytes again, and one buffer is one write. Plain
   * bodies (much larger, rarely asked for) go out in parts.
   */
  const bodies = new Map<ExpositionFormat, { parts: Buffer[]; body: Buffer }>();
  function concatGzip(format: ExpositionFormat, parts: Buffer[]): Buffer {
    const last = bodies.get(format);
    if (last && last.parts.length === parts.length && last.parts.every((p, i) => p === parts[i])) {
      return last.body;
    }
    const body = Buffer.concat(parts);
    bodies.set(format, { parts, body });
    return body;
  }

  return {
    async render(format, acceptGzip = false) {
      const contentType = CONTENT_TYPES[format];
      if (!snapshots.enabled)
        return exposition(contentType, await ownMetrics(format, acceptGzip), acceptGzip);
      const { plain, gzip } = await snapshots.latest(format);
      if (acceptGzip && gzip) {
        const own = await ownMetrics(format, true, gzip.revision);
        return exposition(contentType, [concatGzip(format, [gzip.body, ...own])], true);
      }
      const own = await ownMetrics(format, false, plain.revision);
      return exposition(contentType, [plain.body, ...own], false);
    },
  };
}
