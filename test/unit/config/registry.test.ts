import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { inspect } from "node:util";
import { ConfigError, type Env } from "../../../services/config/errors.ts";
import { readRegistrySettings } from "../../../services/config/registry.ts";

const TOKEN = "tok-do-not-print";
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "kymaros-registry-settings-"));
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  writeFileSync(join(dir, "password"), `${TOKEN}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const URL_ = "https://registry.example:8081/apis/ccompat/v7/";

/** The setting a ConfigError names, or "ok". */
function refusedSetting(env: Env): string {
  try {
    readRegistrySettings(env);
    return "ok";
  } catch (err) {
    if (err instanceof ConfigError) return err.setting;
    throw err;
  }
}

test("unset: no registry, and no other registry setting may be set alone", () => {
  assert.equal(readRegistrySettings({}), undefined);
  assert.equal(
    refusedSetting({ KYMAROS_SCHEMA_REGISTRY_TOKEN_FILE: "/x" }),
    "KYMAROS_SCHEMA_REGISTRY_TOKEN_FILE",
  );
});

test("defaults: topic-record subjects, auto-registration, a 5 s timeout; the URL without its trailing slash", () => {
  const s = readRegistrySettings({ KYMAROS_SCHEMA_REGISTRY_URL: URL_ });
  assert.deepEqual(
    { url: s?.url, strategy: s?.subjectStrategy, auto: s?.autoRegister, timeout: s?.timeoutMs },
    {
      url: "https://registry.example:8081/apis/ccompat/v7",
      strategy: "topic-record",
      auto: true,
      timeout: 5000,
    },
  );
});

test("bad values stop the start naming the setting", () => {
  const cases: [Env, string][] = [
    [{ KYMAROS_SCHEMA_REGISTRY_URL: "registry:8081" }, "KYMAROS_SCHEMA_REGISTRY_URL"],
    [{ KYMAROS_SCHEMA_REGISTRY_URL: "ftp://r" }, "KYMAROS_SCHEMA_REGISTRY_URL"],
    [{ KYMAROS_SCHEMA_REGISTRY_URL: "https://u:p@r" }, "KYMAROS_SCHEMA_REGISTRY_URL"],
    [
      { KYMAROS_SCHEMA_REGISTRY_URL: URL_, KYMAROS_SCHEMA_REGISTRY_TIMEOUT_MS: "5s" },
      "KYMAROS_SCHEMA_REGISTRY_TIMEOUT_MS",
    ],
    [
      { KYMAROS_SCHEMA_REGISTRY_URL: URL_, KYMAROS_SCHEMA_REGISTRY_SUBJECT_STRATEGY: "topic" },
      "KYMAROS_SCHEMA_REGISTRY_SUBJECT_STRATEGY",
    ],
    [
      { KYMAROS_SCHEMA_REGISTRY_URL: URL_, KYMAROS_SCHEMA_REGISTRY_AUTO_REGISTER: "yes" },
      "KYMAROS_SCHEMA_REGISTRY_AUTO_REGISTER",
    ],
    [
      { KYMAROS_SCHEMA_REGISTRY_URL: URL_, KYMAROS_SCHEMA_REGISTRY_USERNAME: "u" },
      "KYMAROS_SCHEMA_REGISTRY_PASSWORD_FILE",
    ],
    [
      { KYMAROS_SCHEMA_REGISTRY_URL: URL_, KYMAROS_SCHEMA_REGISTRY_TOKEN_FILE: "/nonexistent" },
      "KYMAROS_SCHEMA_REGISTRY_TOKEN_FILE",
    ],
    [
      { KYMAROS_SCHEMA_REGISTRY_URL: "http://r", KYMAROS_SCHEMA_REGISTRY_TLS_CA_FILE: "/x" },
      "KYMAROS_SCHEMA_REGISTRY_TLS_CA_FILE",
    ],
    [
      { KYMAROS_SCHEMA_REGISTRY_URL: URL_, KYMAROS_SCHEMA_REGISTRY_TLS_CA_FILE: join(tmpdir(), "none.pem") },
      "KYMAROS_SCHEMA_REGISTRY_TLS_CA_FILE",
    ],
  ];
  for (const [env, setting] of cases) assert.equal(refusedSetting(env), setting, JSON.stringify(env));
});

test("credentials come from files and are never printed", () => {
  const bearer = readRegistrySettings({
    KYMAROS_SCHEMA_REGISTRY_URL: URL_,
    KYMAROS_SCHEMA_REGISTRY_TOKEN_FILE: join(dir, "token"),
  });
  assert.equal(bearer?.auth?.kind === "bearer" && bearer.auth.token.reveal(), TOKEN);
  const basic = readRegistrySettings({
    KYMAROS_SCHEMA_REGISTRY_URL: URL_,
    KYMAROS_SCHEMA_REGISTRY_USERNAME: "svc",
    KYMAROS_SCHEMA_REGISTRY_PASSWORD_FILE: join(dir, "password"),
  });
  assert.equal(basic?.auth?.kind === "basic" && basic.auth.password.reveal(), TOKEN);
  for (const s of [bearer, basic]) {
    assert.doesNotMatch(JSON.stringify(s), new RegExp(TOKEN));
    assert.doesNotMatch(inspect(s, { depth: 5 }), new RegExp(TOKEN));
  }
});
