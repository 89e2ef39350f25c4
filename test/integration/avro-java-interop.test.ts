/**
 * Byte-for-byte interoperability with the Avro reference implementation (Java 1.12.1, run by
 * tools/avro-interop): fingerprints, canonical forms, single-object messages both ways, schema
 * resolution both ways and the golden vectors. Needs Java and Maven, no broker.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import {
  CodecError,
  createCodec,
  createFactsReader,
  fingerprint,
  parsingCanonicalForm,
  type RunCompleted,
  type SchemaVersion,
  type TestRetired,
} from "../../services/contract/index.ts";
import { loadRetirementSchema, loadSchema, retirementSchemaPath } from "../../services/contract/schemas.ts";
import { buildJavaAvro, javaDecode, javaEncode, javaFingerprint, runJavaAvro } from "../support/java-avro.ts";

const base: RunCompleted = {
  runId: "my-app-nightly-20261126-030000",
  test: "my-app-nightly",
  namespace: "kymaros-system",
  result: "pass",
  score: 97,
  startedAt: 1_795_748_400_000,
  completedAt: 1_795_749_154_567,
  rtoSeconds: null,
  backupName: null,
  backupCreatedAt: null,
  rtoTargetSeconds: null,
  cluster: null,
};

/** Events the codec must carry exactly; some are beyond validateRun on purpose (the codec does not judge). */
const events: RunCompleted[] = [
  base,
  {
    ...base,
    runId: "3f1c2b7e-9d4a-4e8b-a5c6-0d1e2f3a4b5c",
    result: "fail",
    score: 42,
    rtoSeconds: 512.25,
    backupName: "velero-daily-20261126020000",
    backupCreatedAt: 1_795_744_800_000,
    rtoTargetSeconds: 900,
    cluster: "prod-eu-west-1",
  },
  {
    ...base,
    result: "partial",
    score: 0,
    startedAt: 0,
    completedAt: 253402300799999,
    rtoSeconds: 0,
    backupCreatedAt: 0,
    rtoTargetSeconds: 0,
    backupName: "",
    cluster: "",
  },
  {
    ...base,
    score: 100,
    runId: "ünïcödé ✓ 名前 🚀 e\u0301 \u0000 \u007f \u2028",
    test: "тест-δοκιμή-テスト",
    namespace: "x".repeat(300),
    backupName: "🦀".repeat(40),
    cluster: "クラスタ",
    rtoSeconds: Number.MAX_VALUE,
    rtoTargetSeconds: 1e300,
  },
  {
    ...base,
    score: -1,
    startedAt: -62135596800000,
    // The codec carries longs in (-2^52, 2^52); see "longs beyond ±2^52" below.
    completedAt: 2 ** 52 - 1,
    backupCreatedAt: -(2 ** 52 - 1),
    rtoSeconds: 5e-324,
    rtoTargetSeconds: -123456.789,
    cluster: null,
  },
  { ...base, score: 2147483647, rtoSeconds: 0.1, rtoTargetSeconds: 2 ** 53 + 2, backupName: "b" },
  { ...base, score: -2147483648, rtoSeconds: 1 / 3, backupCreatedAt: 1 },
  // A restore that failed outright, as the bridge publishes it: no start observed.
  { ...base, runId: "failed", result: "fail", score: 0, startedAt: base.completedAt, startedAtKnown: false },
  { ...base, runId: "bound", cluster: "prod-eu-west-1", backupCreatedAt: 1, startedAtKnown: false },
  { ...base, runId: "known", startedAtKnown: true },
];

const versions: SchemaVersion[] = [1, 2, 3];
/** What a writer can carry: v1 has no cluster, v1 and v2 have no startedAtKnown. */
function writable(event: RunCompleted, writer: SchemaVersion): RunCompleted {
  const { startedAtKnown: _known, ...rest } = event;
  if (writer === 3) return event;
  return writer === 1 ? { ...rest, cluster: null } : rest;
}
/** What our reader gives: each field only when both sides have it; startedAtKnown only when false. */
function readAs(event: RunCompleted, writer: SchemaVersion, reader: SchemaVersion): RunCompleted {
  const { startedAtKnown, ...rest } = event;
  const read = { ...rest, cluster: writer >= 2 && reader >= 2 ? event.cluster : null };
  return startedAtKnown === false && writer === 3 && reader === 3 ? { ...read, startedAtKnown } : read;
}
/** The JSON Java prints: the reader schema's fields only, startedAtKnown always (true by default). */
function javaView(event: RunCompleted, reader: SchemaVersion): Record<string, unknown> {
  const { cluster, startedAtKnown, ...v1 } = event;
  if (reader === 1) return v1;
  if (reader === 2) return { ...v1, cluster };
  return { ...v1, cluster, startedAtKnown: startedAtKnown ?? true };
}

