/**
 * The replicas-and-shards rows of make bench: restart to ready of one shard of two against the
 * unsharded instance on the same log, restart after SIGKILL against a clean restart, and the
 * scrapes answered with the exact view during a rolling restart of two replicas.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { type RunningService, startService, waitReady } from "../test/support/service.ts";

export interface ReplicaBenchOptions {
  brokers: string[];
  /** node arguments that start the built service */
  nodeArgs: string[];
  log: (s: string) => void;
}

export interface Row {
  figure: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function domainLines(text: string): string {
  return text
    .split("\n")
    .filter((l) => /^kymaros_(?!api_)/.test(l))
    .sort()
    .join("\n");
}

export function replicaBench(o: ReplicaBenchOptions) {
  const start = (topic: string, groupId: string, env: Record<string, string> = {}) =>
    startService({ topic, groupId, brokers: o.brokers, nodeArgs: o.nodeArgs, env });

  async function timedStart(
    topic: string,
    groupId: string,
    env: Record<string, string> = {},
  ): Promise<{ service: RunningService; readyMs: number }> {
    const began = performance.now();
    const service = await start(topic, groupId, env);
    await waitReady(service, 120_000);
    return { service, readyMs: performance.now() - began };
  }

  return {
    /** Shard 0 of 2 on the same log, `rounds` times; compared with the unsharded median given. */
    async shardRestart(topic: string, unshardedMs: number, rounds: number): Promise<Row> {
      const readies: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const { service, readyMs } = await timedStart(topic, `bench-${randomUUID()}`, {
          KYMAROS_TOTAL_SHARDS: "2",
          KYMAROS_SHARD: "0",
          // A full replay of the shard, as the unsharded figure it is compared with.
          KYMAROS_STATE_REBUILD: "true",
        });
        readies.push(readyMs);
        await service.stop();
      }
      o.log(`  shard 0 of 2 ready ${readies.map((m) => (m / 1000).toFixed(2)).join(", ")} s`);
      const ms = median(readies);
      return {
        figure: `restart to ready, shard 0 of 2 vs unsharded, same log (median of ${rounds})`,
        ours: `${fmt(ms / 1000, 2)} s`,
        baseline: `${fmt(unshardedMs / 1000, 2)} s (unsharded)`,
        ratio: fmt(ms / unshardedMs, 2),
        target: "<= 0.6",
      };
    },

    /** The same group each time, as a Deployment's pods have: a clean restart, then one after SIGKILL. */
    async killRestart(topic: string): Promise<Row> {
      const groupId = `bench-${randomUUID()}`;
      const first = await timedStart(topic, groupId);
      await first.service.stop("SIGTERM");
      const clean = await timedStart(topic, groupId);
      await clean.service.stop("SIGKILL");
      const killed = await timedStart(topic, groupId);
      await killed.service.stop();
      o.log(
        `  ready after SIGTERM ${fmt(clean.readyMs / 1000, 2)} s, after SIGKILL ${fmt(killed.readyMs / 1000, 2)} s`,
      );
      return {
        figure: "restart to ready after SIGKILL vs after a clean stop",
        ours: `${fmt(killed.readyMs / 1000, 2)} s`,
        baseline: `${fmt(clean.readyMs / 1000, 2)} s (clean)`,
        ratio: fmt(killed.readyMs / clean.readyMs, 2),
        target: "<= clean + 2 s",
      };
    },

    /**
     * Two replicas, rolled as the Deployment does (a new one up and ready, then an old one
     * stopped, twice); meanwhile every 50 ms a scrape goes to a replica that answers /readyz
     * 200, as a Service's ready endpoints would. Counts the ticks answered with the exact view.
     */
    async rollingRestart(topic: string): Promise<Row> {
      const groupId = `bench-${randomUUID()}`;
      const pods: RunningService[] = [
        (await timedStart(topic, groupId)).service,
        (await timedStart(topic, groupId)).service,
      ];
      const exact = domainLines(await (await fetch(`${pods[0]?.url}/metrics`)).text());
      const stopped = new Set<RunningService>();
      let rolling = true;
      let ticks = 0;
      let answered = 0;
      const scraper = (async () => {
        let next = 0;
        while (rolling) {
          ticks += 1;
          const candidates = pods.filter((p) => !stopped.has(p));
          for (let i = 0; i < candidates.length; i++) {
            const pod = candidates[(next + i) % candidates.length] as RunningService;
            try {
              if ((await fetch(`${pod.url}/readyz`)).status !== 200) continue;
              const res = await fetch(`${pod.url}/metrics`);
              if (res.status === 200 && domainLines(await res.text()) === exact) {
                answered += 1;
                break;
              }
            } catch {
              // a pod going away: try the next ready one, as the Service would
            }
          }
          next += 1;
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      for (let i = 0; i < 2; i++) {
        const fresh = (await timedStart(topic, groupId)).service;
        pods.push(fresh);
        const old = pods[i] as RunningService;
        stopped.add(old);
        await old.stop("SIGTERM");
      }
      rolling = false;
      await scraper;
      for (const p of pods) if (!stopped.has(p)) await p.stop();
      o.log(`  rolling restart: ${answered} of ${ticks} scrape ticks answered with the exact view`);
      return {
        figure: "scrapes answered with the exact view, rolling restart of 2 replicas",
        ours: `${answered}/${ticks}`,
        baseline: "",
        ratio: fmt(answered / ticks, 3),
        target: "all",
      };
    },
  };
}
