/** The broker integration tests talk to: KYMAROS_KAFKA_BROKERS, or the local one (started if down). */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";

const kafkaScript = fileURLToPath(new URL("../../tools/kafka/kafka.sh", import.meta.url));

let ensured: string[] | undefined;

export function testBrokers(): string[] {
  if (ensured) return ensured;
  const configured = process.env.KYMAROS_KAFKA_BROKERS;
  if (configured) {
    ensured = configured.split(",").map((b) => b.trim());
  } else {
    execFileSync(kafkaScript, ["up"], { stdio: "inherit" });
    ensured = ["127.0.0.1:9092"];
  }
  return ensured;
}

export function testKafka(clientId = "kymaros-test"): Kafka {
  return new Kafka({ brokers: testBrokers(), clientId, logLevel: logLevel.NOTHING });
}

/** A topic name no other test (or earlier run) uses. */
export function uniqueTopic(prefix: string): string {
  return `test.${prefix}.${randomUUID().slice(0, 8)}`;
}

export async function createTopic(kafka: Kafka, topic: string, numPartitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
