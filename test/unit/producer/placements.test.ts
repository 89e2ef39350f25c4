/** Where each record of a batch landed, from kafkajs's one base offset per partition. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RecordMetadata } from "kafkajs";
import { placements } from "../../../services/producer/placements.ts";

const meta = (partition: number, baseOffset: string, errorCode = 0): RecordMetadata => ({
  topicName: "t",
  partition,
  errorCode,
  baseOffset,
});

test("a partition's records follow its base offset in the order sent", () => {
  const got = placements("t", [meta(0, "10"), meta(2, "9007199254740993")], [2, 0, 2, 0, 0]);
  assert.deepEqual(
    got.map((p) => [p.partition, p.offset]),
    [
      [2, "9007199254740993"],
      [0, "10"],
      [2, "9007199254740994"],
      [0, "11"],
      [0, "12"],
    ],
  );
  assert.ok(got.every((p) => p.topic === "t"));
});

test("a partition's error, or a record with no acknowledgement, is an error", () => {
  assert.throws(() => placements("t", [meta(0, "1", 6)], [0]), /partition 0 answered error code 6/);
  assert.throws(() => placements("t", [meta(0, "1")], [0, 1]), /no acknowledgement for record 1/);
  assert.throws(() => placements("t", [meta(0, "1")], [undefined]), /no acknowledgement for record 0/);
});
