/** The schemas of schemas/*.avsc (RunCompleted's versions and TestRetired), the writers the codec knows. */
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

export function retirementSchemaPath(): string {
  return `${dir}test-retired.v1.avsc`;
}

/** TestRetired has one version so far: a second would be resolved as RunCompleted's v2 is. */
export function loadRetirementSchema(): unknown {
  return JSON.parse(readFileSync(retirementSchemaPath(), "utf8"));
}

/** The state changelog's record (services/api/changelog): version 1 so far. */
export function stateRecordSchemaPath(version: 1): string {
  return `${dir}state-record.v${version}.avsc`;
}

export function loadStateRecordSchema(version: 1): unknown {
  return JSON.parse(readFileSync(stateRecordSchemaPath(version), "utf8"));
}
