/**
 * The project's metrics reference, docs/metrics.md, read as data for the tests: the metrics tables
 * (the five, the service's own, the bridge's), the bucket bounds, the PromQL examples, the alert rules, the scrape configuration and the
 * ServiceMonitor. Each piece is found under its heading; a piece that is missing or malformed
 * fails the test that asks for it, naming the heading.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const METRICS_DOC = join(fileURLToPath(new URL("../../", import.meta.url)), "docs", "metrics.md");

/** A part of the page: its heading (without the #s), prose lines, and fenced code blocks. */
interface Section {
  heading: string;
  lines: string[];
  blocks: Array<{ lang: string; body: string }>;
}

function sections(text: string): Section[] {
  const out: Section[] = [{ heading: "", lines: [], blocks: [] }];
  let fence: { lang: string; body: string[] } | undefined;
  for (const line of text.split("\n")) {
    const current = out.at(-1) as Section;
    if (fence) {
      if (line.trim() === "```") {
        current.blocks.push({ lang: fence.lang, body: fence.body.join("\n") });
        fence = undefined;
      } else {
        fence.body.push(line);
      }
    } else if (line.startsWith("```")) {
      fence = { lang: line.slice(3).trim(), body: [] };
    } else if (/^#{1,6} /.test(line)) {
      out.push({ heading: line.replace(/^#+ /, "").trim(), lines: [], blocks: [] });
    } else {
      current.lines.push(line);
    }
  }
  if (fence) throw new Error(`${METRICS_DOC}: a code block is not closed`);
  return out;
}

export interface MetricSpec {
  name: string;
  type: "counter" | "gauge" | "histogram";
  labels: string[];
  help: string;
}

export interface MetricsDoc {
  /** The five metrics in the order of the table. */
  metrics: MetricSpec[];
  /** The service's own kymaros_api_* metrics, in the order of their table. */
  service: MetricSpec[];
  /** kymaros-bridge's kymaros_bridge_* metrics, in the order of their table. */
  bridge: MetricSpec[];
  /** Finite upper bounds of the duration histogram, in seconds. */
  buckets: number[];
  /** [title, expression] in page order; expressions keep their line breaks. */
  promql: Array<[string, string]>;
  /** The alert rules block, parsed: `{ groups: [...] }`. */
  alertRules: { groups: Array<{ name: string; rules: Array<Record<string, unknown>> }> };
  /** The scrape configuration block, parsed: `{ scrape_configs: [...] }`. */
  scrapeConfig: Record<string, unknown>;
  /** The ServiceMonitor block, parsed. */
  serviceMonitor: Record<string, unknown>;
}

const unquote = (cell: string): string => cell.trim().replace(/^`(.*)`$/, "$1");

/** One row of a metrics table: name, type, labels ("none" for none), HELP text. */
function metricRow(row: string): MetricSpec {
  const cells = row.split("|").slice(1, -1);
  if (cells.length !== 4) throw new Error(`${METRICS_DOC}: metrics row without 4 cells: ${row}`);
  const [name, type, labels, help] = cells as [string, string, string, string];
  const kind = type.trim();
  if (kind !== "counter" && kind !== "gauge" && kind !== "histogram") {
    throw new Error(`${METRICS_DOC}: unknown metric type "${kind}" in: ${row}`);
  }
  const labelNames = labels.trim() === "none" ? [] : labels.split(",").map(unquote);
  return { name: unquote(name), type: kind, labels: labelNames, help: help.trim() };
}

/** Parses docs/metrics.md (or the given text, for tests of this parser's failures). */
export function readMetricsDoc(text: string = readFileSync(METRICS_DOC, "utf8")): MetricsDoc {
  const all = sections(text);
  const named = (heading: string): Section => {
    const found = all.filter((s) => s.heading === heading);
    if (found.length !== 1) throw new Error(`${METRICS_DOC}: expected one section "${heading}"`);
    return found[0] as Section;
  };
  const onlyBlock = (heading: string, lang: string): string => {
    const blocks = named(heading).blocks.filter((b) => b.lang === lang);
    if (blocks.length !== 1) throw new Error(`${METRICS_DOC}: "${heading}" needs one ${lang} block`);
    return (blocks[0] as { body: string }).body;
  };

  const table = (heading: string): MetricSpec[] =>
    named(heading)
      .lines.filter((l) => l.startsWith("| `"))
      .map((row) => metricRow(row));
  const metrics = table("The five metrics");

  const boundsLine = named("Histogram buckets").lines.join(" ");
  const bounds = /Upper bounds \(`le`\), in seconds: (.*?), then `\+Inf`/.exec(boundsLine);
  if (!bounds?.[1]) throw new Error(`${METRICS_DOC}: no "Upper bounds" line under "Histogram buckets"`);
  const buckets = bounds[1].split(",").map((b) => Number(unquote(b)));

  // The examples are the level-3 sections between "PromQL examples" and "Alert rules".
  const from = all.findIndex((s) => s.heading === "PromQL examples");
  const to = all.findIndex((s) => s.heading === "Alert rules");
  const promql = all.slice(from + 1, to).map((s): [string, string] => {
    const blocks = s.blocks.filter((b) => b.lang === "promql");
    if (blocks.length !== 1) throw new Error(`${METRICS_DOC}: "${s.heading}" needs one promql block`);
    return [s.heading, (blocks[0] as { body: string }).body];
  });

  return {
    metrics,
    service: table("The service's own metrics"),
    bridge: table("The bridge's metrics"),
    buckets,
    promql,
    alertRules: parse(onlyBlock("Alert rules", "yaml")) as MetricsDoc["alertRules"],
    scrapeConfig: parse(onlyBlock("Prometheus scrape configuration", "yaml")) as Record<string, unknown>,
    serviceMonitor: parse(onlyBlock("Prometheus Operator ServiceMonitor", "yaml")) as Record<string, unknown>,
  };
}
