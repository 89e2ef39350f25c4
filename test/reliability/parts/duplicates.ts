/**
 * Duplicates and reordering at scale: one log with 30% duplicates (a third of them re-using a
 * runId with different content, where the first in the partition wins) in random order, so
 * completedAt is shuffled against the publish order; a second log with the same distinct runs
 * in another order and with exact duplicates only. Each must be served exactly. Retirements
 * (about 1% of the events, some of them twice) are mixed into both logs: they land before, on
 * and among their tests' runs, in any order of arrival.
 */
import type { RunCompleted, TestRetired } from "../../../services/contract/index.ts";
import type { Part } from "../part.ts";
import { type Event, isRun, retirementOf, runFactory, testNames } from "../support/events.ts";
import { crossCheck, distinctByTest, firstDifference, renderDomain } from "../support/exposition.ts";
import { createPublisher, createTopics, deleteTopics, eventMessage, kafkaFor } from "../support/kafka.ts";
import type { Random } from "../support/random.ts";
import { scrape, scrapeDomain, selfMetric, startOn, waitReady } from "../support/service.ts";

/** Inversions of completedAt against the publish order, as a share of adjacent pairs per test. */
function disorder(log: readonly Event[]): number {
  const last = new Map<string, number>();
  let pairs = 0;
  let inverted = 0;
  for (const r of log) {
    if (!isRun(r)) continue;
    const prev = last.get(r.test);
    if (prev !== undefined) {
      pairs += 1;
      if (r.completedAt < prev) inverted += 1;
    }
    last.set(r.test, r.completedAt);
  }
  return pairs === 0 ? 0 : inverted / pairs;
}

function withDuplicates(
  distinct: readonly RunCompleted[],
  retirements: readonly TestRetired[],
  share: number,
  conflicting: number,
  random: Random,
) {
  const extra = Math.round((distinct.length * share) / (1 - share));
  const log: Event[] = [...distinct, ...retirements];
  // Some retirements published twice, as a retrying operator would.
  for (const r of retirements) if (random.chance(0.3)) log.push({ ...r });
  let changed = 0;
  for (let i = 0; i < extra; i++) {
    const original = distinct[random.int(0, distinct.length - 1)] as RunCompleted;
    if (random.chance(conflicting)) {
      changed += 1;
      const startedAt = original.startedAt + random.int(0, 1000);
      log.push({
        ...original,
        score: random.int(0, 100),
        result: random.pick(["pass", "fail", "partial"] as const),
        startedAt,
        completedAt: startedAt + random.int(0, 9_000_000),
        rtoSeconds: random.chance(0.5) ? null : random.int(0, 3000),
      });
    } else {
      log.push(original);
    }
  }
  return { log: random.shuffle(log), extra, changed };
}

const runsOf = (log: readonly Event[]) => log.filter(isRun);
const retirementsOf = (log: readonly Event[]) => log.filter((e): e is TestRetired => !isRun(e));

/**
 * What kymaros_api_events_total must count: the distinct runs and the retirements that moved
 * their identity's retirement time (one identity's events share a partition, so they arrive in
 * log order) are applied, the rest duplicates.
 */
function outcomes(log: readonly Event[]): { applied: number; moved: number } {
  const runs = new Set<string>();
  const retiredAt = new Map<string, number>();
  let moved = 0;
  for (const e of log) {
    const id = JSON.stringify([e.test, e.namespace, e.cluster ?? ""]);
    if (isRun(e)) runs.add(JSON.stringify([id, e.runId]));
    else if (e.retiredAt > (retiredAt.get(id) ?? Number.NEGATIVE_INFINITY)) {
      retiredAt.set(id, e.retiredAt);
      moved += 1;
    }
  }
  return { applied: runs.size + moved, moved };
}

