// Exit 0 once the broker at argv[2] accepts a client and can create a topic.
//   node ready.mjs HOST:PORT                      PLAINTEXT: connect, create __kymaros_ready, and
//                                                 fetch a group's offsets (on a fresh broker this
//                                                 creates __consumer_offsets and waits for the group
//                                                 coordinator to load: consumers work from then on)
//   node ready.mjs HOST:PORT --ca FILE --user NAME --password-file FILE
//                                                 SASL_SSL: TLS trusting FILE, SCRAM-SHA-512 as
//                                                 NAME; exit 0 once it authenticates and lists topics
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ca: { type: "string" },
    user: { type: "string" },
    "password-file": { type: "string" },
  },
});
const secure = values.ca !== undefined;

const kafka = new Kafka({
  brokers: [positionals[0]],
  clientId: "kymaros-ready-probe",
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  retry: { retries: 0 },
  ...(secure
    ? {
        ssl: { ca: [readFileSync(values.ca, "utf8")] },
        sasl: {
          mechanism: "scram-sha-512",
          username: values.user ?? "kymaros",
          password: readFileSync(values["password-file"] ?? "", "utf8").trim(),
        },
      }
    : {}),
});
const admin = kafka.admin();
try {
  await admin.connect();
  const topics = await admin.listTopics();
  if (!secure && !topics.includes("__kymaros_ready")) {
    await admin.createTopics({
      topics: [{ topic: "__kymaros_ready", numPartitions: 1 }],
      waitForLeaders: true,
    });
  }
  if (!secure) await admin.fetchOffsets({ groupId: "kymaros-ready-probe", topics: ["__kymaros_ready"] });
  await admin.disconnect();
  process.exit(0);
} catch {
  process.exit(1);
}
