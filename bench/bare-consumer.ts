/**
 * The bare kafkajs baseline, run in a process of its own: connects, reads the topic from the
 * start with the service's fetch sizes, only counts messages, and prints the seconds from
 * connect to the last expected message (as JSON on stdout).
 *
 *   node --import tsx bench/bare-consumer.ts <brokers> <topic> <expected>
 *
 * A process of its own because the service replays in a fresh one: a consumer in the bench's
 * process had kafkajs's decoding compiled already from the rounds before, and replayed about a
 * fifth faster than a first replay does (1.56-1.69 s against 1.96-2.04 s in one measurement).
 */
import { performance } from "node:perf_hooks";
import { Kafka, logLevel } from "kafkajs";

const [brokers = "", topic = "", expectedArg = ""] = process.argv.slice(2);
const expected = Number(expectedArg);
if (!brokers || !topic || !Number.isInteger(expected) || expected <= 0) {
  process.stderr.write("usage: bare-consumer.ts <brokers> <topic> <expected messages>\n");
  process.exit(2);
}

const kafka = new Kafka({ brokers: brokers.split(","), clientId: "bench-bare", logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({
  groupId: `bench-bare-${Date.now()}`,
  // The same fetch sizes as the service, so the comparison is of the pipeline, not of them.
  maxBytesPerPartition: 512 * 1024,
  maxBytes: 3072 * 1024,
});
const began = performance.now();
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let count = 0;
await new Promise<void>((resolve, reject) => {
  consumer
    .run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        count += batch.messages.length;
        if (count >= expected) resolve();
      },
    })
    .catch(reject);
});
const seconds = (performance.now() - began) / 1000;
process.stdout.write(`${JSON.stringify({ seconds, messages: count })}\n`);
await consumer.disconnect();
