/** The RunCompleted schemas of schemas/*.avsc, the one table of writers the codec knows. */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { SchemaVersion } from "./event.ts";

// The module runs from services/contract (tsx) or dist/services/contract (built): look up.
function schemasDir(): string {
  for (const rel of ["../../schemas/", "../../../schemas/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}run-completed.v1.avsc`)) return dir;
  }
  throw new Error("schemas/run-completed.v1.avsc not found next to the code");
}

const dir = schemasDir();

export function schemaPath(version: SchemaVersion): string {
  return `${dir}run-completed.v${version}.avsc`;
}

export function loadSchema(version: SchemaVersion): unknown {
  return JSON.parse(readFileSync(schemaPath(version), "utf8"));
}
