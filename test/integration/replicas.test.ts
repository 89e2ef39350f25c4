/**
 * Replicas and shards against the real broker (several service processes on one topic):
 * replicas each serve the whole view of their shard, byte for byte the same; a SIGKILLed replica
 * changes nothing the other serves and comes back exact; shards split the tests and their union
 * is the single-instance exposition; dead letters are written once however many replicas read
 * them; a topic with fewer partitions than shards is refused, and a changed partition count is
 * reported. Expectations come from the published runs (test/support/model.ts).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createCodec, type RunCompleted } from "../../services/contract/index.ts";
import { createProducer, type RunProducer } from "../../services/producer/index.ts";
import { domainSamples } from "../support/exposition.ts";
import { createTopic, testBrokers, testKafka, uniqueTopic } from "../support/kafka.ts";
import { expectedSamples, numericSamples } from "../support/model.ts";
import { run } from "../support/runs.ts";
import {
  type RunningService,
  scrape,
  selfMetric,
  startService,
  waitFor,
  waitReady,
} from "../support/service.ts";
import { readTopic } from "../support/topic-reader.ts";

const kafka = testKafka("replicas-test");
const running: RunningService[] = [];
const producers: RunProducer[] = [];
const codec = createCodec();

after(async () => {
  for (const p of producers) await p.close();
  for (const s of running) await s.stop("SIGKILL");
});

function producer(topic: string): RunProducer {
  const p = createProducer({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic });
  producers.push(p);
  return p;
}

async function start(
  topic: string,
  groupId: string,
  env: Record<string, string> = {},
): Promise<RunningService> {
  const s = await startService({ topic, groupId, env });
  running.push(s);
  return s;
}

/** `count` runs over `tests` tests (keyed by test, so spread over the partitions). */
function runs(prefix: string, tests: number, count: number, from = 0): RunCompleted[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const startedAt = Date.UTC(2026, 10, 1) + n * 3_600_000;
    return run({
      runId: `${prefix}-${n}`,
      test: `${prefix}-test-${n % tests}`,
      result: (["pass", "fail", "partial"] as const)[n % 3],
      score: (n * 37) % 101,
      startedAt,
      completedAt: startedAt + ((n * 7919) % 9000) * 1000,
      rtoSeconds: n % 5 === 0 ? null : (n * 13) % 2000,
    });
  });
}

/** Domain sample lines exactly as served, sorted (families and HELP/TYPE lines left out). */
function domainLines(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => /^kymaros_(?!api_)/.test(l))
    .sort();
}

async function exact(s: RunningService, log: readonly RunCompleted[], what: string): Promise<string> {
  const expected = expectedSamples(log);
  let last = new Map<string, number>();
  try {
    return await waitFor(
      `${what}: the domain metrics to equal the published runs`,
      async () => {
        const text = await scrape(s);
        last = numericSamples(domainSamples(text));
        try {
          assert.deepEqual(last, expected);
          return text;
        } catch {
          return undefined;
        }
      },
      30_000,
      s,
    );
  } catch (err) {
    assert.deepEqual(last, expected, `${what}: ${String(err)}`);
    throw err;
  }
}

/** The samples of the union of several services' expositions (each series from one only). */
async function unionOf(services: readonly RunningService[]): Promise<string[]> {
  const lines: string[] = [];
  for (const s of services) lines.push(...domainLines(await scrape(s)));
  return lines.sort();
}

