/**
 * Renders the five metrics of the metrics reference from the core state. Each series group's
 * sample lines are cached with the revision they were rendered at, and the whole exposition with
 * the state's revision: a scrape re-renders only what changed since the previous one.
 */
import type { Result } from "../../../contract/index.ts";
import { DURATION_BUCKETS_SECONDS, type Identity, type Latest, type State } from "../../core/index.ts";
import type { TestRow } from "../../status/row.ts";
import { escapeHelp, formatFloat, formatMillisAsSeconds } from "./format.ts";
import { groupKey, type IdentityLabels, identityLabels } from "./identity-labels.ts";

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

/** What one series group shows: its identities' current lives, merged. */
interface Merged {
  results: { pass: number; fail: number; partial: number };
  buckets: number[];
  durationSumMs: number;
  score: number;
  rtoSeconds: number | null;
  backupAgeMs: number | null;
  /** The latest run's result and completion time, and the target of the run the RTO is from. */
  result: Result;
  completedAt: number;
  rtoTargetSeconds: number | null;
}

/**
 * Which of two identities' latest runs is later: completedAt, then runId, then the identity
 * (namespace, cluster), so that the choice is a function of the set, whatever came first.
 */
function later(state: State, a: Identity, la: Latest<number>, b: Identity, lb: Latest<number>): boolean {
  if (la.completedAt !== lb.completedAt) return la.completedAt > lb.completedAt;
  const ra = state.runIds.runId(la.entry, a.name);
  const rb = state.runIds.runId(lb.entry, b.name);
  if (ra !== rb) return ra > rb;
  if (a.namespace !== b.namespace) return a.namespace > b.namespace;
  return a.cluster > b.cluster;
}

/** The group's live identities merged: counters summed, gauges from the latest run; null if none is live. */
function merge(state: State, members: readonly Identity[]): Merged | null {
  let merged: Merged | null = null;
  let score: [Identity, Latest<number>] | null = null;
  let rto: [Identity, Latest<number>] | null = null;
  let age: [Identity, Latest<number>] | null = null;
  for (const t of members) {
    if (t.runs === 0) continue;
    if (merged === null) {
      merged = {
        results: { pass: 0, fail: 0, partial: 0 },
        buckets: new Array<number>(t.buckets.length).fill(0),
        durationSumMs: 0,
        score: 0,
        rtoSeconds: null,
        backupAgeMs: null,
        result: "pass",
        completedAt: 0,
        rtoTargetSeconds: null,
      };
    }
    merged.results.pass += t.results.pass;
    merged.results.fail += t.results.fail;
    merged.results.partial += t.results.partial;
    for (let i = 0; i < t.buckets.length; i++) {
      merged.buckets[i] = (merged.buckets[i] as number) + (t.buckets[i] as number);
    }
    merged.durationSumMs += t.durationSumMs;
    if (score === null || later(state, t, t.score, score[0], score[1])) score = [t, t.score];
    if (t.rtoSeconds && (rto === null || later(state, t, t.rtoSeconds, rto[0], rto[1])))
      rto = [t, t.rtoSeconds];
    if (t.backupAgeMs && (age === null || later(state, t, t.backupAgeMs, age[0], age[1])))
      age = [t, t.backupAgeMs];
  }
  if (merged === null || score === null) return null;
  merged.score = score[1].value;
  merged.result = state.runLog.result(score[1].entry);
  merged.completedAt = score[1].completedAt;
  merged.rtoSeconds = rto ? rto[1].value : null;
  merged.rtoTargetSeconds = rto ? rto[0].rtoTargetSeconds : null;
  merged.backupAgeMs = age ? age[1].value : null;
  return merged;
}

const NOTHING: Buffer[] = FAMILIES.map(() => Buffer.alloc(0));

/** The status page's row (status/row.ts) of a group, from the values its lines show, as JSON. */
function rowOf(t: Merged, first: Identity, labels: IdentityLabels): string {
  const row: TestRow = {
    test: first.name,
    ...(labels !== "test" ? { namespace: first.namespace } : {}),
    ...(labels === "cluster" ? { cluster: first.cluster } : {}),
    result: t.result,
    completedAt: new Date(t.completedAt).toISOString(),
    score: t.score,
    rtoSeconds: t.rtoSeconds,
    rtoTargetSeconds: t.rtoTargetSeconds,
    backupAgeSeconds: t.backupAgeMs === null ? null : t.backupAgeMs / 1000,
    runs: { ...t.results },
  };
  return JSON.stringify(row);
}