type Key = "v1" | "v2" | "v3";
interface Vectors {
  schemas: Record<Key, { fingerprint: string; canonicalForm: string }>;
  /** An encoding per version that carries the event: v3 only when its start is not known. */
  vectors: ({ name: string; event: RunCompleted } & Partial<Record<Key, string>>)[];
}
/** The versions a vector is written in. */
const writersOf = (event: RunCompleted): SchemaVersion[] => (event.startedAtKnown === false ? [3] : versions);
const vectors = JSON.parse(
  readFileSync(new URL("../../schemas/vectors/run-completed.json", import.meta.url), "utf8"),
) as Vectors;

test("the Java harness builds (or is up to date)", { timeout: 600_000 }, (t) => {
  const { built, ms } = buildJavaAvro();
  t.diagnostic(`tools/avro-interop ${built ? "built" : "up to date"} in ${Math.round(ms)} ms`);
});

describe("schema fingerprints", () => {
  for (const v of versions) {
    test(`v${v}: our Parsing Canonical Form and fingerprint equal Java's (and the vectors file's)`, () => {
      const java = javaFingerprint(v);
      assert.equal(parsingCanonicalForm(loadSchema(v)), java.canonical);
      assert.equal(createCodec().fingerprintHex(v), java.fingerprint);
      assert.equal(vectors.schemas[`v${v}`].fingerprint, java.fingerprint);
      assert.equal(vectors.schemas[`v${v}`].canonicalForm, java.canonical);
    });
  }

  test("a schema exercising namespaces, references and stray attributes gets Java's fingerprint", () => {
    const schema = {
      type: "record",
      name: "Outer",
      namespace: "a.b",
      doc: "stripped",
      size: 4,
      symbols: ["stray"],
      aliases: ["Old"],
      fields: [
        { name: "f", type: { type: "fixed", name: "F", size: 16, values: "int" }, default: "x" },
        { name: "e", type: { type: "enum", name: "c.E", symbols: ["A", "B"], fields: [], default: "A" } },
        { name: "arr", type: { type: "array", items: "F", size: 3 } },
        { name: "m", type: ["null", { type: "map", values: "c.E", symbols: ["z"] }] },
        {
          name: "inner",
          type: {
            type: "record",
            name: "Inner",
            namespace: "d",
            fields: [
              { name: "self", type: ["null", "Inner"] },
              { name: "ts", type: { type: "long", logicalType: "timestamp-micros" } },
              { name: "ref", type: { type: "a.b.F" } },
            ],
          },
        },
        { name: "again", type: "d.Inner" },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), "kymaros-pcf-"));
    try {
      const file = join(dir, "tricky.avsc");
      writeFileSync(file, JSON.stringify(schema));
      const java = javaFingerprint(file);
      assert.equal(parsingCanonicalForm(schema), java.canonical);
      assert.equal(fingerprint(schema).toString("hex"), java.fingerprint);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Java writes, we read", () => {
  for (const writer of versions) {
    const written = events.map((e) => writable(e, writer));
    let hex: string[] = [];
    before(() => {
      hex = javaEncode(writer, written);
    });

    test(`v${writer} writer: Java's bytes are exactly ours`, () => {
      const codec = createCodec(2);
      assert.deepEqual(
        hex,
        written.map((e) => codec.encode(e, writer).toString("hex")),
      );
    });

    for (const reader of versions) {
      test(`v${writer} writer, v${reader} reader: we decode Java's messages to the same values`, () => {
        const codec = createCodec(reader);
        for (const [i, h] of hex.entries()) {
          const event = written[i] as RunCompleted;
          assert.deepStrictEqual({ ...codec.decode(Buffer.from(h, "hex")) }, readAs(event, writer, reader));
        }
      });
    }
  }
});

describe("we write, Java reads", () => {
  for (const writer of versions) {
    for (const reader of versions) {
      test(`v${writer} writer, v${reader} reader: Java decodes our messages to the same values`, () => {
        const codec = createCodec(2);
        const written = events.map((e) => writable(e, writer));
        const decoded = javaDecode(
          reader,
          written.map((e) => codec.encode(e, writer)),
        );
        assert.deepStrictEqual(
          decoded,
          written.map((e) => javaView(readAs(e, writer, reader), reader)),
        );
      });
    }
  }
});

describe("schema resolution", () => {
  const withCluster: RunCompleted = { ...base, cluster: "prod-eu-west-1" };

  test("v1 data read as v2 gives cluster null, in Java and in our codec", () => {
    const [hex] = javaEncode(1, [base]);
    assert.ok(hex);
    assert.equal(createCodec(2).decode(Buffer.from(hex, "hex")).cluster, null);
    const [java] = javaDecode(2, [createCodec(2).encode(base, 1)]);
    assert.deepStrictEqual(java, { ...base, cluster: null });
  });

  test("v2 data read as v1 drops cluster, in Java and in our codec", () => {
    const [hex] = javaEncode(2, [withCluster]);
    assert.ok(hex);
    const ours = createCodec(1).decode(Buffer.from(hex, "hex"));
    assert.equal(ours.cluster, null);
    assert.deepStrictEqual({ ...ours }, { ...withCluster, cluster: null });
    const [java] = javaDecode(1, [createCodec(2).encode(withCluster, 2)]);
    assert.ok(java && !("cluster" in java));
    assert.deepStrictEqual(java, javaView(withCluster, 1));
  });
});

describe("schema resolution with v3", () => {
  const unknown: RunCompleted = { ...base, cluster: "prod-eu-west-1", startedAtKnown: false };

  test("v1 and v2 data read as v3 give startedAtKnown true, in Java and in our codec (where true is absent)", () => {
    for (const writer of [1, 2] as const) {
      const [hex] = javaEncode(writer, [base]);
      assert.ok(hex);
      const ours = createCodec(3).decode(Buffer.from(hex, "hex"));
      assert.deepStrictEqual({ ...ours }, base);
      const [java] = javaDecode(3, [createCodec().encode(base, writer)]);
      assert.deepStrictEqual(java, { ...base, startedAtKnown: true });
    }
  });

  test("v3 data read as v2 or v1 drops startedAtKnown, in Java and in our codec", () => {
    const [hex] = javaEncode(3, [unknown]);
    assert.ok(hex);
    assert.equal(hex, createCodec().encode(unknown).toString("hex"));
    for (const reader of [1, 2] as const) {
      const ours = createCodec(reader).decode(Buffer.from(hex, "hex"));
      assert.deepStrictEqual({ ...ours }, readAs(unknown, 3, reader));
      const [java] = javaDecode(reader, [Buffer.from(hex, "hex")]);
      assert.deepStrictEqual(java, javaView(unknown, reader));
    }
    assert.deepStrictEqual({ ...createCodec(3).decode(Buffer.from(hex, "hex")) }, unknown);
  });
});

describe("golden vectors", () => {
  test("Java encodes every vector event to exactly the vector bytes", () => {
    for (const writer of versions) {
      const carried = vectors.vectors.filter((v) => writersOf(v.event).includes(writer));
      assert.deepEqual(
        javaEncode(
          writer,
          carried.map((v) => writable(v.event, writer)),
        ),
        carried.map((v) => v[`v${writer}`]),
      );
    }
  });

  test("Java decodes every vector to the vector event, with every reader", () => {
    for (const writer of versions) {
      const carried = vectors.vectors.filter((v) => writersOf(v.event).includes(writer));
      for (const reader of versions) {
        const decoded = javaDecode(
          reader,
          carried.map((v) => Buffer.from(v[`v${writer}`] as string, "hex")),
        );
        assert.deepStrictEqual(
          decoded,
          carried.map((v) => javaView(readAs(v.event, writer, reader), reader)),
        );
      }
    }
  });
});

describe("out-of-range numbers", () => {
  test("longs beyond ±2^52: we refuse Java's message instead of flipping the sign, and refuse to write them", () => {
    const beyond = [-(2 ** 53 - 2), -(2 ** 52 + 1), 2 ** 52, 2 ** 53 - 2].map((backupCreatedAt) => ({
      ...base,
      backupCreatedAt,
    }));
    const hex = javaEncode(2, beyond);
    const messages = hex.map((h) => Buffer.from(h, "hex"));
    // Java reads its own bytes back exactly: the bytes are right, the limit is ours.
    assert.deepStrictEqual(javaDecode(2, messages), beyond);
    for (const [i, event] of beyond.entries()) {
      assert.throws(
        () => createCodec(2).decode(messages[i] as Buffer),
        (e: unknown) => e instanceof CodecError && e.reason === "undecodable",
      );
      assert.throws(
        () => createCodec(2).encode(event, 2),
        (e: unknown) => e instanceof CodecError && e.reason === "schema_violation",
      );
    }
  });

  test("an int varint beyond 32 bits: we refuse it, where Java refuses or silently truncates it", () => {
    const good = createCodec(2).encode(base, 2);
    // Header, three strings with one-byte lengths, the one-byte enum index, then score 97 = zigzag C2 01.
    const at = 10 + 3 + base.runId.length + base.test.length + base.namespace.length + 1;
    assert.equal(good.subarray(at, at + 2).toString("hex"), "c201");
    const withScore = (varint: string) =>
      Buffer.concat([good.subarray(0, at), Buffer.from(varint, "hex"), good.subarray(at + 2)]);
    const sixBytes = withScore("808080808001"); // zigzag 2^35: more than 5 bytes
    const fiveBytes = withScore("8080808010"); // zigzag 2^32 = 2^31: 33 bits in 5 bytes
    const [java6, java5] = javaDecode(2, [sixBytes, fiveBytes]);
    assert.ok(java6 && "error" in java6, `Java accepted a 6-byte int: ${JSON.stringify(java6)}`);
    assert.deepStrictEqual(java5, { ...base, score: 0 }, "Java drops the 33rd bit");
    for (const message of [sixBytes, fiveBytes]) {
      assert.throws(
        () => createCodec(2).decode(message),
        (e: unknown) => e instanceof CodecError && e.reason === "undecodable",
      );
    }
  });
});

describe("a v3 boolean byte other than 0 or 1", () => {
  test("Java reads it as false (avsc would read true): we refuse it, on both of our read paths", () => {
    const good = createCodec().encode({ ...base, startedAtKnown: false });
    const bad = [2, 0x80, 0xff].map((b) => Buffer.concat([good.subarray(0, -1), Buffer.from([b])]));
    for (const java of javaDecode(3, bad)) {
      assert.ok(java && !("error" in java) && java.startedAtKnown === false, JSON.stringify(java));
    }
    const read = createFactsReader(createCodec());
    for (const message of bad) {
      assert.throws(
        () => createCodec().decode(message),
        (e: unknown) => e instanceof CodecError && e.reason === "undecodable",
      );
      assert.throws(
        () => read(message, 0, message.length),
        (e: unknown) => e instanceof CodecError && e.reason === "undecodable",
      );
    }
  });
});

describe("corrupt messages", () => {
  test("what Java refuses, we refuse too", () => {
    const good = createCodec(2).encode(events[1] as RunCompleted, 2);
    const corrupt = [
      Buffer.concat([Buffer.from([0xc3, 0x02]), good.subarray(2)]), // bad magic
      Buffer.concat([good.subarray(0, 2), Buffer.alloc(8, 0x11), good.subarray(10)]), // unknown fingerprint
      good.subarray(0, 6), // truncated header
      good.subarray(0, good.length - 3), // truncated datum
    ];
    const java = javaDecode(2, corrupt);
    for (const [i, message] of corrupt.entries()) {
      assert.ok(
        "error" in (java[i] as object),
        `Java accepted corrupt message ${i}: ${JSON.stringify(java[i])}`,
      );
      assert.throws(() => createCodec(2).decode(message), CodecError);
    }
  });
});

describe("TestRetired", () => {
  const schemaFile = retirementSchemaPath();
  const retired = JSON.parse(
    readFileSync(new URL("../../schemas/vectors/test-retired.json", import.meta.url), "utf8"),
  ) as {
    schemas: { v1: { fingerprint: string; canonicalForm: string } };
    vectors: { event: TestRetired; v1: string }[];
  };
  const events: TestRetired[] = [
    ...retired.vectors.map((v) => v.event),
    {
      test: "тест",
      namespace: "x".repeat(300),
      cluster: "クラスタ",
      retiredAt: 2 ** 52 - 1,
      reason: "🦀 \u0000",
    },
  ];

  test("our canonical form and fingerprint equal Java's (and the vectors file's)", () => {
    const java = javaFingerprint(schemaFile);
    assert.equal(parsingCanonicalForm(loadRetirementSchema()), java.canonical);
    assert.equal(createCodec().retirementFingerprintHex, java.fingerprint);
    assert.equal(retired.schemas.v1.fingerprint, java.fingerprint);
    assert.equal(retired.schemas.v1.canonicalForm, java.canonical);
  });

  test("Java writes exactly our bytes (and the vectors'), and we read them back", () => {
    const hex = runJavaAvro(
      ["encode", schemaFile],
      events.map((e) => JSON.stringify(e)),
    );
    const codec = createCodec();
    assert.deepEqual(
      hex,
      events.map((e) => codec.encodeRetirement(e).toString("hex")),
    );
    assert.deepEqual(
      hex.slice(0, retired.vectors.length),
      retired.vectors.map((v) => v.v1),
    );
    for (const [i, h] of hex.entries()) {
      assert.deepStrictEqual(codec.decodeEvent(Buffer.from(h, "hex")), {
        kind: "retired",
        retirement: events[i],
      });
    }
  });

  test("Java reads our bytes as the same values, and tells them from runs by fingerprint", () => {
    const codec = createCodec();
    const lines = runJavaAvro(
      ["decode", schemaFile, schemaFile],
      events.map((e) => codec.encodeRetirement(e).toString("hex")),
    );
    assert.deepStrictEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      events,
    );
    // A RunCompleted is no TestRetired: Java does not know its fingerprint as one.
    const [asRetired] = runJavaAvro(["decode", schemaFile, schemaFile], [codec.encode(base).toString("hex")]);
    assert.match(asRetired ?? "", /^ERROR /);
  });
});
