/**
 * Registry-framed publishing (KYMAROS_SCHEMA_REGISTRY_URL set): each record the codec encoded as
 * single-object (C3 01, fingerprint, body) goes out as 00, the schema's registry id, body. The id
 * of each of our schemas is asked once per producer: registered under its subject (auto-register)
 * or looked up only, for registries that forbid registration. Without the setting this file is
 * not used and nothing changes.
 */
import type { Message } from "kafkajs";
import type { RegistrySettings } from "../config/registry.ts";
import { confluentFrame, createCodec, SCHEMA_VERSIONS } from "../contract/index.ts";
import { loadRetirementSchema, loadSchema } from "../contract/schemas.ts";
import { createRegistryClient, type RegistryClient, RegistryRefusal } from "../registry/client.ts";
import { subjectFor } from "../registry/subjects.ts";
import type { Connection } from "./connection.ts";

const HEADER = 10;

interface Ours {
  fullName: string;
  text: string;
}

/** Our schemas by their single-object fingerprint (hex). */
function schemasByFingerprint(): Map<string, Ours> {
  const codec = createCodec();
  const byPrint = new Map<string, Ours>();
  const add = (print: string, schema: unknown) => {
    const s = schema as { name: string; namespace?: string };
    byPrint.set(print, {
      fullName: s.namespace ? `${s.namespace}.${s.name}` : s.name,
      text: JSON.stringify(schema),
    });
  };
  for (const v of SCHEMA_VERSIONS) add(codec.fingerprintHex(v), loadSchema(v));
  add(codec.retirementFingerprintHex, loadRetirementSchema());
  return byPrint;
}

function lookupHint(settings: RegistrySettings, subject: string, err: unknown): Error {
  if (
    err instanceof RegistryRefusal &&
    (err.errorCode === 40401 || err.errorCode === 40403 || err.status === 404)
  ) {
    const what =
      err.errorCode === 40401
        ? `subject ${subject} does not exist`
        : `subject ${subject} has no version with this schema`;
    return new Error(
      `schema registry ${settings.url}: ${what} (KYMAROS_SCHEMA_REGISTRY_AUTO_REGISTER=false looks up only): register schemas/ first (make registry-schemas) or allow auto-registration`,
    );
  }
  return err instanceof Error
    ? new Error(`schema registry ${settings.url}: ${err.message}`, { cause: err })
    : new Error(String(err));
}

export function registryConnection(
  inner: Connection,
  settings: RegistrySettings,
  topic: string,
  client: RegistryClient = createRegistryClient(settings),
): Connection {
  const ours = schemasByFingerprint();
  const ids = new Map<string, Promise<number>>();

  function idFor(print: string): Promise<number> {
    let id = ids.get(print);
    if (id === undefined) {
      const schema = ours.get(print);
      if (!schema) return Promise.reject(new Error(`no schema of ours has fingerprint ${print}`));
      const subject = subjectFor(settings.subjectStrategy, topic, schema.fullName);
      const ask = settings.autoRegister
        ? client.register(subject, schema.text)
        : client.lookup(subject, schema.text);
      id = ask.catch((err: unknown) => {
        ids.delete(print); // a failure is asked again on the next send
        throw lookupHint(settings, subject, err);
      });
      ids.set(print, id);
    }
    return id;
  }

  async function reframe(m: Message): Promise<Message> {
    const value = m.value as Buffer;
    const id = await idFor(value.subarray(2, HEADER).toString("hex"));
    return { ...m, value: confluentFrame(id, value.subarray(HEADER)) };
  }

  return {
    async send(messages) {
      return inner.send(await Promise.all(messages.map(reframe)));
    },
    close: () => inner.close(),
  };
}
