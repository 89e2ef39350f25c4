/**
 * Registers schemas/ into the schema registry at KYMAROS_SCHEMA_REGISTRY_URL with BACKWARD
 * compatibility, each record's versions in order (RunCompleted v1 -> v2 -> v3, TestRetired v1),
 * every version checked against the latest before it is registered; then, with --breaking,
 * shows that a breaking change (a new field without a default) is refused and not registered.
 * Subjects follow KYMAROS_SCHEMA_REGISTRY_SUBJECT_STRATEGY for KYMAROS_TOPIC, as the SDK's.
 *   node --import tsx tools/registry/schemas.ts [--breaking]
 */
import { readRegistrySettings } from "../../services/config/registry.ts";
import { readTopic } from "../../services/config/topic.ts";
import { SCHEMA_VERSIONS } from "../../services/contract/index.ts";
import { loadRetirementSchema, loadSchema } from "../../services/contract/schemas.ts";
import {
  createRegistryClient,
  type RegistryClient,
  RegistryRefusal,
} from "../../services/registry/client.ts";
import { subjectFor } from "../../services/registry/subjects.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Compatible with the subject's latest version; a subject without versions takes anything. */
async function compatible(client: RegistryClient, subject: string, text: string): Promise<boolean> {
  try {
    return await client.compatible(subject, text);
  } catch (err) {
    if (err instanceof RegistryRefusal && err.status === 404) return true;
    throw err;
  }
}

async function registerInOrder(
  client: RegistryClient,
  subject: string,
  schemas: [string, unknown][],
): Promise<void> {
  await client.setCompatibility(subject, "BACKWARD");
  for (const [name, schema] of schemas) {
    const text = JSON.stringify(schema);
    if (!(await compatible(client, subject, text)))
      throw new Error(`${name} is not BACKWARD compatible with ${subject}'s latest`);
    say(
      `${subject}: ${name} is BACKWARD compatible, registered as id ${await client.register(subject, text)}`,
    );
  }
}

/** v3 plus a field without a default: data written before it cannot be read, so BACKWARD refuses it. */
async function showBreaking(client: RegistryClient, subject: string): Promise<void> {
  const v3 = loadSchema(3) as { fields: unknown[] };
  const broken = JSON.stringify({ ...v3, fields: [...v3.fields, { name: "owner", type: "string" }] });
  const ok = await compatible(client, subject, broken);
  let registered = false;
  try {
    await client.register(subject, broken);
    registered = true;
  } catch (err) {
    if (!(err instanceof RegistryRefusal)) throw err;
    say(`${subject}: a new field without a default is refused: ${err.message}`);
  }
  if (ok || registered)
    throw new Error(
      `${subject}: the breaking change was accepted (compatible=${ok}, registered=${registered})`,
    );
}

async function main(): Promise<void> {
  const settings = readRegistrySettings(process.env);
  if (!settings) throw new Error("KYMAROS_SCHEMA_REGISTRY_URL is not set");
  const topic = readTopic(process.env);
  const client = createRegistryClient(settings);
  const run = loadSchema(1) as { name: string; namespace: string };
  const retired = loadRetirementSchema() as { name: string; namespace: string };
  const runSubject = subjectFor(settings.subjectStrategy, topic, `${run.namespace}.${run.name}`);
  await registerInOrder(
    client,
    runSubject,
    SCHEMA_VERSIONS.map((v) => [`RunCompleted v${v}`, loadSchema(v)]),
  );
  await registerInOrder(
    client,
    subjectFor(settings.subjectStrategy, topic, `${retired.namespace}.${retired.name}`),
    [["TestRetired v1", retired]],
  );
  if (process.argv.includes("--breaking")) await showBreaking(client, runSubject);
}

main().catch((err: unknown) => {
  process.stderr.write(`registry-schemas: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
