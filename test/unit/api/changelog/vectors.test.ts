import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  decodeRecord,
  encodeRecord,
  STATE_FINGERPRINT,
  type StateRecord,
} from "../../../../services/api/changelog/record.ts";
import { crc64Avro, parsingCanonicalForm } from "../../../../services/contract/index.ts";
import { loadStateRecordSchema } from "../../../../services/contract/schemas.ts";

interface Vectors {
  schema: { canonicalForm: string; fingerprint: string };
  records: { name: string; record: StateRecord; key: string; value: string }[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../../../../schemas/vectors/state-record.json", import.meta.url), "utf8"),
) as Vectors;

test("the state schema's canonical form and fingerprint are the vectors'", () => {
  const canonical = parsingCanonicalForm(loadStateRecordSchema(1));
  assert.equal(canonical, vectors.schema.canonicalForm);
  const fp = Buffer.alloc(8);
  fp.writeBigUInt64LE(crc64Avro(Buffer.from(canonical, "utf8")));
  assert.equal(fp.toString("hex"), vectors.schema.fingerprint);
  assert.equal(STATE_FINGERPRINT.toString("hex"), vectors.schema.fingerprint);
});

test("each vector record encodes to its key and value and decodes back", () => {
  assert.ok(vectors.records.length >= 3);
  for (const v of vectors.records) {
    const raw = encodeRecord(v.record);
    assert.equal(raw.key.toString("utf8"), v.key, v.name);
    assert.equal(raw.value.toString("hex"), v.value, v.name);
    // As data: avsc hands records back as instances of its own classes.
    const decoded = JSON.parse(JSON.stringify(decodeRecord(Buffer.from(v.value, "hex"))));
    assert.deepEqual(decoded, v.record, v.name);
  }
});
