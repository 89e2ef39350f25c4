/**
 * What /metrics answers: the domain families (only once the replay caught up, never a partial
 * view) followed by the service's own metrics, in the format and encoding the scraper asked for.
 * gzip bodies are two gzip members back to back (domain, then own metrics), which gzip readers,
 * Prometheus' among them, read as one stream.
 */
import { gzipSync } from "node:zlib";
import type { ExpositionFormat } from "./domain.ts";
import type { SelfMetrics } from "./self.ts";
import type { SnapshotSource } from "./snapshots.ts";

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

export interface Exposition {
  contentType: string;
  body: Buffer;
  gzip: boolean;
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
 * The service's own metrics (process stats included) are rendered at most once per this long
 * and format, and again whenever a newer domain snapshot is served: never older than the domain
 * view they come with, so their counters always cover what that view shows.
 */
export const OWN_METRICS_MAX_AGE_MS = 1000;

interface Own {
  at: number;
  domainRevision: number;
  plain: Buffer;
  gzip: Buffer | null;
}

export function createMetricsView(
  snapshots: SnapshotSource,
  self: SelfMetrics,
  now: () => number = Date.now,
): MetricsView {
  const own = new Map<ExpositionFormat, Own>();

  async function ownMetrics(format: ExpositionFormat, gzip: boolean, domainRevision = -1): Promise<Buffer> {
    let cached = own.get(format);
    if (
      cached === undefined ||
      cached.domainRevision !== domainRevision ||
      now() - cached.at >= OWN_METRICS_MAX_AGE_MS
    ) {
      const text = format === "openmetrics" ? await self.openMetrics.metrics() : await self.text.metrics();
      cached = { at: now(), domainRevision, plain: Buffer.from(text), gzip: null };
      own.set(format, cached);
    }
    if (!gzip) return cached.plain;
    cached.gzip ??= gzipSync(cached.plain, { level: 1 });
    return cached.gzip;
  }

  return {
    async render(format, acceptGzip = false) {
      const contentType = CONTENT_TYPES[format];
      if (!snapshots.enabled) {
        return { contentType, body: await ownMetrics(format, acceptGzip), gzip: acceptGzip };
      }
      const { plain, gzip } = await snapshots.latest(format);
      if (acceptGzip && gzip) {
        const ownGzip = await ownMetrics(format, true, gzip.revision);
        return { contentType, body: Buffer.concat([gzip.body, ownGzip]), gzip: true };
      }
      const ownPlain = await ownMetrics(format, false, plain.revision);
      return { contentType, body: Buffer.concat([plain.body, ownPlain]), gzip: false };
    },
  };
}
