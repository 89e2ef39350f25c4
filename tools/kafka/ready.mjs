// Exit 0 once the broker at argv[2] accepts a client and can create a topic.
import { Kafka, logLevel } from "kafkajs";

const kafka = new Kafka({
  brokers: [process.argv[2]],
  clientId: "kymaros-ready-probe",
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  retry: { retries: 0 },
});
const admin = kafka.admin();
try {
  await admin.connect();
  const topics = await admin.listTopics();
  if (!topics.includes("__kymaros_ready")) {
    await admin.createTopics({
      topics: [{ topic: "__kymaros_ready", numPartitions: 1 }],
      waitForLeaders: true,
    });
  }
  await admin.disconnect();
  process.exit(0);
} catch {
  process.exit(1);
}
