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

type Key = "v1" | "v2" | "v3";
interface VectorFile {
  schemas: Record<Key, { file: string; fingerprint: string; canonicalForm: string }>;
  /** An encoding per version that carries the event: v3 only when its start is not known. */
  vectors: ({ name: string; description: string; event: RunCompleted } & Partial<Record<Key, string>>)[];
}

const file = JSON.parse(
  readFileSync(new URL("../../../schemas/vectors/run-completed.json", import.meta.url), "utf8"),
) as VectorFile;
const versions: SchemaVersion[] = [1, 2, 3];
const key = (v: SchemaVersion): Key => `v${v}`;
/** The versions a vector is written in: all of them, or only v3 for a start not known. */
const writers = (event: RunCompleted): SchemaVersion[] => (event.startedAtKnown === false ? [3] : versions);
/** What `reader` reads from the vector written by `writer`, field by field as resolution has it. */
function readAs(event: RunCompleted, writer: SchemaVersion, reader: SchemaVersion): RunCompleted {
  const { startedAtKnown, ...rest } = event;
  const read = { ...rest, cluster: writer >= 2 && reader >= 2 ? event.cluster : null };
  return startedAtKnown === false && reader === 3 ? { ...read, startedAtKnown } : read;
}

describe("golden vectors: schemas", () => {
  for (const v of versions) {
    test(`v${v}: the file's canonical form and fingerprint are ours, and agree with each other`, () => {
      const entry = file.schemas[key(v)];
      assert.equal(entry.file, `run-completed.v${v}.avsc`);
      assert.equal(entry.canonicalForm, parsingCanonicalForm(loadSchema(v)));
      assert.equal(entry.fingerprint, createCodec().fingerprintHex(v));
      const le = Buffer.alloc(8);
      le.writeBigUInt64LE(crc64Avro(Buffer.from(entry.canonicalForm, "utf8")));
      assert.equal(entry.fingerprint, le.toString("hex"));
    });
  }
});

describe("golden vectors: events", () => {
  test("there are vectors, with unique names, all of them valid events, some with a start not known", () => {
    assert.ok(file.vectors.length >= 3);
    assert.ok(file.vectors.some((v) => v.event.startedAtKnown === false));
    for (const vector of file.vectors) {
      const keys = versions.filter((v) => vector[key(v)] !== undefined);
      assert.deepEqual(keys, writers(vector.event), vector.name);
    }
    assert.equal(new Set(file.vectors.map((v) => v.name)).size, file.vectors.length);
    for (const vector of file.vectors) assert.doesNotThrow(() => validateRun(vector.event), vector.name);
  });

  for (const vector of file.vectors) {
    test(`${vector.name}: our codec writes exactly the vector bytes`, () => {
      const codec = createCodec();
      for (const v of writers(vector.event)) {
        const hex = vector[key(v)] as string;
        assert.match(hex, /^[0-9a-f]+$/);
        assert.ok(hex.startsWith(`c301${file.schemas[key(v)].fingerprint}`), `${key(v)} header`);
        const event = v === 1 ? { ...vector.event, cluster: null } : vector.event;
        assert.equal(codec.encode(event, v).toString("hex"), hex);
      }
    });

    test(`${vector.name}: every reader reads the vector bytes back`, () => {
      for (const reader of versions) {
        const codec = createCodec(reader);
        for (const writer of writers(vector.event)) {
          const decoded = codec.decode(Buffer.from(vector[key(writer)] as string, "hex"));
          assert.deepStrictEqual({ ...decoded }, readAs(vector.event, writer, reader));
        }
      }
    });
  }
});
