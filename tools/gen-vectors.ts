/**
 * Writes schemas/vectors/run-completed.json and schemas/vectors/test-retired.json, the golden
 * single-object encodings of a few RunCompleted and TestRetired events. Once committed the files are
 * a contract: test/unit/contract/vectors.test.ts holds our codec to them and
 * test/integration/avro-java-interop.test.ts holds the Avro reference implementation to them.
 *
 *   node --import tsx tools/gen-vectors.ts           rewrite the files
 *   node --import tsx tools/gen-vectors.ts --check   exit 1 if a file differs from what would be written
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type Codec,
  createCodec,
  parsingCanonicalForm,
  type RunCompleted,
  SCHEMA_VERSIONS,
  type TestRetired,
  validateRetirement,
  validateRun,
} from "../services/contract/index.ts";
import { loadRetirementSchema, loadSchema } from "../services/contract/schemas.ts";

const OUT = fileURLToPath(new URL("../schemas/vectors/run-completed.json", import.meta.url));
const OUT_RETIRED = fileURLToPath(new URL("../schemas/vectors/test-retired.json", import.meta.url));

const cases: { name: string; description: string; event: RunCompleted }[] = [
  {
    name: "all-optional-null",
    description: "Only the required fields; every union takes its null branch.",
    event: {
      runId: "my-app-nightly-20261126-030000",
      test: "my-app-nightly",
      namespace: "kymaros-system",
      result: "pass",
      score: 97,
      startedAt: Date.UTC(2026, 10, 26, 3, 0, 0),
      completedAt: Date.UTC(2026, 10, 26, 3, 12, 34, 567),
      rtoSeconds: null,
      backupName: null,
      backupCreatedAt: null,
      rtoTargetSeconds: null,
      cluster: null,
    },
  },
  {
    name: "all-set",
    description: "A typical failed run with every optional field set.",
    event: {
      runId: "3f1c2b7e-9d4a-4e8b-a5c6-0d1e2f3a4b5c",
      test: "orders-db-weekly",
      namespace: "payments",
      result: "fail",
      score: 42,
      startedAt: Date.UTC(2026, 10, 22, 1, 30, 0),
      completedAt: Date.UTC(2026, 10, 22, 1, 48, 20, 250),
      rtoSeconds: 512.25,
      backupName: "velero-daily-20261122010000",
      backupCreatedAt: Date.UTC(2026, 10, 22, 1, 0, 0),
      rtoTargetSeconds: 900,
      cluster: "prod-eu-west-1",
    },
  },
  {
    name: "extreme-valid",
    description:
      "Boundary values that are still valid: score 0, timestamps 0 and 9999-12-31T23:59:59.999Z, " +
      "rto 0 and the one-year maximum, empty optional strings, a 253-character test name (two-byte " +
      "length varint) and non-ASCII text.",
    event: {
      runId: "ünïcödé-名前-🚀",
      test: `max-${"x".repeat(249)}`,
      namespace: "ns-ß",
      result: "partial",
      score: 0,
      startedAt: 0,
      completedAt: 253402300799999,
      rtoSeconds: 0,
      backupName: "",
      backupCreatedAt: 0,
      rtoTargetSeconds: 31536000,
      cluster: "",
    },
  },
  {
    name: "fractions",
    description: "score 100, a double that is not exact in binary (0.1), the smallest subnormal double.",
    event: {
      runId: "r",
      test: "t",
      namespace: "",
      result: "pass",
      score: 100,
      startedAt: 1,
      completedAt: 1,
      rtoSeconds: 0.1,
      backupName: "b",
      backupCreatedAt: null,
      rtoTargetSeconds: 5e-324,
      cluster: "kind-local",
    },
  },
  {
    name: "start-not-known",
    description:
      "A restore that failed outright, as the bridge publishes it from a RestoreTest's status: result " +
      "fail, score 0, no start observed (startedAtKnown false, startedAt = completedAt), nothing else " +
      "known. Only v3 carries it.",
    event: {
      runId: "my-app-nightly-failed-20261127-030000",
      test: "my-app-nightly",
      namespace: "kymaros-system",
      result: "fail",
      score: 0,
      startedAt: Date.UTC(2026, 10, 27, 3, 0, 5),
      completedAt: Date.UTC(2026, 10, 27, 3, 0, 5),
      startedAtKnown: false,
      rtoSeconds: null,
      backupName: null,
      backupCreatedAt: null,
      rtoTargetSeconds: null,
      cluster: null,
    },
  },
  {
    name: "start-not-known-all-set",
    description:
      "A start not observed, with an earlier bound as startedAt and every optional field set. Only v3 carries it.",
    event: {
      runId: "orders-db-weekly-failed-20261129-013000",
      test: "orders-db-weekly",
      namespace: "payments",
      result: "fail",
      score: 0,
      startedAt: Date.UTC(2026, 10, 29, 1, 30, 0),
      completedAt: Date.UTC(2026, 10, 29, 1, 31, 0, 125),
      startedAtKnown: false,
      rtoSeconds: 0,
      backupName: "velero-daily-20261129010000",
      backupCreatedAt: Date.UTC(2026, 10, 29, 1, 0, 0),
      rtoTargetSeconds: 900,
      cluster: "prod-eu-west-1",
    },
  },
];

const retirements: { name: string; description: string; event: TestRetired }[] = [
  {
    name: "optional-null",
    description: "Only the required fields: no cluster, no reason.",
    event: {
      test: "my-app-nightly",
      namespace: "kymaros-system",
      cluster: null,
      retiredAt: Date.UTC(2026, 10, 27, 9, 15, 0, 250),
      reason: null,
    },
  },
  {
    name: "all-set",
    description: "A test deleted from a named cluster, with its reason.",
    event: {
      test: "orders-db-weekly",
      namespace: "payments",
      cluster: "prod-eu-west-1",
      retiredAt: Date.UTC(2026, 10, 28, 0, 0, 0),
      reason: "RestoreTest deleted",
    },
  },
  {
    name: "extreme-valid",
    description:
      "Boundary values that are still valid: retiredAt 9999-12-31T23:59:59.999Z, empty namespace and " +
      "cluster, a 253-character test name (two-byte length varint), non-ASCII text and a 1024-character reason.",
    event: {
      test: `max-${"x".repeat(249)}`,
      namespace: "",
      cluster: "",
      retiredAt: 253402300799999,
      reason: "renamed to ünïcödé-名前-🚀 ".padEnd(1024, "r"),
    },
  },
  {
    name: "epoch",
    description: "retiredAt 0, the smallest valid timestamp.",
    event: { test: "t", namespace: "ns-ß", cluster: null, retiredAt: 0, reason: "" },
  },
];

function generateRetired(): string {
  const codec = createCodec(2);
  const file = {
    about:
      "Golden Avro single-object encodings of TestRetired (see schemas/README.md). Hex, lower case. " +
      "Generated by tools/gen-vectors.ts; never edit by hand, never change an existing vector.",
    schemas: {
      v1: {
        file: "test-retired.v1.avsc",
        fingerprint: codec.retirementFingerprintHex,
        canonicalForm: parsingCanonicalForm(loadRetirementSchema()),
      },
    },
    vectors: retirements.map(({ name, description, event }) => {
      validateRetirement(event);
      return { name, description, event, v1: codec.encodeRetirement(event).toString("hex") };
    }),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * The vector's encodings: v1 drops the cluster (the first vectors set that convention), and a run
 * whose start is not known has only v3, since no older version can say so.
 */