export const duplicatesPart: Part = async (ctx) => {
  const p = ctx.profile.duplicates;
  const { random } = ctx;
  const kafka = kafkaFor(ctx.brokers, "reliability-duplicates");
  const factory = runFactory(random, testNames(p.tests, "dup"), "d");
  const distinct = Array.from({ length: p.distinct }, () => factory.next());
  const retirements = Array.from({ length: Math.ceil(p.distinct / 100) }, () =>
    retirementOf(random, distinct),
  );
  const a = withDuplicates(distinct, retirements, p.duplicateShare, 1 / 3, random);
  const b = withDuplicates(distinct, retirements, p.duplicateShare, 0, random);
  const figures: string[] = [];
  const failures: string[] = [];
  const topics: string[] = [];
  let passed = true;
  const one = async (label: string, log: Event[], extra: number) => {
    const topic = ctx.unique(`dup${label}`);
    topics.push(topic, `${topic}.dlq`);
    await createTopics(kafka, topic, `${topic}.dlq`);
    const publisher = await createPublisher(kafka, topic);
    const t0 = Date.now();
    await publisher.send(log.map((e) => eventMessage(e, random)));
    await publisher.close();
    ctx.log(`duplicates ${label}: published ${log.length} messages in ${Date.now() - t0} ms`);
    const expected = renderDomain(runsOf(log), retirementsOf(log));
    const problems = crossCheck(expected, runsOf(log), retirementsOf(log));
    if (problems.length > 0)
      failures.push(`log ${label}: renderer and model disagree: ${problems.join("; ")}`);
    const s = await startOn(ctx.brokers, topic, `${topic}.group`);
    const t1 = Date.now();
    await waitReady(s, 120_000);
    const readyMs = Date.now() - t1;
    const served = await scrapeDomain(s);
    const metrics = await scrape(s);
    const applied = selfMetric(metrics, "kymaros_api_events_total", 'outcome="applied"');
    const duplicates = selfMetric(metrics, "kymaros_api_events_total", 'outcome="duplicate"');
    const retirementsApplied = selfMetric(metrics, "kymaros_api_retirements_applied_total");
    const want = outcomes(log);
    const runs = want.applied - want.moved;
    await s.stop("SIGTERM");
    const exact = served === expected;
    figures.push(
      `log ${label}: ${log.length} messages, ${runs} distinct runs, ${retirementsOf(log).length} retirements (${want.moved} moving a retirement time), ${((extra / log.length) * 100).toFixed(1)}% duplicates, completedAt out of order in ${(disorder(log) * 100).toFixed(0)}% of consecutive pairs: ${exact ? "exact" : "DIFFERENT"}, ready in ${(readyMs / 1000).toFixed(1)} s; applied ${applied}, duplicate ${duplicates}`,
    );
    if (!exact) {
      passed = false;
      failures.push(
        `log ${label}: exposition differs from the ground truth: ${firstDifference(served, expected)}`,
      );
    }
    if (applied !== want.applied || duplicates !== log.length - want.applied) {
      failures.push(
        `log ${label}: kymaros_api_events_total applied=${applied} duplicate=${duplicates}, expected ${want.applied} and ${log.length - want.applied}`,
      );
    }
    if (retirementsApplied !== want.moved) {
      failures.push(
        `log ${label}: kymaros_api_retirements_applied_total=${retirementsApplied}, expected ${want.moved}`,
      );
    }
    return served;
  };
  const live = distinctByTest(distinct, retirements);
  const counted = [...live.values()].reduce((n, r) => n + r.length, 0);
  figures.push(
    `retirements leave ${counted} of ${distinct.length} distinct runs counted, ${live.size} of ${new Set(distinct.map((r) => r.test)).size} tests with series`,
  );
  const servedA = await one("A", a.log, a.extra);
  figures.push(
    `  (A: ${a.changed} duplicates re-use a runId with other content; the first in its partition wins)`,
  );
  const servedB = await one("B", b.log, b.extra);
  const expectedDistinct = renderDomain(distinct, retirements);
  if (servedB !== expectedDistinct) {
    failures.push(`log B (exact duplicates, another order) differs from the distinct events' truth`);
  }
  figures.push(
    `log B is byte-identical to the truth of the distinct events alone: ${servedB === expectedDistinct ? "yes" : "NO"} (${servedA.length} and ${servedB.length} bytes)`,
  );
  if (passed) await deleteTopics(kafka, topics);
  return { figures, failures };
};
