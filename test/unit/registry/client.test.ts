/**
 * The registry client against a local HTTP(S) server that plays the registry: what it sends
 * (paths, credentials), how it reads the answers (404, refusals, outages), its deadline, and TLS
 * with a CA of its own (the Kafka tooling's development material).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttps } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { RegistrySettings } from "../../../services/config/registry.ts";
import { Secret } from "../../../services/config/secrets.ts";
import {
  createRegistryClient,
  RegistryRefusal,
  RegistryUnavailable,
} from "../../../services/registry/client.ts";

const MATERIAL = fileURLToPath(new URL("../../../tools/kafka/secure/material.sh", import.meta.url));
let dir: string;
const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];

/** The fake registry's answers by path. */
function answer(req: IncomingMessage, res: ServerResponse, body: string) {
  seen.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization, body });
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
  };
  if (req.url === "/ccompat/schemas/ids/1") return json(200, { schema: '"string"' });
  if (req.url === "/ccompat/schemas/ids/2")
    return json(200, { schema: '"x.E"', references: [{ name: "x.E", subject: "x.E", version: 1 }] });
  if (req.url === "/ccompat/subjects/x.E/versions/1")
    return json(200, { schema: '{"type":"enum","name":"x.E","symbols":["A"]}' });
  if (req.url === "/ccompat/schemas/ids/3")
    return json(200, { schema: '"x.F"', references: [{ name: "x.F", subject: "x.F", version: 1 }] });
  if (req.url === "/ccompat/schemas/ids/500") return json(500, { message: "boom" });
  if (req.url === "/ccompat/schemas/ids/401") return json(401, { message: "no" });
  if (req.url === "/ccompat/schemas/ids/777") return; // never answers
  if (req.url === "/ccompat/subjects/s/versions" && req.method === "POST") return json(200, { id: 17 });
  json(404, { error_code: 40401, message: "not found" });
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  let body = "";
  req.on("data", (c: Buffer) => {
    body += c.toString();
  });
  req.on("end", () => answer(req, res, body));
}

let http: Server;
let https: Server;
const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
let httpUrl = "";
let httpsUrl = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kymaros-registry-client-"));
  execFileSync(MATERIAL, [join(dir, "pki")], { stdio: "ignore" });
  http = createHttp(handler);
  const pem = readFileSync(join(dir, "pki/broker.pem"), "utf8");
  https = createHttps({ key: pem, cert: pem }, handler);
  httpUrl = `http://127.0.0.1:${await listen(http)}/ccompat`;
  httpsUrl = `https://127.0.0.1:${await listen(https)}/ccompat`;
});

after(() => {
  http.closeAllConnections();
  https.closeAllConnections();
  http.close();
  https.close();
  rmSync(dir, { recursive: true, force: true });
});

const settings = (over: Partial<RegistrySettings> = {}): RegistrySettings => ({
  url: httpUrl,
  timeoutMs: 500,
  subjectStrategy: "topic-record",
  autoRegister: true,
  ...over,
});

test("schemas by id: the schema, its references (dependencies first), and 404 as no schema", async () => {
  const client = createRegistryClient(settings());
  assert.deepEqual(await client.schemaById(1), { id: 1, schema: '"string"' });
  assert.deepEqual(await client.schemaById(2), {
    id: 2,
    schema: '"x.E"',
    references: ['{"type":"enum","name":"x.E","symbols":["A"]}'],
  });
  assert.deepEqual(await client.schemaById(9), { id: 9, schema: null });
  const missingReference = await client.schemaById(3);
  assert.equal(missingReference.schema, null);
  assert.match(missingReference.problem ?? "", /reference x\.F\/1: HTTP 404/);
});

test("an outage, a 5xx, refused credentials and a hang are RegistryUnavailable; other 4xx a refusal", async () => {
  const client = createRegistryClient(settings());
  await assert.rejects(client.schemaById(500), RegistryUnavailable);
  await assert.rejects(client.schemaById(401), RegistryUnavailable);
  const began = Date.now();
  await assert.rejects(client.schemaById(777), /no answer within 500 ms/);
  assert.ok(Date.now() - began < 5000, "the deadline holds");
  await assert.rejects(
    createRegistryClient(settings({ url: "http://127.0.0.1:1" })).schemaById(1),
    RegistryUnavailable,
  );
  await assert.rejects(
    client.lookup("nope", '"string"'),
    (err) => err instanceof RegistryRefusal && err.errorCode === 40401,
  );
});

test("basic and bearer credentials are sent as the Authorization header", async () => {
  seen.length = 0;
  await createRegistryClient(
    settings({ auth: { kind: "basic", username: "u", password: new Secret("p") } }),
  ).schemaById(1);
  await createRegistryClient(settings({ auth: { kind: "bearer", token: new Secret("t0k") } })).register(
    "s",
    '"string"',
  );
  assert.equal(seen[0]?.auth, `Basic ${Buffer.from("u:p").toString("base64")}`);
  assert.equal(seen[1]?.auth, "Bearer t0k");
  assert.deepEqual(JSON.parse(seen[1]?.body ?? ""), { schema: '"string"' });
});

test("https: trusted with the configured CA, refused without it", async () => {
  const ca = readFileSync(join(dir, "pki/ca.pem"), "utf8");
  const trusted = createRegistryClient(settings({ url: httpsUrl, tls: { ca, verify: true } }));
  assert.equal((await trusted.schemaById(1)).schema, '"string"');
  const untrusted = createRegistryClient(settings({ url: httpsUrl, tls: { verify: true } }));
  await assert.rejects(untrusted.schemaById(1), RegistryUnavailable);
});