function encodings(codec: Codec, event: RunCompleted): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of SCHEMA_VERSIONS) {
    if (v < 3 && event.startedAtKnown === false) continue;
    out[`v${v}`] = codec.encode(v === 1 ? { ...event, cluster: null } : event, v).toString("hex");
  }
  return out;
}

function generate(): string {
  const codec = createCodec();
  const schemas = Object.fromEntries(
    SCHEMA_VERSIONS.map((v) => [
      `v${v}`,
      {
        file: `run-completed.v${v}.avsc`,
        fingerprint: codec.fingerprintHex(v),
        canonicalForm: parsingCanonicalForm(loadSchema(v)),
      },
    ]),
  );
  const vectors = cases.map(({ name, description, event }) => {
    validateRun(event);
    return { name, description, event, ...encodings(codec, event) };
  });
  const file = {
    about:
      "Golden Avro single-object encodings of RunCompleted (see schemas/README.md). v1 is the event written " +
      "with the version 1 schema (which has no cluster: it is not written and reads back as null); v2 is " +
      "the event written with the version 2 schema; v3 with the version 3 schema (an absent startedAtKnown " +
      "is written as its default, true). An event with startedAtKnown false has only v3. Hex, lower case. " +
      "Generated by tools/gen-vectors.ts; never edit by hand, never change an existing vector.",
    schemas,
    vectors,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

for (const [out, text] of [
  [OUT, generate()],
  [OUT_RETIRED, generateRetired()],
] as const) {
  if (process.argv.includes("--check")) {
    const current = readFileSync(out, "utf8");
    if (current !== text) {
      console.error(`${out} differs from what tools/gen-vectors.ts generates`);
      process.exit(1);
    }
    console.log(`${out} is up to date`);
  } else {
    writeFileSync(out, text);
    console.log(`wrote ${out}`);
  }
}
