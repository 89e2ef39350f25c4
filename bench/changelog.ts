/**
 * The state changelog's rows of make bench: restart to ready restoring the changelog, against
 * kcat reading the events topic and against a full replay (KYMAROS_STATE_REBUILD=true, what every
 * start did before); the changelog's bytes against the topic's; changelog bytes written per live
 * event; RSS after a restore.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Kafka, logLevel } from "kafkajs";
import { createProducer } from "../services/producer/index.ts";
import { type RunningService, startService, waitFor, waitReady } from "../test/support/service.ts";
import { type Dataset, makeRun } from "./data.ts";
import type { Row } from "./replicas.ts";

export interface ChangelogBenchOptions {
  brokers: string[];
  nodeArgs: string[];
  log: (s: string) => void;
  metrics: (service: RunningService) => Promise<string>;
  rssMb: (pid: number | undefined) => number;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function sum(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** Bytes of the topic's keys and values, as kcat reads them (the changelog before compaction). */
function topicBytes(brokers: string[], topic: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("kcat", [
      "-C",
      "-b",
      brokers.join(","),
      "-t",
      topic,
      "-o",
      "beginning",
      "-e",
      "-q",
      "-f",
      "%K %S\n",
    ]);
    let bytes = 0;
    let rest = "";
    child.stdout.on("data", (d: Buffer) => {
      const lines = (rest + d.toString()).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) {
        const cut = l.lastIndexOf(" ");
        bytes += Buffer.byteLength(l.slice(0, cut)) + Math.max(0, Number(l.slice(cut + 1)));
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(bytes) : reject(new Error(`kcat exited ${code}`))));
  });
}

export function changelogBench(o: ChangelogBenchOptions) {
  const start = (topic: string, env: Record<string, string> = {}) =>
    startService({ topic, groupId: `bench-${randomUUID()}`, brokers: o.brokers, nodeArgs: o.nodeArgs, env });

  /** Until the instance's checkpoints cover what it applied on every partition. */
  async function checkpointed(service: RunningService, partitions: number): Promise<void> {
    await waitFor(
      "the changelog to be written",
      async () => {
        const text = await o.metrics(service);
        const lines = text.split("\n").filter((l) => l.startsWith("kymaros_api_state_checkpoint_lag{"));
        return lines.length === partitions && sum(text, "kymaros_api_state_checkpoint_lag") === 0
          ? true
          : undefined;
      },
      180_000,
      service,
    );
  }

  async function timed(topic: string, env: Record<string, string> = {}) {
    const began = performance.now();
    const service = await start(topic, env);
    await waitReady(service, 180_000);
    return { service, readyMs: performance.now() - began };
  }

  return {
    async rows(topic: string, d: Dataset, replayMs: number, kcatS: number, rounds: number): Promise<Row[]> {
      // The changelog as a full replay writes it, in a topic of its own this run (an earlier run's
      // would hold that run's writes too).
      o.log("changelog: a rebuild writes it, then restarts restore it");
      const admin = new Kafka({ brokers: o.brokers, clientId: "bench", logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [`${topic}.state`] }).catch(() => {});
      await waitFor("the old changelog to be deleted", async () =>
        (await admin.listTopics()).includes(`${topic}.state`) ? undefined : true,
      );
      await admin.disconnect();
      const writer = await timed(topic, { KYMAROS_STATE_REBUILD: "true" });
      await checkpointed(writer.service, d.partitions);
      await writer.service.stop();
      const readies: number[] = [];
      let last: RunningService | undefined;
      for (let i = 0; i < rounds; i++) {
        const run = await timed(topic);
        readies.push(run.readyMs);
        if (i < rounds - 1) await run.service.stop();
        else last = run.service;
      }
      const service = last as RunningService;
      const readyMs = median(readies);
      o.log(`  restore ready ${readies.map((m) => (m / 1000).toFixed(2)).join(", ")} s`);
      await new Promise((r) => setTimeout(r, 3000));
      const after = await o.metrics(service);
      const rss = o.rssMb(service.process.pid);

      // Live events: bytes of changelog written per event applied (a restore writes nothing by itself).
      const before = sum(await o.metrics(service), "kymaros_api_state_changelog_bytes_written_total");
      const producer = createProducer({ env: { KYMAROS_KAFKA_BROKERS: o.brokers.join(",") }, topic });
      const live = 2000;
      for (let i = 0; i < live / 100; i++) {
        await producer.publishMany(
          Array.from({ length: 100 }, (_, j) => {
            const r = makeRun((i * 100 + j) % d.tests, d.runsPerTest + 5000 + i, Math.random);
            return { ...r, runId: `${r.runId}-${randomUUID()}` };
          }),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
      await producer.close();
      await checkpointed(service, d.partitions);
      const written =
        sum(await o.metrics(service), "kymaros_api_state_changelog_bytes_written_total") - before;
      await service.stop();
      const [sourceBytes, stateBytes] = [
        await topicBytes(o.brokers, topic),
        await topicBytes(o.brokers, `${topic}.state`),
      ];
      return [
        {
          figure: `restart to ready restoring the changelog vs kcat reading the topic (median of ${rounds})`,
          ours: `${fmt(readyMs / 1000, 2)} s`,
          baseline: `${fmt(kcatS, 2)} s (kcat)`,
          ratio: fmt(readyMs / 1000 / kcatS, 2),
          target: "<= 1.0 (stretch 0.5)",
        },
        {
          figure: "restart to ready restoring the changelog vs a full replay",
          ours: `${fmt(readyMs / 1000, 2)} s`,
          baseline: `${fmt(replayMs / 1000, 2)} s (replay)`,
          ratio: fmt(readyMs / replayMs, 2),
          target: "",
        },
        {
          figure: `restore: records read, seconds (restore only), RSS after it`,
          ours: `${sum(after, "kymaros_api_state_records_restored")}, ${fmt(sum(after, "kymaros_api_state_restore_duration_seconds"), 2)} s, ${fmt(rss, 0)} MB`,
          baseline: "",
          ratio: "",
          target: "RSS <= 256 MB",
        },
        {
          figure: "changelog bytes (uncompacted log) vs the topic's bytes",
          ours: `${fmt(stateBytes / 1e6, 1)} MB`,
          baseline: `${fmt(sourceBytes / 1e6, 1)} MB`,
          ratio: fmt(stateBytes / sourceBytes, 2),
          target: "",
        },
        {
          figure: `changelog bytes written per live event (${live} events)`,
          ours: `${fmt(written / live, 0)} B`,
          baseline: "",
          ratio: "",
          target: "",
        },
      ];
    },
  };
}
