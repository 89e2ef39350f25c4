/**
 * A small client of the Confluent-compatible schema-registry API (Confluent Schema Registry,
 * Apicurio's /apis/ccompat/v7, managed ones): the few calls we make, each with a deadline, so a
 * registry that hangs never holds a caller for longer than the timeout. Our own rather than
 * @kafkajs/confluent-schema-registry's: that client needs Node 22, builds the reader resolver per
 * decode and caches no failures; what we need is a dozen lines of HTTP.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type { RegistrySettings } from "../config/registry.ts";
import type { RegistrySchema } from "../contract/index.ts";

/** The registry did not answer usefully (down, slow, 5xx, refused our credentials): try again later. */
export class RegistryUnavailable extends Error {
  override readonly name = "RegistryUnavailable";
}

/** The registry answered with a definite refusal (4xx other than auth): retrying will not help. */
export class RegistryRefusal extends Error {
  override readonly name = "RegistryRefusal";
  constructor(
    readonly status: number,
    readonly errorCode: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface RegistryClient {
  /** The writer schema of an id; schema null when the registry has no such id (404). */
  schemaById(id: number): Promise<RegistrySchema>;
  /** Registers the schema under the subject (or finds it registered): its id. */
  register(subject: string, schema: string): Promise<number>;
  /** The id of a schema already registered under the subject; RegistryRefusal when it is not. */
  lookup(subject: string, schema: string): Promise<number>;
  /** Sets the subject's compatibility level (BACKWARD, ...). */
  setCompatibility(subject: string, level: string): Promise<void>;
  /** Whether the schema is compatible with the subject's latest version. */
  compatible(subject: string, schema: string): Promise<boolean>;
}

const MAX_BODY = 1024 * 1024;
const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

interface Answer {
  status: number;
  body: unknown;
}

function headers(settings: RegistrySettings, body: string | undefined): Record<string, string> {
  const h: Record<string, string> = { accept: CONTENT_TYPE };
  if (body !== undefined) h["content-type"] = CONTENT_TYPE;
  const auth = settings.auth;
  if (auth?.kind === "basic") {
    h.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password.reveal()}`).toString("base64")}`;
  } else if (auth?.kind === "bearer") h.authorization = `Bearer ${auth.token.reveal()}`;
  return h;
}

function readAnswer(res: IncomingMessage, resolve: (a: Answer) => void, reject: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY) res.destroy(new RegistryUnavailable("answer larger than 1 MiB"));
    else chunks.push(chunk);
  });
  res.on("error", (err) => reject(new RegistryUnavailable(err.message)));
  res.on("end", () => {
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown = text;
    try {
      body = text.length > 0 ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a proxy's error page): kept as text for the message.
    }
    resolve({ status: res.statusCode ?? 0, body });
  });
}

/** One HTTP call with a deadline over the whole exchange; network errors become RegistryUnavailable. */
function call(settings: RegistrySettings, method: string, path: string, payload?: unknown): Promise<Answer> {
  const url = new URL(settings.url + path);
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  const tls = settings.tls;
  const options: RequestOptions & { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean } =
    {
      method,
      headers: headers(settings, body),
      signal: AbortSignal.timeout(settings.timeoutMs),
      ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key?.reveal(), rejectUnauthorized: tls.verify } : {}),
    };
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => readAnswer(res, resolve, reject));
    req.on("error", (err) => {
      const timedOut = err.name === "AbortError" || err.name === "TimeoutError";
      const why = timedOut ? `no answer within ${settings.timeoutMs} ms` : err.message;
      reject(new RegistryUnavailable(`${method} ${url.pathname}: ${why}`));
    });
    req.end(body);
  });
}

const errorCode = (body: unknown): number | undefined =>
  typeof (body as { error_code?: unknown } | null)?.error_code === "number"
    ? (body as { error_code: number }).error_code
    : undefined;

/** The answer when 2xx; throws RegistryUnavailable for 5xx and auth, RegistryRefusal for other 4xx. */
function expectOk(answer: Answer, what: string): unknown {
  const { status, body } = answer;
  if (status >= 200 && status < 300) return body;
  const message = `${what}: HTTP ${status}${typeof body === "object" && body !== null && "message" in body ? ` (${String((body as { message: unknown }).message)})` : ""}`;
  if (status >= 500 || status === 401 || status === 403 || status === 429 || status === 408) {
    throw new RegistryUnavailable(message);
  }
  throw new RegistryRefusal(status, errorCode(body), message);
}

function idOf(body: unknown, what: string): number {
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0)
    throw new RegistryUnavailable(`${what}: answer has no id`);
  return id;
}

const subjectPath = (subject: string) => `/subjects/${encodeURIComponent(subject)}`;

interface Reference {
  subject: string;
  version: number;
}
interface SchemaAnswer {
  schema: string;
  schemaType?: unknown;
  references?: Reference[];
}

function schemaOf(body: unknown, what: string): SchemaAnswer {
  const b = body as { schema?: unknown } | null;
  if (typeof b?.schema !== "string") throw new RegistryUnavailable(`${what}: answer has no schema`);
  return b as SchemaAnswer;
}

/** The referenced schemas' texts, each one's own references before it (depth-first), each once. */
async function referencedSchemas(
  settings: RegistrySettings,
  refs: Reference[] | undefined,
  seen = new Set<string>(),
): Promise<string[]> {
  const out: string[] = [];
  for (const { subject, version } of refs ?? []) {
    const key = `${subject}/${version}`;
    if (seen.has(key) || seen.size > 100) continue;
    seen.add(key);
    const path = `${subjectPath(subject)}/versions/${encodeURIComponent(String(version))}`;
    const body = schemaOf(
      expectOk(await call(settings, "GET", path), `reference ${key}`),
      `reference ${key}`,
    );
    out.push(...(await referencedSchemas(settings, body.references, seen)), body.schema);
  }
  return out;
}

export function createRegistryClient(settings: RegistrySettings): RegistryClient {
  return {
    async schemaById(id) {
      const answer = await call(settings, "GET", `/schemas/ids/${id}`);
      if (answer.status === 404) return { id, schema: null };
      let body: SchemaAnswer;
      let references: string[];
      try {
        body = schemaOf(expectOk(answer, `schema id ${id}`), `schema id ${id}`);
        references = await referencedSchemas(settings, body.references);
      } catch (err) {
        // A definite refusal (a reference the registry does not serve): the id cannot be read.
        if (err instanceof RegistryRefusal) return { id, schema: null, problem: err.message };
        throw err;
      }
      return {
        id,
        schema: body.schema,
        ...(typeof body.schemaType === "string" ? { schemaType: body.schemaType } : {}),
        ...(references.length > 0 ? { references } : {}),
      };
    },
    async register(subject, schema) {
      const answer = await call(settings, "POST", `${subjectPath(subject)}/versions`, { schema });
      return idOf(expectOk(answer, `registering subject ${subject}`), subject);
    },
    async lookup(subject, schema) {
      const answer = await call(settings, "POST", subjectPath(subject), { schema });
      return idOf(expectOk(answer, `looking up subject ${subject}`), subject);
    },
    async setCompatibility(subject, level) {
      expectOk(
        await call(settings, "PUT", `/config/${encodeURIComponent(subject)}`, { compatibility: level }),
        `compatibility of ${subject}`,
      );
    },
    async compatible(subject, schema) {
      const answer = await call(settings, "POST", `/compatibility${subjectPath(subject)}/versions/latest`, {
        schema,
      });
      const body = expectOk(answer, `compatibility check of ${subject}`) as {
        is_compatible?: unknown;
      } | null;
      return body?.is_compatible === true;
    },
  };
}
