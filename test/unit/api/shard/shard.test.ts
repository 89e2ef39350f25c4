/**
 * Shards: which partitions a shard owns, the shard settings, and the two assignment plans
 * (reader: a member gets its whole shard; owner: each partition to exactly one member of the
 * shard that owns it), against expectations computed here independently.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AssignerProtocol } from "kafkajs";
import { readConfig } from "../../../../services/api/config.ts";
import { decodeShard, encodeShard } from "../../../../services/api/kafka/assigners.ts";
import { ownerPlan, readerPlan, type ShardMember } from "../../../../services/api/shard/assignment.ts";
import { podOrdinal } from "../../../../services/api/shard/settings.ts";
import {
  ownsPartition,
  type Shard,
  shardPartitions,
  shardProblem,
} from "../../../../services/api/shard/shard.ts";
import { ConfigError } from "../../../../services/config/errors.ts";

const shardArb = fc
  .integer({ min: 1, max: 12 })
  .chain((total) => fc.record({ index: fc.integer({ min: 0, max: total - 1 }), total: fc.constant(total) }));
const partitionsArb = fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { maxLength: 40 });

describe("shard: partitions", () => {
  it("the shards of N split any set of partitions: each partition in exactly one shard", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), partitionsArb, (total, partitions) => {
        const seen = new Map<number, number>();
        for (let index = 0; index < total; index++) {
          for (const p of shardPartitions({ index, total }, partitions)) seen.set(p, (seen.get(p) ?? 0) + 1);
        }
        assert.deepEqual(
          [...seen.keys()].sort((a, b) => a - b),
          [...partitions].sort((a, b) => a - b),
        );
        assert.ok([...seen.values()].every((n) => n === 1));
      }),
    );
  });

  it("shard i of N owns the partitions whose number is i modulo N", () => {
    // Worked by hand: 6 partitions, 3 shards.
    assert.deepEqual(shardPartitions({ index: 0, total: 3 }, [5, 4, 3, 2, 1, 0]), [0, 3]);
    assert.deepEqual(shardPartitions({ index: 2, total: 3 }, [0, 1, 2, 3, 4, 5]), [2, 5]);
    assert.deepEqual(shardPartitions({ index: 0, total: 1 }, [2, 0, 1]), [0, 1, 2]);
  });

  it("every shard owns a partition exactly when the topic has at least as many partitions as shards", () => {
    fc.assert(
      fc.property(shardArb, fc.integer({ min: 1, max: 40 }), (shard, count) => {
        const ids = Array.from({ length: count }, (_, i) => i);
        const allOwnSome = Array.from({ length: shard.total }, (_, index) => index).every(
          (index) => shardPartitions({ index, total: shard.total }, ids).length > 0,
        );
        assert.equal(shardProblem(shard, count) === null, allOwnSome);
      }),
    );
    assert.match(shardProblem({ index: 3, total: 3 }, 6) ?? "", /shard 3 does not exist among 3/);
  });
});

describe("shard: settings", () => {
  const shardOf = (env: Record<string, string>): Shard => readConfig(env).shard;
  const refused = (env: Record<string, string>, setting: string, pattern: RegExp) =>
    assert.throws(
      () => readConfig(env),
      (err: unknown) => err instanceof ConfigError && err.setting === setting && pattern.test(err.message),
    );

  it("none means one shard, whatever the hostname", () => {
    assert.deepEqual(shardOf({}), { index: 0, total: 1 });
    assert.deepEqual(shardOf({ HOSTNAME: "kymaros-api-7" }), { index: 0, total: 1 });
  });

  it("KYMAROS_SHARD and KYMAROS_TOTAL_SHARDS set it", () => {
    assert.deepEqual(shardOf({ KYMAROS_TOTAL_SHARDS: "3", KYMAROS_SHARD: "2" }), { index: 2, total: 3 });
    assert.deepEqual(shardOf({ KYMAROS_TOTAL_SHARDS: "3", KYMAROS_SHARD: "0", HOSTNAME: "x-4" }), {
      index: 0,
      total: 3,
    });
  });

  it("unset, the shard is a StatefulSet ordinal modulo the shard count", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 10_000 }), (total, ordinal) => {
        const shard = shardOf({ KYMAROS_TOTAL_SHARDS: String(total), HOSTNAME: `kymaros-api-${ordinal}` });
        assert.equal(shard.total, total);
        assert.equal(shard.index, total === 1 ? 0 : ordinal - Math.floor(ordinal / total) * total);
      }),
    );
    assert.equal(podOrdinal("kymaros-api-shard-12"), 12);
    assert.equal(podOrdinal("kymaros-api-7d9c-x2x4z"), null);
  });

  it("refuses a shard outside 0..N-1, bad numbers, and a missing ordinal, naming the setting", () => {
    refused(
      { KYMAROS_TOTAL_SHARDS: "3", KYMAROS_SHARD: "3" },
      "KYMAROS_SHARD",
      /3 is not below KYMAROS_TOTAL_SHARDS \(3\)/,
    );
    refused({ KYMAROS_SHARD: "1" }, "KYMAROS_SHARD", /not below KYMAROS_TOTAL_SHARDS \(1\)/);
    refused({ KYMAROS_TOTAL_SHARDS: "0" }, "KYMAROS_TOTAL_SHARDS", /integer from 1/);
    refused({ KYMAROS_TOTAL_SHARDS: "two" }, "KYMAROS_TOTAL_SHARDS", /integer/);
    refused({ KYMAROS_TOTAL_SHARDS: "2", KYMAROS_SHARD: "-1" }, "KYMAROS_SHARD", /integer/);
    refused(
      { KYMAROS_TOTAL_SHARDS: "2", HOSTNAME: "kymaros-api-7d9c-x2x4z" },
      "KYMAROS_SHARD",
      /no StatefulSet ordinal/,
    );
    refused({ KYMAROS_TOTAL_SHARDS: "2" }, "KYMAROS_SHARD", /no StatefulSet ordinal/);
  });
});

const membersArb = fc.uniqueArray(
  fc.record({
    memberId: fc.string({ minLength: 1, maxLength: 6 }),
    shard: fc.option(shardArb, { nil: null }),
  }),
  { selector: (m) => m.memberId, maxLength: 8 },
);

describe("shard: assignment plans", () => {
  it("reader: every member gets exactly the partitions its shard owns", () => {
    fc.assert(
      fc.property(membersArb, partitionsArb, (members, partitions) => {
        const plan = readerPlan(members, partitions);
        for (const m of members) {
          const expected = partitions.filter((p) => m.shard !== null && p % m.shard.total === m.shard.index);
          assert.deepEqual(
            plan.get(m.memberId),
            expected.sort((a, b) => a - b),
          );
        }
      }),
    );
  });

  it("owner: each partition to exactly one member that reads it, none when no member does", () => {
    fc.assert(
      fc.property(membersArb, partitionsArb, (members, partitions) => {
        const plan = ownerPlan(members, partitions);
        const owner = new Map<number, string>();
        for (const [memberId, mine] of plan) {
          for (const p of mine) {
            assert.ok(!owner.has(p), `partition ${p} given twice`);
            owner.set(p, memberId);
          }
        }
        for (const p of partitions) {
          const readers = members.filter((m) => m.shard !== null && ownsPartition(m.shard, p));
          if (readers.length === 0)
            assert.ok(!owner.has(p), `partition ${p} given to a member that does not read it`);
          else
            assert.ok(
              readers.some((m) => m.memberId === owner.get(p)),
              `partition ${p}: owner does not read it`,
            );
        }
      }),
    );
  });

  it("owner: the replicas of one shard share its partitions evenly", () => {
    fc.assert(
      fc.property(shardArb, fc.integer({ min: 1, max: 5 }), partitionsArb, (shard, replicas, partitions) => {
        const members: ShardMember[] = Array.from({ length: replicas }, (_, i) => ({
          memberId: `m${i}`,
          shard,
        }));
        const loads = [...ownerPlan(members, partitions).values()].map((mine) => mine.length);
        const owned = partitions.filter((p) => p % shard.total === shard.index).length;
        assert.equal(
          loads.reduce((a, b) => a + b, 0),
          owned,
        );
        assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `loads ${loads}`);
      }),
    );
  });

  it("a member's shard travels in its join metadata; foreign metadata reads as no shard", () => {
    fc.assert(
      fc.property(shardArb, (shard) => {
        const metadata = AssignerProtocol.MemberMetadata.encode({
          version: 1,
          topics: ["t"],
          userData: encodeShard(shard),
        });
        assert.deepEqual(decodeShard(metadata), { ...shard });
      }),
    );
    const foreign = AssignerProtocol.MemberMetadata.encode({
      version: 1,
      topics: ["t"],
      userData: Buffer.from("xyz"),
    });
    assert.equal(decodeShard(foreign), null);
    assert.equal(decodeShard(Buffer.from([1, 2, 3])), null);
  });
});
