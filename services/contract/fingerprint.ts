/**
 * Avro Parsing Canonical Form and the CRC-64-AVRO fingerprint, as the Avro specification
 * defines them ("Schema Fingerprints"). The canonical form keeps only name, type, fields,
 * symbols, items, values and size, so a fingerprint over avsc's schema() JSON would differ
 * from every other Avro implementation's.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const PRIMITIVES = new Set(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);
/**
 * [STRIP] and [ORDER]: the attributes each complex type keeps, in the canonical order (name, type, fields,
 * symbols, items, values, size). Anything else, including a custom property that happens to be called
 * "size" on a record, is not relevant to parsing data and is dropped, as the reference implementation does.
 */
const KEPT: Readonly<
  Record<string, readonly ("type" | "fields" | "symbols" | "items" | "values" | "size")[]>
> = {
  record: ["type", "fields"],
  error: ["type", "fields"],
  enum: ["type", "symbols"],
  fixed: ["type", "size"],
  array: ["type", "items"],
  map: ["type", "values"],
};

function fullName(name: string, namespace: string | undefined): string {
  if (name.includes(".") || !namespace) return name;
  return `${namespace}.${name}`;
}

function canonical(schema: Json, namespace: string | undefined, seen: Set<string>): string {
  if (typeof schema === "string") {
    if (PRIMITIVES.has(schema)) return JSON.stringify(schema);
    return JSON.stringify(fullName(schema, namespace));
  }
  if (Array.isArray(schema)) {
    return `[${schema.map((s) => canonical(s, namespace, seen)).join(",")}]`;
  }
  if (schema === null || typeof schema !== "object") {
    throw new Error(`not an Avro schema: ${JSON.stringify(schema)}`);
  }
  const type = schema.type;
  if (typeof type !== "string") {
    // {"type": {...}} or {"type": [...]}: the wrapper adds nothing.
    return canonical(type ?? null, namespace, seen);
  }
  if (PRIMITIVES.has(type)) return JSON.stringify(type);
  const kept = KEPT[type];
  // {"type": "Name"}: a reference to a named type defined earlier, canonically just its fullname.
  if (!kept) return JSON.stringify(fullName(type, namespace));

  const parts: string[] = [];
  let ns = namespace;
  if (type === "record" || type === "error" || type === "enum" || type === "fixed") {
    const rawName = schema.name;
    if (typeof rawName !== "string") throw new Error(`named type without a name: ${type}`);
    const ownNs = typeof schema.namespace === "string" ? schema.namespace : namespace;
    const name = fullName(rawName, ownNs);
    if (seen.has(name)) return JSON.stringify(name);
    seen.add(name);
    ns = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : undefined;
    parts.push(`"name":${JSON.stringify(name)}`);
  }
  for (const key of kept) {
    const value = schema[key];
    if (value === undefined) continue;
    if (key === "type") {
      parts.push(`"type":${JSON.stringify(type === "error" ? "record" : type)}`);
    } else if (key === "fields") {
      if (!Array.isArray(value)) throw new Error("record fields must be an array");
      const fields = value.map((field) => {
        if (field === null || typeof field !== "object" || Array.isArray(field)) {
          throw new Error("record field must be an object");
        }
        return `{"name":${JSON.stringify(field.name)},"type":${canonical(field.type ?? null, ns, seen)}}`;
      });
      parts.push(`"fields":[${fields.join(",")}]`);
    } else if (key === "items" || key === "values") {
      parts.push(`"${key}":${canonical(value, ns, seen)}`);
    } else {
      parts.push(`"${key}":${JSON.stringify(value)}`);
    }
  }
  return `{${parts.join(",")}}`;
}

/** The Parsing Canonical Form of a schema given as parsed JSON. */
export function parsingCanonicalForm(schema: unknown): string {
  return canonical(schema as Json, undefined, new Set());
}

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;
const TABLE: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
  return fp & MASK;
});

/** CRC-64-AVRO of the bytes; runs once per schema, so BigInt's cost does not matter. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) {
    fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(b)) & 0xffn)] as bigint);
  }
  return fp;
}

/** The 8-byte little-endian fingerprint that single-object encoding puts after C3 01. */
export function fingerprint(schema: unknown): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc64Avro(Buffer.from(parsingCanonicalForm(schema), "utf8")));
  return out;
}
