/**
 * Generated benchmark data: N tests x M runs with realistic values, one run per test per hour,
 * published to a topic of several partitions. A topic already holding the same data is reused.
 */
import type { Kafka } from "kafkajs";
import { createCodec, type RunCompleted } from "../services/contract/index.ts";

export interface Dataset {
  tests: number;
  runsPerTest: number;
  partitions: number;
}

/** Another wire format of the same events (registry framing): its name goes into the topic's. */
export interface Framing {
  name: string;
  frame: (singleObject: Buffer) => Buffer;
}

export const topicFor = (d: Dataset, framing?: Framing) =>
  `bench.runs.${framing ? `${framing.name}.` : ""}${d.tests}x${d.runsPerTest}.p${d.partitions}`;

const BASE = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

/** Deterministic pseudo-random numbers, so every run of the benchmark has the same data. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function testName(i: number): string {
  return `app-${String(i).padStart(5, "0")}-nightly`;
}

export function makeRun(test: number, run: number, random: () => number): RunCompleted {
  const startedAt = BASE + run * HOUR + Math.floor(random() * 600_000);
  const durationMs = 30_000 + Math.floor(random() * 3_000_000);
  const roll = random();
  const result = roll < 0.9 ? "pass" : roll < 0.96 ? "partial" : "fail";
  const score = result === "pass" ? 80 + Math.floor(random() * 21) : Math.floor(random() * 80);
  const stamp = new Date(startedAt).toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return {
    runId: `${testName(test)}-${stamp}`,
    test: testName(test),
    namespace: `ns-${test % 50}`,
    result,
    score,
    startedAt,
    completedAt: startedAt + durationMs,
    rtoSeconds: Math.round(random() * 1_500_000) / 1000,
    backupName: `${testName(test)}-backup-${stamp}`,
    backupCreatedAt: startedAt - Math.floor(random() * 86_400_000),
    rtoTargetSeconds: 900,
    cluster: "bench",
  };
}

/** Messages in the topic now. */
export async function topicSize(kafka: Kafka, topic: string): Promise<number | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Publishes the dataset unless the topic already holds exactly it; returns the topic. */
export async function ensureDataset(
  kafka: Kafka,
  d: Dataset,
  log: (s: string) => void,
  framing?: Framing,
): Promise<string> {
  const topic = topicFor(d, framing);
  const frame = framing?.frame ?? ((b: Buffer) => b);
  const total = d.tests * d.runsPerTest;
  const size = await topicSize(kafka, topic);
  // The scrape figures publish a few thousand live runs into it: reuse it while they stay few.
  if (size !== undefined && size >= total && size <= total * 1.05) return topic;
  const admin = kafka.admin();
  await admin.connect();
  if (size !== undefined) await admin.deleteTopics({ topics: [topic] });
  await admin.createTopics({
    topics: [{ topic, numPartitions: d.partitions, configEntries: [{ name: "retention.ms", value: "-1" }] }],
    waitForLeaders: true,
  });
  await admin.disconnect();

  const codec = createCodec();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const random = mulberry32(7);
  const began = Date.now();
  const BATCH = 20_000;
  let pending: Promise<unknown>[] = [];
  let messages: { key: string; value: Buffer }[] = [];
  let sent = 0;
  // Run-major order: the log interleaves tests as nightly runners would.
  for (let r = 0; r < d.runsPerTest; r++) {
    for (let t = 0; t < d.tests; t++) {
      const run = makeRun(t, r, random);
      messages.push({ key: run.test, value: frame(codec.encode(run)) });
      if (messages.length === BATCH) {
        pending.push(producer.send({ topic, acks: 1, messages }));
        messages = [];
        sent += BATCH;
        if (pending.length >= 4) {
          await Promise.all(pending);
          pending = [];
        }
        if (sent % 200_000 === 0) log(`  generated ${sent}/${total} events`);
      }
    }
  }
  if (messages.length > 0) pending.push(producer.send({ topic, acks: 1, messages }));
  await Promise.all(pending);
  await producer.disconnect();
  log(`  published ${total} events to ${topic} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  return topic;
}
