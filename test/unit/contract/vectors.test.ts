/**
 * schemas/vectors/run-completed.json is a contract (see schemas/README.md): our codec must reproduce
 * every vector byte for byte and read every vector back. The Java side of the same contract is checked
 * by test/integration/avro-java-interop.test.ts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  crc64Avro,
  createCodec,
  parsingCanonicalForm,
  type RunCompleted,
  type SchemaVersion,
  validateRun,
} from "../../../services/contract/index.ts";
import { loadSchema } from "../../../services/contract/schemas.ts";

interface VectorFile {
  schemas: Record<"v1" | "v2", { file: string; fingerprint: string; canonicalForm: string }>;
  vectors: { name: string; description: string; event: RunCompleted; v1: string; v2: string }[];
}

const file = JSON.parse(
  readFileSync(new URL("../../../schemas/vectors/run-completed.json", import.meta.url), "utf8"),
) as VectorFile;
const versions: SchemaVersion[] = [1, 2];
const key = (v: SchemaVersion) => `v${v}` as const;

describe("golden vectors: schemas", () => {
  for (const v of versions) {
    test(`v${v}: the file's canonical form and fingerprint are ours, and agree with each other`, () => {
      const entry = file.schemas[key(v)];
      assert.equal(entry.file, `run-completed.v${v}.avsc`);
      assert.equal(entry.canonicalForm, parsingCanonicalForm(loadSchema(v)));
      assert.equal(entry.fingerprint, createCodec(2).fingerprintHex(v));
      const le = Buffer.alloc(8);
      le.writeBigUInt64LE(crc64Avro(Buffer.from(entry.canonicalForm, "utf8")));
      assert.equal(entry.fingerprint, le.toString("hex"));
    });
  }
});

describe("golden vectors: events", () => {
  test("there are vectors, with unique names, all of them valid events", () => {
    assert.ok(file.vectors.length >= 3);
    assert.equal(new Set(file.vectors.map((v) => v.name)).size, file.vectors.length);
    for (const vector of file.vectors) assert.doesNotThrow(() => validateRun(vector.event), vector.name);
  });

  for (const vector of file.vectors) {
    test(`${vector.name}: our codec writes exactly the vector bytes`, () => {
      const codec = createCodec(2);
      for (const v of versions) {
        const hex = vector[key(v)];
        assert.match(hex, /^[0-9a-f]+$/);
        assert.ok(hex.startsWith(`c301${file.schemas[key(v)].fingerprint}`), `${key(v)} header`);
        const event = v === 1 ? { ...vector.event, cluster: null } : vector.event;
        assert.equal(codec.encode(event, v).toString("hex"), hex);
      }
    });

    test(`${vector.name}: every reader reads the vector bytes back`, () => {
      for (const reader of versions) {
        const codec = createCodec(reader);
        for (const writer of versions) {
          const decoded = codec.decode(Buffer.from(vector[key(writer)], "hex"));
          const cluster = writer === 2 && reader === 2 ? vector.event.cluster : null;
          assert.deepStrictEqual({ ...decoded }, { ...vector.event, cluster });
        }
      }
    });
  }
});
