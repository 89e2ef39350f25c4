/**
 * Parsing Canonical Form and CRC-64-AVRO. Every expected canonical form below is written out by hand
 * from the rules of the Avro specification ("Schema Fingerprints"): [PRIMITIVES], [FULLNAMES], [STRIP],
 * [ORDER], [STRINGS], [INTEGERS], [WHITESPACE]; named types are written in full once, then by name.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { crc64Avro, fingerprint, parsingCanonicalForm } from "../../../services/contract/index.ts";
import { loadSchema } from "../../../services/contract/schemas.ts";

const pcf = (schema: unknown): string => parsingCanonicalForm(schema);

describe("Parsing Canonical Form", () => {
  test("[PRIMITIVES] a primitive is its bare name, whether written as a string or an object", () => {
    for (const p of ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]) {
      assert.equal(pcf(p), `"${p}"`);
      assert.equal(pcf({ type: p }), `"${p}"`);
    }
    assert.equal(pcf({ type: "long", logicalType: "timestamp-millis" }), '"long"');
    assert.equal(pcf({ type: "string", logicalType: "uuid", "avro.java.string": "String" }), '"string"');
  });

  test("[FULLNAMES] names are qualified by their own or the enclosing namespace", () => {
    assert.equal(
      pcf({ type: "enum", name: "E", namespace: "a.b", symbols: ["X"] }),
      '{"name":"a.b.E","type":"enum","symbols":["X"]}',
    );
    // A dotted name is already a fullname: its namespace attribute is ignored.
    assert.equal(
      pcf({ type: "fixed", name: "x.y.F", namespace: "ignored", size: 4 }),
      '{"name":"x.y.F","type":"fixed","size":4}',
    );
    // No namespace, or the empty one: the name stays short.
    assert.equal(pcf({ type: "fixed", name: "F", size: 1 }), '{"name":"F","type":"fixed","size":1}');
    assert.equal(
      pcf({ type: "fixed", name: "F", namespace: "", size: 1 }),
      '{"name":"F","type":"fixed","size":1}',
    );
    // Nested types inherit the namespace of the enclosing named type, unless they declare their own;
    // a dotted record name gives its children the namespace in its name.
    assert.equal(
      pcf({
        type: "record",
        name: "p.R",
        namespace: "unused",
        fields: [
          { name: "a", type: { type: "enum", name: "E", symbols: ["X"] } },
          { name: "b", type: { type: "enum", name: "G", namespace: "q", symbols: ["Y"] } },
          { name: "c", type: { type: "array", items: { type: "fixed", name: "H", size: 2 } } },
        ],
      }),
      '{"name":"p.R","type":"record","fields":[' +
        '{"name":"a","type":{"name":"p.E","type":"enum","symbols":["X"]}},' +
        '{"name":"b","type":{"name":"q.G","type":"enum","symbols":["Y"]}},' +
        '{"name":"c","type":{"type":"array","items":{"name":"p.H","type":"fixed","size":2}}}]}',
    );
  });

  test("[STRIP] only name, type, fields, symbols, items, values and size survive", () => {
    assert.equal(
      pcf({
        type: "record",
        name: "R",
        namespace: "n",
        doc: "a record",
        aliases: ["Old"],
        custom: { anything: 1 },
        fields: [
          { name: "f", type: "int", doc: "field", default: 3, order: "descending", aliases: ["g"] },
          { name: "e", type: { type: "enum", name: "E", symbols: ["A"], default: "A", doc: "d" } },
        ],
      }),
      '{"name":"n.R","type":"record","fields":[{"name":"f","type":"int"},' +
        '{"name":"e","type":{"name":"n.E","type":"enum","symbols":["A"]}}]}',
    );
    // An attribute that is canonical for one type is a custom property on another, and is dropped.
    assert.equal(
      pcf({ type: "record", name: "R", size: 4, symbols: ["s"], items: "int", values: "int", fields: [] }),
      '{"name":"R","type":"record","fields":[]}',
    );
    assert.equal(
      pcf({ type: "array", items: "int", size: 3, values: "long" }),
      '{"type":"array","items":"int"}',
    );
    assert.equal(pcf({ type: "map", values: "int", symbols: ["z"] }), '{"type":"map","values":"int"}');
    assert.equal(
      pcf({ type: "fixed", name: "F", size: 8, fields: [] }),
      '{"name":"F","type":"fixed","size":8}',
    );
    assert.equal(
      pcf({ type: "fixed", name: "D", size: 8, logicalType: "decimal", precision: 4 }),
      '{"name":"D","type":"fixed","size":8}',
    );
  });

  test("[ORDER] attributes come out as name, type, fields, symbols, items, values, size", () => {
    assert.equal(
      pcf({ symbols: ["B", "A"], namespace: "z", type: "enum", name: "E" }),
      '{"name":"z.E","type":"enum","symbols":["B","A"]}',
    );
    assert.equal(pcf({ size: 16, name: "F", type: "fixed" }), '{"name":"F","type":"fixed","size":16}');
    assert.equal(pcf({ items: "long", type: "array" }), '{"type":"array","items":"long"}');
    assert.equal(pcf({ values: "bytes", type: "map" }), '{"type":"map","values":"bytes"}');
    assert.equal(
      pcf({ fields: [{ type: "int", name: "x" }], name: "R", type: "record" }),
      '{"name":"R","type":"record","fields":[{"name":"x","type":"int"}]}',
    );
  });

  test("[WHITESPACE] and unions: no whitespace anywhere, union branches in order", () => {
    assert.equal(pcf(["null", "string"]), '["null","string"]');
    assert.equal(
      pcf(["null", { type: "long", logicalType: "timestamp-millis" }, { type: "map", values: "double" }]),
      '["null","long",{"type":"map","values":"double"}]',
    );
    assert.doesNotMatch(pcf(loadSchema(2)), /\s/);
  });

  test("a named type is written in full at its first use and by fullname after that", () => {
    assert.equal(
      pcf({
        type: "record",
        name: "Node",
        namespace: "t",
        fields: [
          { name: "kind", type: { type: "enum", name: "Kind", symbols: ["LEAF", "BRANCH"] } },
          { name: "other", type: "Kind" },
          { name: "children", type: { type: "array", items: "Node" } },
          { name: "next", type: ["null", "t.Node"] },
          { name: "boxed", type: { type: "Kind" } },
        ],
      }),
      '{"name":"t.Node","type":"record","fields":[' +
        '{"name":"kind","type":{"name":"t.Kind","type":"enum","symbols":["LEAF","BRANCH"]}},' +
        '{"name":"other","type":"t.Kind"},' +
        '{"name":"children","type":{"type":"array","items":"t.Node"}},' +
        '{"name":"next","type":["null","t.Node"]},' +
        '{"name":"boxed","type":"t.Kind"}]}',
    );
  });

  test("RunCompleted v1 and v2: the canonical forms written out field by field", () => {
    const optional = (name: string, type: string) => `{"name":"${name}","type":["null","${type}"]}`;
    const v1Fields = [
      '{"name":"runId","type":"string"}',
      '{"name":"test","type":"string"}',
      '{"name":"namespace","type":"string"}',
      '{"name":"result","type":{"name":"io.kymaros.events.Result","type":"enum","symbols":["pass","fail","partial"]}}',
      '{"name":"score","type":"int"}',
      '{"name":"startedAt","type":"long"}',
      '{"name":"completedAt","type":"long"}',
      optional("rtoSeconds", "double"),
      optional("backupName", "string"),
      optional("backupCreatedAt", "long"),
      optional("rtoTargetSeconds", "double"),
    ];
    const form = (fields: string[]) =>
      `{"name":"io.kymaros.events.RunCompleted","type":"record","fields":[${fields.join(",")}]}`;
    assert.equal(pcf(loadSchema(1)), form(v1Fields));
    assert.equal(pcf(loadSchema(2)), form([...v1Fields, optional("cluster", "string")]));
  });
});

/** CRC-64-AVRO one bit at a time, straight from its definition (reflected, polynomial = EMPTY). */
function crc64Bitwise(bytes: Uint8Array): bigint {
  const EMPTY = 0xc15d213aa4d7a795n;
  let fp = EMPTY;
  for (const b of bytes) {
    fp ^= BigInt(b);
    for (let i = 0; i < 8; i++) fp = fp & 1n ? (fp >> 1n) ^ EMPTY : fp >> 1n;
  }
  return fp;
}