describe("two replicas", { timeout: 180_000 }, () => {
  const topic = uniqueTopic("replicas");
  const groupId = `${topic}.group`;
  const first = runs("r", 12, 60);

  test("both serve the whole view, exact and byte-identical", async () => {
    await createTopic(kafka, topic, 6);
    await producer(topic).publishMany(first);
    const [a, b] = [await start(topic, groupId), await start(topic, groupId)] as [
      RunningService,
      RunningService,
    ];
    await Promise.all([waitReady(a), waitReady(b)]);
    const textA = await exact(a, first, "replica a");
    const textB = await exact(b, first, "replica b");
    assert.deepEqual(domainLines(textA), domainLines(textB));
  });

  test("SIGKILL one during live publishing: the other answers every scrape, the killed one comes back exact", async () => {
    const [a, b] = running.slice(-2) as [RunningService, RunningService];
    const live = runs("r", 12, 120, 60);
    const p = producer(topic);
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; i < live.length && publishing; i += 4) {
        await p.publishMany(live.slice(i, i + 4));
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    // Scrapes of the survivor, back to back, for the whole kill and restart.
    let scraping = true;
    const answers: Array<{ metrics: number; ready: number; series: number }> = [];
    const scraper = (async () => {
      while (scraping) {
        const metrics = await fetch(`${a.url}/metrics`);
        const text = await metrics.text();
        const ready = (await fetch(`${a.url}/readyz`)).status;
        answers.push({ metrics: metrics.status, ready, series: domainLines(text).length });
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await b.stop("SIGKILL"), null);
    const again = await start(topic, groupId);
    await waitReady(again);
    await publisher;
    publishing = false;
    scraping = false;
    await scraper;
    const all = [...first, ...live];
    const textA = await exact(a, all, "the survivor");
    const textB = await exact(again, all, "the restarted replica");
    assert.deepEqual(domainLines(textA), domainLines(textB));
    assert.ok(answers.length > 10, `only ${answers.length} scrapes`);
    const bad = answers.filter((x) => x.metrics !== 200 || x.ready !== 200 || x.series === 0);
    assert.deepEqual(bad, [], "every scrape of the survivor answered with the domain series, ready");
    // No session to wait for: the restarted replica's reader group was its own.
    assert.doesNotMatch(again.output(), /The group is rebalancing/);
  });
});

describe("three shards of two replicas", { timeout: 240_000 }, () => {
  const topic = uniqueTopic("shards");
  const groupId = `${topic}.group`;
  const log = runs("s", 18, 72);
  const shards: RunningService[][] = [[], [], []];
  let single: RunningService | undefined;

  test("each shard serves only its tests; the union equals the single instance's exposition", async () => {
    await createTopic(kafka, topic, 6);
    await producer(topic).publishMany(log);
    for (let index = 0; index < 3; index++) {
      for (let r = 0; r < 2; r++) {
        const env = { KYMAROS_TOTAL_SHARDS: "3", KYMAROS_SHARD: String(index) };
        (shards[index] as RunningService[]).push(await start(topic, groupId, env));
      }
    }
    single = await start(topic, `${groupId}.single`);
    await Promise.all([...shards.flat(), single].map((s) => waitReady(s)));
    const whole = domainLines(await exact(single, log, "the single instance"));

    const tests = new Set(log.map((r) => r.test));
    const seen = new Map<string, number>();
    for (const [index, replicas] of shards.entries()) {
      const [x, y] = replicas as [RunningService, RunningService];
      const lines = domainLines(await scrape(x));
      assert.deepEqual(lines, domainLines(await scrape(y)), `shard ${index}: replicas differ`);
      assert.ok(lines.length > 0, `shard ${index} serves nothing`);
      for (const line of lines) {
        const test = /test="([^"]*)"/.exec(line)?.[1] ?? "";
        const owner = seen.get(test);
        assert.ok(owner === undefined || owner === index, `${test} served by shards ${owner} and ${index}`);
        seen.set(test, index);
      }
    }
    assert.equal(seen.size, tests.size);
    assert.deepEqual(await unionOf(shards.map((r) => r[0] as RunningService)), whole);
  });

  test("exact again after killing one member of each shard, with more runs meanwhile", async () => {
    for (const replicas of shards) assert.equal(await (replicas[0] as RunningService).stop("SIGKILL"), null);
    const more = runs("s", 18, 36, 72);
    await producer(topic).publishMany(more);
    const all = [...log, ...more];
    const whole = domainLines(await exact(single as RunningService, all, "the single instance"));
    const survivors = shards.map((r) => r[1] as RunningService);
    assert.equal(whole.length, expectedSamples(all).size);
    // The new runs change values, not which series exist: wait for the values themselves.
    const key = JSON.stringify(whole);
    await waitFor("the survivors' union to be exact", async () =>
      JSON.stringify(await unionOf(survivors)) === key ? true : undefined,
    );
    assert.deepEqual(await unionOf(survivors), whole);
  });
});