/** One group's sample lines, one buffer per family (empty when it has no such series), and its row. */
function renderGroup(
  state: State,
  members: readonly Identity[],
  labels: IdentityLabels,
): { lines: Buffer[]; row: string } {
  const t = merge(state, members);
  if (t === null) return { lines: NOTHING, row: "" };
  const label = identityLabels(members[0] as Identity, labels);
  const total =
    `kymaros_tests_total{${label},result="pass"} ${t.results.pass}\n` +
    `kymaros_tests_total{${label},result="fail"} ${t.results.fail}\n` +
    `kymaros_tests_total{${label},result="partial"} ${t.results.partial}\n`;
  const score = `kymaros_score{${label}} ${t.score}\n`;
  const rto = t.rtoSeconds !== null ? `kymaros_rto_seconds{${label}} ${formatFloat(t.rtoSeconds)}\n` : "";
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
  const age =
    t.backupAgeMs !== null
      ? `kymaros_backup_age_seconds{${label}} ${formatMillisAsSeconds(t.backupAgeMs)}\n`
      : "";
  const lines = [total, score, rto, histogram, age].map((l) => Buffer.from(l));
  return { lines, row: rowOf(t, members[0] as Identity, labels) };
}

export interface DomainView {
  /** The five families, without the OpenMetrics # EOF terminator, in memory from `allocate`. */
  render(format: ExpositionFormat, allocate?: (length: number) => Buffer): Buffer;
  /**
   * The status page's rows (a JSON array of status/row.ts's TestRow, one per group with series,
   * in the exposition's order), from the same cached values as the last render's lines.
   */
  rows(allocate?: (length: number) => Buffer): Buffer;
}

interface Group {
  readonly members: Identity[];
  revision: number;
  lines: Buffer[];
  /** The group's TestRow as JSON; "" when it has no series. */
  row: string;
}

/** Groups in the order of their first member's (test, namespace, cluster), as JavaScript compares strings. */
function byIdentity(a: Group, b: Group): number {
  const x = a.members[0] as Identity;
  const y = b.members[0] as Identity;
  if (x.name !== y.name) return x.name < y.name ? -1 : 1;
  if (x.namespace !== y.namespace) return x.namespace < y.namespace ? -1 : 1;
  if (x.cluster !== y.cluster) return x.cluster < y.cluster ? -1 : 1;
  return 0;
}

/** A group's revision: its members' summed, which grows with every change of any of them. */
function revisionOf(members: readonly Identity[]): number {
  let r = 0;
  for (const t of members) r += t.revision;
  return r;
}

/** The groups' rows with series, as one JSON array in memory from `allocate`. */
function rowsJson(groups: readonly Group[], allocate: (length: number) => Buffer): Buffer {
  const rows: string[] = [];
  for (const group of groups) if (group.row !== "") rows.push(group.row);
  const json = `[${rows.join(",")}]`;
  const out = allocate(Buffer.byteLength(json));
  out.write(json);
  return out;
}

/**
 * Bytes, not strings: each group's lines are kept encoded, and a render is one copy of them into
 * the output (family by family, as the format groups samples). A group is the identities one
 * series stands for: by default all of a test name's (the reference's {test} labels), or each
 * namespace's (and cluster's) apart when `labels` asks for it.
 */
export function createDomainView(state: State, labels: IdentityLabels = "test"): DomainView {
  const groups = new Map<string, Group>();
  let sorted: Group[] = [];
  let known = 0;

  /** Identities are only ever added: new ones join (or make) their groups. */
  function update(): void {
    if (known === state.identities.length) return;
    for (; known < state.identities.length; known++) {
      const t = state.identities[known] as Identity;
      const key = groupKey(t, labels);
      let group = groups.get(key);
      if (group === undefined) {
        group = { members: [], revision: -1, lines: NOTHING, row: "" };
        groups.set(key, group);
      }
      group.members.push(t);
      group.revision = -1;
    }
    sorted = [...groups.values()].sort(byIdentity);
  }

  /** Every group, its lines and row brought up to date with its members. */
  function current(): Group[] {
    update();
    for (const group of sorted) {
      const revision = revisionOf(group.members);
      if (group.revision !== revision) {
        group.revision = revision;
        const { lines, row } = renderGroup(state, group.members, labels);
        group.lines = lines;
        group.row = row;
      }
    }
    return sorted;
  }

  return {
    render(format, allocate = Buffer.allocUnsafe) {
      const parts: Buffer[] = [];
      const perGroup = current().map((group) => group.lines);
      let length = 0;
      for (let f = 0; f < FAMILIES.length; f++) {
        const head = HEADERS[format][f] as Buffer;
        parts.push(head);
        length += head.length;
        for (const lines of perGroup) {
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
    rows: (allocate = Buffer.allocUnsafe) => rowsJson(current(), allocate),
  };
}