describe("CRC-64-AVRO", () => {
  test("the fingerprint of the empty input is the EMPTY constant", () => {
    assert.equal(crc64Avro(new Uint8Array(0)), 0xc15d213aa4d7a795n);
  });

  test("equals a bit-by-bit implementation of the definition on any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.equal(crc64Avro(bytes), crc64Bitwise(bytes));
      }),
      { numRuns: 300 },
    );
  });

  test("fingerprint() is the little-endian CRC-64-AVRO of the canonical form's UTF-8", () => {
    for (const schema of ["int", "string", ["null", "long"], loadSchema(1), loadSchema(2)]) {
      const le = Buffer.alloc(8);
      le.writeBigUInt64LE(crc64Bitwise(Buffer.from(pcf(schema), "utf8")));
      assert.deepEqual(fingerprint(schema), le);
    }
  });

  test("the RunCompleted fingerprints are the ones Java's SchemaNormalization computes", () => {
    assert.equal(fingerprint(loadSchema(1)).toString("hex"), "52ede030ee0895d1");
    assert.equal(fingerprint(loadSchema(2)).toString("hex"), "91f1ceb283887b92");
  });

  test("doc, defaults and formatting of the .avsc do not change the fingerprint", () => {
    const stripped = JSON.parse(pcf(loadSchema(2))) as unknown;
    assert.deepEqual(fingerprint(stripped), fingerprint(loadSchema(2)));
    assert.notDeepEqual(fingerprint(loadSchema(1)), fingerprint(loadSchema(2)));
  });
});