describe("dead letters with two replicas", { timeout: 180_000 }, () => {
  const topic = uniqueTopic("dlq-replicas");
  const dlqTopic = `${topic}.dlq`;
  const groupId = `${topic}.group`;

  /** Bad messages keyed by 12 tests (so on every partition), and the good runs between them. */
  async function publishBad(from: number, count: number): Promise<void> {
    const p = kafka.producer();
    await p.connect();
    const messages = Array.from({ length: count }, (_, i) => {
      const n = from + i;
      return n % 2 === 0
        ? { key: `dl-test-${n % 12}`, value: Buffer.from(`not avro ${n}`) }
        : {
            key: `dl-test-${n % 12}`,
            value: codec.encode(run({ runId: `bad-${n}`, test: `dl-test-${n % 12}`, score: 150 })),
          };
    });
    await p.send({ topic, acks: -1, messages });
    await p.disconnect();
  }

  async function lettersOnce(expected: number): Promise<void> {
    const read = await waitFor(
      `${expected} dead letters`,
      async () => {
        const letters = await readTopic(kafka, dlqTopic);
        return letters.length >= expected ? letters : undefined;
      },
      40_000,
    );
    // A little longer: a second copy would come now.
    await new Promise((r) => setTimeout(r, 2_500));
    const letters = await readTopic(kafka, dlqTopic);
    const sources = letters.map(
      (l) => `${l.headers["kymaros.source.partition"]}/${l.headers["kymaros.source.offset"]}`,
    );
    assert.equal(
      new Set(sources).size,
      sources.length,
      `a message dead-lettered twice: ${sources.sort().join(" ")}`,
    );
    assert.equal(letters.length, expected);
    assert.ok(read.length <= expected);
  }

  test("each bad message is dead-lettered once, not once per replica", async () => {
    await createTopic(kafka, topic, 6);
    const [a, b] = [await start(topic, groupId), await start(topic, groupId)] as [
      RunningService,
      RunningService,
    ];
    await Promise.all([waitReady(a), waitReady(b)]);
    // Both replicas in the ledger group, each owning some partitions.
    await waitFor("the ledger split between the replicas", async () => {
      const owned = [
        selfMetric(await scrape(a), "kymaros_api_dead_letter_partitions"),
        selfMetric(await scrape(b), "kymaros_api_dead_letter_partitions"),
      ];
      return owned[0] === 3 && owned[1] === 3 ? true : undefined;
    });
    await publishBad(0, 24);
    for (const s of [a, b]) {
      await waitFor("both replicas refused every bad message", async () =>
        selfMetric(await scrape(s), "kymaros_api_invalid_events_total") === 24 ? true : undefined,
      );
    }
    await lettersOnce(24);
    const published =
      selfMetric(await scrape(a), "kymaros_api_dead_letters_total", 'result="published"') +
      selfMetric(await scrape(b), "kymaros_api_dead_letters_total", 'result="published"');
    assert.equal(published, 24);
  });

  test("a SIGKILLed replica's partitions pass to the other, which writes what came meanwhile, once", async () => {
    const [a, b] = running.slice(-2) as [RunningService, RunningService];
    // Let the owners commit what they wrote (the ledger commits each second).
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(await b.stop("SIGKILL"), null);
    await publishBad(24, 12);
    // b's partitions go to a once b's session in the ledger group expires.
    await lettersOnce(36);
    const again = await start(topic, groupId);
    await waitReady(again);
    await waitFor("the ledger split again", async () =>
      selfMetric(await scrape(again), "kymaros_api_dead_letter_partitions") === 3 ? true : undefined,
    );
    await publishBad(36, 12);
    await lettersOnce(48);
    assert.equal(selfMetric(await scrape(a), "kymaros_api_invalid_events_total"), 48);
  });
});

