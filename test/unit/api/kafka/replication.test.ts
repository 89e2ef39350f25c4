import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  checkReplication,
  creationFields,
  isWeak,
  type ReplicationAdmin,
  readReplication,
} from "../../../../services/api/kafka/replication.ts";
import { createSelfMetrics } from "../../../../services/api/metrics/serve/self.ts";
import { ConfigError } from "../../../../services/config/errors.ts";
import { createLogger } from "../../../../services/log/logger.ts";

test("the replication settings: unset means the broker's defaults; bad values name the setting", () => {
  assert.deepEqual(readReplication({}), { replicationFactor: undefined, minInsyncReplicas: undefined });
  assert.deepEqual(
    readReplication({ KYMAROS_TOPIC_REPLICATION_FACTOR: "3", KYMAROS_TOPIC_MIN_INSYNC_REPLICAS: "2" }),
    { replicationFactor: 3, minInsyncReplicas: 2 },
  );
  for (const [setting, value] of [
    ["KYMAROS_TOPIC_REPLICATION_FACTOR", "0"],
    ["KYMAROS_TOPIC_REPLICATION_FACTOR", "three"],
    ["KYMAROS_TOPIC_REPLICATION_FACTOR", "2.5"],
    ["KYMAROS_TOPIC_MIN_INSYNC_REPLICAS", "-1"],
  ] as const) {
    assert.throws(
      () => readReplication({ [setting]: value }),
      (err: unknown) => err instanceof ConfigError && err.setting === setting && err.message.includes(value),
    );
  }
  assert.throws(
    () => readReplication({ KYMAROS_TOPIC_REPLICATION_FACTOR: "2", KYMAROS_TOPIC_MIN_INSYNC_REPLICAS: "3" }),
    (err: unknown) => err instanceof ConfigError && err.setting === "KYMAROS_TOPIC_MIN_INSYNC_REPLICAS",
  );
});

test("topics are created with the settings given, and with nothing the broker would not default", () => {
  assert.deepEqual(creationFields({ replicationFactor: undefined, minInsyncReplicas: undefined }), {
    configEntries: [],
  });
  assert.deepEqual(creationFields({ replicationFactor: 3, minInsyncReplicas: 2 }), {
    replicationFactor: 3,
    configEntries: [{ name: "min.insync.replicas", value: "2" }],
  });
});

test("weak: below 3 replicas or min ISR 2, and only on a cluster that has the brokers for it", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 9 }),
      (rf, isr, brokers) => {
        const weak = isWeak({ topic: "t", replicationFactor: rf, minInsyncReplicas: isr }, brokers);
        const expected = brokers >= 3 && !(rf >= 3 && isr >= 2);
        assert.equal(weak, expected);
      },
    ),
  );
});

function fakeAdmin(
  brokers: number,
  topics: Record<string, { replicas: number[]; minIsr?: string }>,
): ReplicationAdmin {
  return {
    async describeCluster() {
      return {
        brokers: Array.from({ length: brokers }, (_, i) => ({ nodeId: i + 1, host: "h", port: 1 })),
        controller: 1,
        clusterId: "c",
      };
    },
    async fetchTopicMetadata() {
      return {
        topics: Object.entries(topics).map(([name, t]) => ({
          name,
          partitions: t.replicas.map((n, partitionId) => ({
            partitionId,
            leader: 1,
            partitionErrorCode: 0,
            replicas: Array.from({ length: n }, (_, i) => i + 1),
            isr: [],
          })),
        })),
      };
    },
    async describeConfigs({ resources }) {
      return {
        throttleTime: 0,
        resources: resources.map((r) => ({
          resourceType: r.type,
          resourceName: r.name,
          errorCode: 0,
          errorMessage: "",
          configEntries: [
            {
              configName: "min.insync.replicas",
              configValue: topics[r.name]?.minIsr ?? "1",
              readOnly: false,
              isDefault: false,
              configSource: 1,
              isSensitive: false,
              configSynonyms: [],
            },
          ],
        })),
      };
    },
  };
}

test("existing topics are checked: the weak ones exported and warned about, naming the fix", async () => {
  const lines: string[] = [];
  const metrics = createSelfMetrics();
  const admin = fakeAdmin(3, {
    events: { replicas: [3, 3, 1], minIsr: "2" },
    "events.dlq": { replicas: [3], minIsr: "2" },
    other: { replicas: [3], minIsr: "1" },
  });
  await checkReplication(
    admin,
    ["events", "events.dlq", "other"],
    createLogger("info", (l) => lines.push(l)),
    metrics,
  );
  const values = (await metrics.topicReplicationWeak.get()).values.map((v) => [v.labels.topic, v.value]);
  assert.deepEqual(values, [
    ["events", 1],
    ["events.dlq", 0],
    ["other", 1],
  ]);
  const warned = lines.map((l) => JSON.parse(l) as { topic: string; msg: string; replicationFactor: number });
  assert.deepEqual(
    warned.map((w) => [w.topic, w.replicationFactor]),
    [
      ["events", 1],
      ["other", 3],
    ],
  );
  assert.match(warned[0]?.msg ?? "", /replication factor to 3 and min\.insync\.replicas to 2/);
});

test("a single broker has nothing better to offer: no warning", async () => {
  const lines: string[] = [];
  const metrics = createSelfMetrics();
  await checkReplication(
    fakeAdmin(1, { events: { replicas: [1] } }),
    ["events"],
    createLogger("info", (l) => lines.push(l)),
    metrics,
  );
  assert.equal((await metrics.topicReplicationWeak.get()).values[0]?.value, 0);
  assert.deepEqual(lines, []);
});
