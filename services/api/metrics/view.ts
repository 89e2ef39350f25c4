/**
 * What /metrics answers: the domain families (only once the replay caught up, never a partial
 * view) followed by the service's own metrics, in the format the scraper asked for.
 */
import type { DomainView, ExpositionFormat } from "./domain.ts";
import type { SelfMetrics } from "./self.ts";

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

export interface Exposition {
  contentType: string;
  body: string;
}

export interface MetricsView {
  render(format: ExpositionFormat): Promise<Exposition>;
}

/** OpenMetrics only when the scraper lists it in Accept; Prometheus does when it can parse it. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  return accept?.includes("application/openmetrics-text") ? "openmetrics" : "text";
}

export function createMetricsView(
  domain: DomainView,
  self: SelfMetrics,
  domainVisible: () => boolean,
): MetricsView {
  return {
    async render(format) {
      const own = format === "openmetrics" ? await self.openMetrics.metrics() : await self.text.metrics();
      const body = domainVisible() ? domain.render(format) + own : own;
      return { contentType: CONTENT_TYPES[format], body };
    },
  };
}
