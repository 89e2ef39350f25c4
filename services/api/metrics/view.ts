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

export function createMetricsView(snapshots: SnapshotSource, self: SelfMetrics): MetricsView {
  return {
    async render(format, acceptGzip = false) {
      const own = Buffer.from(
        format === "openmetrics" ? await self.openMetrics.metrics() : await self.text.metrics(),
      );
      const contentType = CONTENT_TYPES[format];
      if (!snapshots.enabled) {
        return acceptGzip
          ? { contentType, body: gzipSync(own, { level: 1 }), gzip: true }
          : { contentType, body: own, gzip: false };
      }
      const { plain, gzip } = await snapshots.latest(format);
      if (acceptGzip && gzip) {
        return { contentType, body: Buffer.concat([gzip.body, gzipSync(own, { level: 1 })]), gzip: true };
      }
      return { contentType, body: Buffer.concat([plain.body, own]), gzip: false };
    },
  };
}
