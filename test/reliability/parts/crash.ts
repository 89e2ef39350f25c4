/**
 * Crash exactness: SIGKILL the service at random moments during replay and during live ingest;
 * after each restart, the first domain exposition it serves once ready must equal the ground
 * truth of every acknowledged event (runs, and retirements mixed in), byte for byte. Several lanes (own topic, own group) run at
 * once, because every restart after a SIGKILL waits for the dead member's session to expire.
 */
import type { RunCompleted, TestRetired } from "../../../services/contract/index.ts";
import type { Part, PartContext } from "../part.ts";
import { type Event, retirementOf, runFactory, testNames } from "../support/events.ts";
import { crossCheck, firstDifference, renderDomain } from "../support/exposition.ts";
import {
  createPublisher,
  createTopics,
  deleteTopics,
  eventMessage,
  kafkaFor,
  startLivePublisher,
} from "../support/kafka.ts";
import { createRandom } from "../support/random.ts";
import {
  alive,
  logTime,
  percentile,
  type RunningService,
  scrapeDomain,
  sleep,
  startOn,
  waitOutput,
  waitReady,
} from "../support/service.ts";

type Phase = "starting" | "replaying" | "caught up" | "live";

interface Trial {
  lane: number;
  kind: "replay" | "live";
  killedAfterMs: number;
  phase: Phase;
  events: number;
  readyMs: number;
  exact: boolean;
  detail: string;
}

async function kill(s: RunningService): Promise<void> {
  await s.stop("SIGKILL");
}

async function lane(ctx: PartContext, index: number, trials: number, out: Trial[], failures: string[]) {
  const p = ctx.profile.crash;
  const random = createRandom(ctx.random.int(1, 2 ** 31));
  const kafka = kafkaFor(ctx.brokers, `reliability-crash-${index}`);
  const topic = ctx.unique(`crash${index}`);
  const group = `${topic}.group`;
  await createTopics(kafka, topic, `${topic}.dlq`);
  const publisher = await createPublisher(kafka, topic);
  const tests = testNames(p.tests, `l${index}`);
  const factory = runFactory(random, tests, `l${index}`);
  const log: RunCompleted[] = [];
  const retirements: TestRetired[] = [];
  const publish = async (n: number): Promise<void> => {
    const runs = Array.from({ length: n }, () => factory.next());
    // Some runs again, as a retrying runner would publish them.
    for (let i = 0; i < n / 20; i++) runs.push(runs[random.int(0, runs.length - 1)] as RunCompleted);
    // Retirements of tests with runs so far, among and around them.
    const pool = [...log, ...runs];
    const retired = Array.from({ length: Math.ceil(n / 100) }, () => retirementOf(random, pool));
    const events: Event[] = random.shuffle([...runs, ...retired]);
    await publisher.send(events.map((e) => eventMessage(e, random)));
    log.push(...runs);
    retirements.push(...retired);
  };
  await publish(p.initialEvents);
  let replayMs = 500;
  let passed = true;
  try {
    for (let t = 0; t < trials; t++) {
      const kind = t % 2 === 0 ? "replay" : "live";
      let phase: Phase;
      let killedAfterMs: number;
      if (kind === "replay") {
        await publish(p.replayBatch);
        const a = await startOn(ctx.brokers, topic, group);
        const started = Date.now();
        // Anywhere from the process start to a little past the end of the replay.
        if (!random.chance(0.2)) await waitOutput(a, "joined consumer group");
        await sleep(random.int(0, Math.round(replayMs * 1.2)));
        killedAfterMs = Date.now() - started;
        phase = a.output().includes("replay caught up")
          ? "caught up"
          : a.output().includes("joined consumer group")
            ? "replaying"
            : "starting";
        await kill(a);
      } else {
        const a = await startOn(ctx.brokers, topic, group);
        await waitReady(a, 60_000);
        const started = Date.now();
        const live = startLivePublisher(publisher, () => factory.next(), random, p.liveEventsPerSecond);
        await sleep(random.int(200, 3000));
        killedAfterMs = Date.now() - started;
        phase = "live";
        await kill(a);
        await live.stop();
        log.push(...live.acked);
      }
      // The restart: the first exposition it serves must be the truth of everything acknowledged.
      const expected = renderDomain(log, retirements);
      const modelProblems = crossCheck(expected, log, retirements);
      if (modelProblems.length > 0)
        failures.push(`lane ${index}: renderer and model disagree: ${modelProblems[0]}`);
      const b = await startOn(ctx.brokers, topic, group);
      const startedB = Date.now();
      await waitReady(b, 90_000);
      const readyMs = Date.now() - startedB;
      const served = await scrapeDomain(b);
      const exact = served === expected;
      const joinedAt = logTime(b.output(), "joined consumer group");
      const caughtAt = logTime(b.output(), "replay caught up");
      if (joinedAt !== undefined && caughtAt !== undefined) replayMs = Math.max(50, caughtAt - joinedAt);
      const trial: Trial = {
        lane: index,
        kind,
        killedAfterMs,
        phase,
        events: log.length,
        readyMs,
        exact,
        detail: exact ? "" : firstDifference(served, expected),
      };
      out.push(trial);
      ctx.log(
        `crash lane ${index} trial ${t + 1}/${trials}: ${kind} kill at ${killedAfterMs} ms (${phase}), ${log.length} events, ready after ${readyMs} ms: ${exact ? "exact" : "DIFFERENT"}`,
      );
      if (!exact) {
        passed = false;
        failures.push(
          `lane ${index} trial ${t + 1} (${kind} kill at ${killedAfterMs} ms, ${phase}): first exposition after restart differs: ${trial.detail}`,
        );
      }
      if (!alive(b)) failures.push(`lane ${index}: the restarted service exited`);
      await b.stop("SIGTERM");
    }
  } finally {
    await publisher.close();
    if (passed) await deleteTopics(kafka, [topic, `${topic}.dlq`]);
  }
}

export const crashPart: Part = async (ctx) => {
  const p = ctx.profile.crash;
  const trials: Trial[] = [];
  const failures: string[] = [];
  const per = Math.ceil(p.trials / p.lanes);
  await Promise.all(Array.from({ length: p.lanes }, (_, i) => lane(ctx, i, per, trials, failures)));
  const count = (f: (t: Trial) => boolean): number => trials.filter(f).length;
  const ready = trials.map((t) => t.readyMs);
  const figures = [
    `${trials.length} SIGKILL trials in ${p.lanes} lanes: ${count((t) => t.exact)} exact after restart`,
    `kills: ${count((t) => t.phase === "starting")} starting, ${count((t) => t.phase === "replaying")} during replay, ${count((t) => t.phase === "caught up")} just after replay, ${count((t) => t.phase === "live")} during live ingest`,
    `log per lane up to ${Math.max(...trials.map((t) => t.events))} events`,
    `restart to ready: p50 ${(percentile(ready, 50) / 1000).toFixed(1)} s, max ${(Math.max(...ready) / 1000).toFixed(1)} s (no wait for the killed process's session: each reads through a group of its own)`,
  ];
  if (trials.length < p.trials) failures.push(`only ${trials.length} of ${p.trials} trials ran`);
  return { figures, failures };
};