describe("upgrade from the version before shards", { timeout: 120_000 }, () => {
  test("an old instance in the group (round robin): the new one starts, and owns the ledger once the old left", async () => {
    const topic = uniqueTopic("upgrade");
    const groupId = `${topic}.group`;
    await createTopic(kafka, topic, 6);
    const log = runs("u", 6, 24);
    await producer(topic).publishMany(log);
    // The old version read through the group itself, with kafkajs's default assigner.
    const old = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await old.connect();
    await old.subscribe({ topic, fromBeginning: true });
    let oldJoined = false;
    old.on(old.events.GROUP_JOIN, () => {
      oldJoined = true;
    });
    await old.run({ autoCommit: false, eachBatch: async () => {} });
    await waitFor("the old instance in the group", async () => (oldJoined ? true : undefined));
    const s = await start(topic, groupId);
    await waitReady(s);
    await exact(s, log, "the new instance beside an old one");
    await waitFor("the new instance in the group under round robin", async () => {
      const { members, protocol } = await old.describeGroup();
      return members.length === 2 && protocol === "RoundRobinAssigner" ? true : undefined;
    });
    assert.equal(selfMetric(await scrape(s), "kymaros_api_dead_letter_partitions"), 0);
    await old.disconnect();
    await waitFor(
      "the ledger's partitions, once the old instance left",
      async () =>
        selfMetric(await scrape(s), "kymaros_api_dead_letter_partitions") === 6 ? true : undefined,
      30_000,
      s,
    );
    assert.doesNotMatch(s.output(), /stopped for good/);
  });
});

describe("shards against the topic's partitions", { timeout: 120_000 }, () => {
  test("fewer partitions than shards: the start is refused, naming KYMAROS_TOTAL_SHARDS", async () => {
    const topic = uniqueTopic("few");
    await createTopic(kafka, topic, 2);
    const s = await start(topic, `${topic}.group`, { KYMAROS_TOTAL_SHARDS: "3", KYMAROS_SHARD: "0" });
    assert.equal(await s.exited, 2);
    const lines = s.output().trim().split("\n");
    assert.match(
      lines.at(-1) ?? "",
      /^kymaros-api: configuration error: KYMAROS_TOTAL_SHARDS: the topic has 2 partition\(s\), fewer than the 3 shards/,
    );
  });

  test("partitions added since the ledger was started: reported in the log and a metric", async () => {
    const topic = uniqueTopic("grown");
    const groupId = `${topic}.group`;
    await createTopic(kafka, topic, 2);
    await producer(topic).publishMany(runs("g", 4, 8));
    const s = await start(topic, groupId);
    await waitReady(s);
    assert.equal(selfMetric(await scrape(s), "kymaros_api_partition_count_changed"), 0);
    // The ledger commits what its owner handled, with the partition count in the metadata.
    const admin = kafka.admin();
    await admin.connect();
    await waitFor("the ledger's commits", async () => {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return offsets?.partitions.some((p) => p.metadata === "partitions=2") ? true : undefined;
    });
    assert.equal(await s.stop("SIGTERM"), 0);
    await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
    await admin.disconnect();
    const again = await start(topic, groupId);
    await waitReady(again);
    assert.equal(
      selfMetric(await scrape(again), "kymaros_api_partition_count_changed", `topic="${topic}"`),
      1,
    );
    assert.match(again.output(), /partition count changed.*"from":2,"to":4/);
  });
});
