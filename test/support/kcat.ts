/**
 * kcat (librdkafka) as an independent Kafka client: what the tests read back was not read by
 * kafkajs. Records are framed binary-safe: a header line with the key and value lengths, then
 * the raw bytes (Avro payloads contain newlines and tabs).
 */
import { execFile } from "node:child_process";
import { testBrokers } from "./kafka.ts";

export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
}

const FORMAT = "%t %p %o %K %S\\n%k%s";

export function parseKcatOutput(out: Buffer): KcatRecord[] {
  const records: KcatRecord[] = [];
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    if (eol < 0) throw new Error(`kcat output truncated after ${records.length} records`);
    const [topic = "", partition, offset, keyLength, valueLength] = out
      .subarray(at, eol)
      .toString()
      .split(" ");
    at = eol + 1;
    const take = (length: number): Buffer | null => {
      if (length < 0) return null;
      const bytes = out.subarray(at, at + length);
      if (bytes.length !== length) throw new Error("kcat output truncated inside a record");
      at += length;
      return Buffer.from(bytes);
    };
    const key = take(Number(keyLength));
    const value = take(Number(valueLength));
    records.push({ topic, partition: Number(partition), offset: Number(offset), key, value });
  }
  return records;
}

/** Every record of the topic, from the beginning to the current end, sorted by partition and offset. */
export function readTopicWithKcat(topic: string, brokers: string[] = testBrokers()): Promise<KcatRecord[]> {
  const args = ["-C", "-b", brokers.join(","), "-t", topic, "-o", "beginning", "-e", "-q", "-f", FORMAT];
  return new Promise((resolve, reject) => {
    execFile(
      "kcat",
      args,
      { encoding: "buffer", maxBuffer: 256 * 1024 * 1024, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`kcat ${args.join(" ")} failed: ${err.message}\n${stderr.toString()}`));
          return;
        }
        try {
          const records = parseKcatOutput(stdout);
          records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
          resolve(records);
        } catch (parseError) {
          reject(parseError);
        }
      },
    );
  });
}
