import assert from "node:assert/strict";
import { test } from "node:test";
import { explainDenied } from "../../../../services/api/kafka/denied.ts";
import { ConfigError } from "../../../../services/config/errors.ts";

const resources = { topic: "runs", dlqTopic: "runs.dlq", groupId: "kymaros-api" };

/** A broker's answer as kafkajs raises it: a KafkaJSProtocolError carries the protocol type. */
function protocolError(type: string): Error {
  return Object.assign(new Error(`broker said ${type}`), { name: "KafkaJSProtocolError", type });
}

test("a refused group, even wrapped by kafkajs's retries, names the group and the grant", () => {
  // KafkaJSNumberOfRetriesExceeded keeps the last error as its cause.
  const wrapped = new Error("retries exceeded", { cause: protocolError("GROUP_AUTHORIZATION_FAILED") });
  for (const err of [protocolError("GROUP_AUTHORIZATION_FAILED"), wrapped]) {
    const explained = explainDenied(err, resources);
    assert.ok(explained instanceof ConfigError);
    assert.equal(explained.setting, "Kafka ACLs");
    assert.match(
      explained.message,
      /denies this principal group kymaros-api: grant Read, Describe and Delete on the group prefix kymaros-api/,
    );
    assert.doesNotMatch(explained.message, /\n/);
  }
});

test("kafkajs's lost answer to a refused FindCoordinator still names the group and the grant", () => {
  const err = Object.assign(new Error("Failed to find group coordinator"), {
    name: "KafkaJSGroupCoordinatorNotFound",
  });
  const explained = explainDenied(err, resources);
  assert.ok(explained instanceof ConfigError);
  assert.match(
    explained.message,
    /group kymaros-api: the broker denies this principal the group \(grant Read, Describe and Delete on the group prefix kymaros-api\)/,
  );
});

test("a refused topic names both topics' grants; anything else passes through unchanged", () => {
  const explained = explainDenied(protocolError("TOPIC_AUTHORIZATION_FAILED"), resources);
  assert.ok(explained instanceof ConfigError);
  assert.match(explained.message, /topic runs, and Write, Describe and DescribeConfigs on topic runs\.dlq/);
  const other = protocolError("UNKNOWN_TOPIC_OR_PARTITION");
  assert.equal(explainDenied(other, resources), other);
  const plain = new Error("boom");
  assert.equal(explainDenied(plain, resources), plain);
});
