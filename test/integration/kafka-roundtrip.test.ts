import assert from "node:assert/strict";
import { test } from "node:test";
import { createTopic, testKafka, uniqueTopic } from "../support/kafka.ts";

test("a kafkajs producer and consumer round-trip keyed records through the real broker", async () => {
  const kafka = testKafka();
  const topic = uniqueTopic("roundtrip");
  await createTopic(kafka, topic, 3);

  const sent = Array.from({ length: 30 }, (_, i) => ({ key: `test-${i % 5}`, value: `value-${i}` }));
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: sent });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `${topic}.group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: { key: string; value: string; partition: number }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${received.length} of 30 records arrived`)),
      30_000,
    );
    consumer
      .run({
        eachMessage: async ({ message, partition }) => {
          received.push({ key: String(message.key), value: String(message.value), partition });
          if (received.length === sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();

  assert.deepEqual(
    received.map(({ key, value }) => ({ key, value })).sort((a, b) => a.value.localeCompare(b.value)),
    [...sent].sort((a, b) => a.value.localeCompare(b.value)),
  );
  // One key, one partition: what keeps a test's runs in order.
  const partitionsByKey = new Map<string, Set<number>>();
  for (const r of received)
    partitionsByKey.set(r.key, (partitionsByKey.get(r.key) ?? new Set()).add(r.partition));
  for (const [key, partitions] of partitionsByKey) assert.equal(partitions.size, 1, `key ${key}`);
});
