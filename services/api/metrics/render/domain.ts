/**
 * Renders the five metrics of the metrics reference from the core state. Each test's sample
 * lines are cached with the revision they were rendered at, and the whole exposition with the
 * state's revision: a scrape re-renders only what changed since the previous one.
 */
import { DURATION_BUCKETS_SECONDS, type State, type TestState } from "../../core/index.ts";
import { escapeHelp, escapeLabel, formatFloat, formatMillisAsSeconds } from "./format.ts";

interface Family {
  /** The metric family name (OpenMetrics: without _total). */
  family: string;
  type: "counter" | "gauge" | "histogram";
  help: string;
}

/** In the order of the metrics reference; HELP texts are its descriptions, verbatim. */
const FAMILIES: readonly Family[] = [
  {
    family: "kymaros_tests",
    type: "counter",
    help: "Total number of completed test runs, partitioned by test name and outcome.",
  },
  {
    family: "kymaros_score",
    type: "gauge",
    help: "Current confidence score (0–100) for the most recent run of each test.",
  },
  {
    family: "kymaros_rto_seconds",
    type: "gauge",
    help: "Measured restore duration in seconds for the most recent run of each test.",
  },
  {
    family: "kymaros_test_duration_seconds",
    type: "histogram",
    help: "Full test execution duration in seconds. Exponential buckets from 60s to 7680s.",
  },
  {
    family: "kymaros_backup_age_seconds",
    type: "gauge",
    help: "Age of the backup that was restored, in seconds, as of the most recent run.",
  },
];

export type ExpositionFormat = "text" | "openmetrics";

function header(f: Family, format: ExpositionFormat): string {
  // The text format names a counter family by its sample name; OpenMetrics without _total.
  const name = format === "text" && f.type === "counter" ? `${f.family}_total` : f.family;
  const help = `# HELP ${name} ${escapeHelp(f.help)}\n`;
  const type = `# TYPE ${name} ${f.type}\n`;
  return format === "text" ? help + type : type + help;
}

const HEADERS: Record<ExpositionFormat, Buffer[]> = {
  text: FAMILIES.map((f) => Buffer.from(header(f, "text"))),
  openmetrics: FAMILIES.map((f) => Buffer.from(header(f, "openmetrics"))),
};

/** One test's sample lines, one string per family (empty when the test has no such series). */
function renderTest(t: TestState): Buffer[] {
  const label = `test="${escapeLabel(t.test)}"`;
  const total =
    `kymaros_tests_total{${label},result="pass"} ${t.results.pass}\n` +
    `kymaros_tests_total{${label},result="fail"} ${t.results.fail}\n` +
    `kymaros_tests_total{${label},result="partial"} ${t.results.partial}\n`;
  const score = `kymaros_score{${label}} ${t.score.value}\n`;
  const rto = t.rtoSeconds ? `kymaros_rto_seconds{${label}} ${formatFloat(t.rtoSeconds.value)}\n` : "";
  let histogram = "";
  let cumulative = 0;
  for (let i = 0; i < DURATION_BUCKETS_SECONDS.length; i++) {
    cumulative += t.buckets[i] as number;
    histogram += `kymaros_test_duration_seconds_bucket{${label},le="${DURATION_BUCKETS_SECONDS[i]}"} ${cumulative}\n`;
  }
  cumulative += t.buckets[DURATION_BUCKETS_SECONDS.length] as number;
  histogram +=
    `kymaros_test_duration_seconds_bucket{${label},le="+Inf"} ${cumulative}\n` +
    `kymaros_test_duration_seconds_sum{${label}} ${formatMillisAsSeconds(t.durationSumMs)}\n` +
    `kymaros_test_duration_seconds_count{${label}} ${cumulative}\n`;
  const age = t.backupAgeMs
    ? `kymaros_backup_age_seconds{${label}} ${formatMillisAsSeconds(t.backupAgeMs.value)}\n`
    : "";
  return [total, score, rto, histogram, age].map((lines) => Buffer.from(lines));
}

export interface DomainView {
  /** The five families, without the OpenMetrics # EOF terminator, in memory from `allocate`. */
  render(format: ExpositionFormat, allocate?: (length: number) => Buffer): Buffer;
}

/**
 * Bytes, not strings: each test's lines are kept encoded, and a render is one copy of them into
 * the output (family by family, as the format groups samples).
 */
export function createDomainView(state: State): DomainView {
  const fragments = new Map<string, { revision: number; lines: Buffer[] }>();
  let sortedTests: string[] = [];

  return {
    render(format, allocate = Buffer.allocUnsafe) {
      // Tests are only ever added, so a change of count is a change of the set.
      if (sortedTests.length !== state.tests.size) sortedTests = [...state.tests.keys()].sort();
      const parts: Buffer[] = [];
      const perTest = sortedTests.map((name) => {
        const t = state.tests.get(name) as TestState;
        let cached = fragments.get(name);
        if (cached === undefined || cached.revision !== t.revision) {
          cached = { revision: t.revision, lines: renderTest(t) };
          fragments.set(name, cached);
        }
        return cached.lines;
      });
      let length = 0;
      for (let f = 0; f < FAMILIES.length; f++) {
        const head = HEADERS[format][f] as Buffer;
        parts.push(head);
        length += head.length;
        for (const lines of perTest) {
          const b = lines[f] as Buffer;
          if (b.length > 0) {
            parts.push(b);
            length += b.length;
          }
        }
      }
      const out = allocate(length);
      let at = 0;
      for (const part of parts) at += part.copy(out, at);
      return out;
    },
  };
}
