import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { ConfigError, type Env } from "../../../services/config/errors.ts";
import { kafkaSecurity, readKafkaSettings, securityWarnings } from "../../../services/config/kafka.ts";
import { readSecretFile, Secret } from "../../../services/config/secrets.ts";

const MATERIAL = fileURLToPath(new URL("../../../tools/kafka/secure/material.sh", import.meta.url));
const PASSWORD = "s3cret-Pa55word-do-not-print";

let dir: string;
const file = (name: string) => join(dir, name);

before(() => {
  dir = mkdtempSync(join(tmpdir(), "kymaros-kafka-settings-"));
  execFileSync(MATERIAL, [join(dir, "pki")], { stdio: "ignore" });
  const client = readFileSync(join(dir, "pki/client.pem"), "utf8");
  const blocks = client.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n/g) ?? [];
  writeFileSync(file("client.key"), blocks[0] ?? "");
  writeFileSync(file("client.crt"), blocks[1] ?? "");
  writeFileSync(file("ca.pem"), readFileSync(join(dir, "pki/ca.pem")));
  writeFileSync(file("password"), `${PASSWORD}\n`);
  writeFileSync(file("password-crlf"), `${PASSWORD}\r\n`);
  writeFileSync(file("empty"), "\n");
  writeFileSync(file("garbage.pem"), `not a certificate ${PASSWORD}\n`);
  writeFileSync(file("unreadable"), PASSWORD);
  chmodSync(file("unreadable"), 0o000);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function read(env: Env) {
  return readKafkaSettings(env, "kymaros-test");
}

/** Asserts a ConfigError naming the setting, whose message shows no secret. */
function refuses(env: Env, setting: string, match?: RegExp): void {
  assert.throws(
    () => read(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.setting, setting);
      assert.ok(err.message.startsWith(`${setting}: `), err.message);
      assert.ok(!err.message.includes(PASSWORD), err.message);
      assert.ok(!err.message.includes("PRIVATE KEY"), err.message);
      if (match) assert.match(err.message, match);
      return true;
    },
  );
}

const SCRAM: Env = { KYMAROS_KAFKA_SASL_MECHANISM: "scram-sha-512", KYMAROS_KAFKA_SASL_USERNAME: "kymaros" };

describe("defaults", () => {
  test("no TLS and no SASL unless asked for", () => {
    const s = read({});
    assert.deepEqual(s, { brokers: ["localhost:9092"], clientId: "kymaros-test" });
    assert.deepEqual(kafkaSecurity(s), {});
    assert.deepEqual(securityWarnings(s), []);
  });

  test("KYMAROS_KAFKA_TLS=false is plaintext", () => {
    assert.equal(read({ KYMAROS_KAFKA_TLS: "false" }).tls, undefined);
  });

  test("TLS alone trusts Node's default CAs and verifies the broker", () => {
    const s = read({ KYMAROS_KAFKA_TLS: "true" });
    assert.deepEqual(s.tls, { verify: true });
    assert.deepEqual(kafkaSecurity(s), { ssl: { rejectUnauthorized: true } });
    assert.deepEqual(securityWarnings(s), []);
  });
});

describe("TLS settings", () => {
  test("CA file, client certificate and key are read; kafkajs gets them", () => {
    const s = read({
      KYMAROS_KAFKA_TLS: "TRUE",
      KYMAROS_KAFKA_TLS_CA_FILE: file("ca.pem"),
      KYMAROS_KAFKA_TLS_CERT_FILE: file("client.crt"),
      KYMAROS_KAFKA_TLS_KEY_FILE: file("client.key"),
    });
    assert.match(s.tls?.ca ?? "", /^-----BEGIN CERTIFICATE-----/);
    assert.match(s.tls?.cert ?? "", /^-----BEGIN CERTIFICATE-----/);
    assert.ok(s.tls?.key instanceof Secret);
    const { ssl } = kafkaSecurity(s);
    assert.ok(typeof ssl === "object");
    assert.equal(ssl.rejectUnauthorized, true);
    assert.deepEqual(ssl.ca, [s.tls?.ca]);
    assert.equal(ssl.cert, s.tls?.cert);
    assert.match(String(ssl.key), /PRIVATE KEY/);
    assert.ok(!inspect(s, { depth: 9 }).includes("PRIVATE KEY"), "the key is redacted when printed");
  });

  test("INSECURE_SKIP_VERIFY=true turns verification off, with a warning", () => {
    const s = read({ KYMAROS_KAFKA_TLS: "true", KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY: "true" });
    assert.equal(s.tls?.verify, false);
    assert.deepEqual(kafkaSecurity(s), { ssl: { rejectUnauthorized: false } });
    const warnings = securityWarnings(s);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY/);
  });

  const bad: [Env, string, RegExp?][] = [
    [{ KYMAROS_KAFKA_TLS: "yes" }, "KYMAROS_KAFKA_TLS", /not true or false/],
    [
      { KYMAROS_KAFKA_TLS: "true", KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY: "1" },
      "KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY",
    ],
    [{ KYMAROS_KAFKA_TLS_CA_FILE: "/x.pem" }, "KYMAROS_KAFKA_TLS_CA_FILE", /KYMAROS_KAFKA_TLS is not true/],
    [
      { KYMAROS_KAFKA_TLS: "false", KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY: "true" },
      "KYMAROS_KAFKA_TLS_INSECURE_SKIP_VERIFY",
    ],
    [{ KYMAROS_KAFKA_TLS: "true", KYMAROS_KAFKA_TLS_CA_FILE: "" }, "KYMAROS_KAFKA_TLS_CA_FILE", /is empty/],
  ];
  for (const [env, setting, match] of bad) {
    test(`refuses ${JSON.stringify(env)} naming ${setting}`, () => refuses(env, setting, match));
  }

  test("a missing, unreadable, empty or non-PEM CA file names the setting and the file", () => {
    const tls = { KYMAROS_KAFKA_TLS: "true" };
    const ca = "KYMAROS_KAFKA_TLS_CA_FILE";
    refuses({ ...tls, [ca]: file("nope.pem") }, ca, /cannot read file ".*nope\.pem" \(ENOENT\)/);
    if (process.getuid?.() !== 0) refuses({ ...tls, [ca]: file("unreadable") }, ca, /EACCES/);
    refuses({ ...tls, [ca]: dir }, ca, /EISDIR/);
    refuses({ ...tls, [ca]: file("empty") }, ca, /is empty/);
    refuses({ ...tls, [ca]: file("garbage.pem") }, ca, /is not a PEM certificate/);
  });

  test("mutual TLS needs both the certificate and the key, each valid", () => {
    const tls = { KYMAROS_KAFKA_TLS: "true" };
    refuses({ ...tls, KYMAROS_KAFKA_TLS_CERT_FILE: file("client.crt") }, "KYMAROS_KAFKA_TLS_KEY_FILE");
    refuses({ ...tls, KYMAROS_KAFKA_TLS_KEY_FILE: file("client.key") }, "KYMAROS_KAFKA_TLS_CERT_FILE");
    refuses(
      {
        ...tls,
        KYMAROS_KAFKA_TLS_CERT_FILE: file("client.key"),
        KYMAROS_KAFKA_TLS_KEY_FILE: file("client.key"),
      },
      "KYMAROS_KAFKA_TLS_CERT_FILE",
      /not a PEM certificate/,
    );
    refuses(
      {
        ...tls,
        KYMAROS_KAFKA_TLS_CERT_FILE: file("client.crt"),
        KYMAROS_KAFKA_TLS_KEY_FILE: file("garbage.pem"),
      },
      "KYMAROS_KAFKA_TLS_KEY_FILE",
      /not an unencrypted PEM private key/,
    );
  });
});

describe("SASL settings", () => {
  test("SCRAM-SHA-512 with a password file: trailing newline trimmed, redacted when printed", () => {
    const s = read({ ...SCRAM, KYMAROS_KAFKA_SASL_PASSWORD_FILE: file("password") });
    assert.equal(s.sasl?.mechanism, "scram-sha-512");
    assert.equal(s.sasl?.username, "kymaros");
    assert.equal(s.sasl?.password.reveal(), PASSWORD);
    for (const shown of [
      inspect(s, { depth: 9 }),
      JSON.stringify(s),
      String(s.sasl?.password),
      `${s.sasl?.password}`,
    ]) {
      assert.ok(!shown.includes(PASSWORD), shown);
    }
    assert.match(JSON.stringify(s), /"password":"\[redacted\]"/);
    assert.deepEqual(kafkaSecurity(s), {
      sasl: { mechanism: "scram-sha-512", username: "kymaros", password: PASSWORD },
    });
  });

  test("a CRLF line end is trimmed too", () => {
    const s = read({ ...SCRAM, KYMAROS_KAFKA_SASL_PASSWORD_FILE: file("password-crlf") });
    assert.equal(s.sasl?.password.reveal(), PASSWORD);
  });

  test("the mechanism is case-insensitive; scram-sha-256 and plain are accepted", () => {
    for (const [raw, mechanism] of [
      ["SCRAM-SHA-256", "scram-sha-256"],
      ["Plain", "plain"],
      ["scram-sha-512", "scram-sha-512"],
    ] as const) {
      const s = read({
        KYMAROS_KAFKA_TLS: "true",
        KYMAROS_KAFKA_SASL_MECHANISM: raw,
        KYMAROS_KAFKA_SASL_USERNAME: "u",
        KYMAROS_KAFKA_SASL_PASSWORD: PASSWORD,
      });
      assert.equal(s.sasl?.mechanism, mechanism);
      assert.deepEqual(kafkaSecurity(s).sasl, { mechanism, username: "u", password: PASSWORD });
      assert.deepEqual(securityWarnings(s), []);
    }
  });

  test("KYMAROS_KAFKA_SASL_PASSWORD is accepted (less safe) and redacted too", () => {
    const s = read({ ...SCRAM, KYMAROS_KAFKA_SASL_PASSWORD: PASSWORD });
    assert.equal(s.sasl?.password.reveal(), PASSWORD);
    assert.ok(!inspect(s, { depth: 9 }).includes(PASSWORD));
  });

  test("PLAIN without TLS is allowed with a warning", () => {
    const s = read({
      ...SCRAM,
      KYMAROS_KAFKA_SASL_MECHANISM: "plain",
      KYMAROS_KAFKA_SASL_PASSWORD: PASSWORD,
    });
    const warnings = securityWarnings(s);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /in clear/);
    assert.ok(!warnings[0]?.includes(PASSWORD));
  });

  const M = "KYMAROS_KAFKA_SASL_MECHANISM";
  const bad: [Env, string, RegExp?][] = [
    [
      { [M]: "gssapi", KYMAROS_KAFKA_SASL_USERNAME: "u", KYMAROS_KAFKA_SASL_PASSWORD: PASSWORD },
      M,
      /not one of/,
    ],
    [{ KYMAROS_KAFKA_SASL_USERNAME: "u" }, "KYMAROS_KAFKA_SASL_USERNAME", /MECHANISM is not/],
    [{ KYMAROS_KAFKA_SASL_PASSWORD: PASSWORD }, "KYMAROS_KAFKA_SASL_PASSWORD", /MECHANISM is not/],
    [{ KYMAROS_KAFKA_SASL_PASSWORD_FILE: "/p" }, "KYMAROS_KAFKA_SASL_PASSWORD_FILE", /MECHANISM is not/],
    [{ [M]: "plain", KYMAROS_KAFKA_SASL_PASSWORD: PASSWORD }, "KYMAROS_KAFKA_SASL_USERNAME", /is required/],
    [
      { [M]: "plain", KYMAROS_KAFKA_SASL_USERNAME: "", KYMAROS_KAFKA_SASL_PASSWORD: PASSWORD },
      "KYMAROS_KAFKA_SASL_USERNAME",
    ],
    [SCRAM, "KYMAROS_KAFKA_SASL_PASSWORD_FILE", /is required/],
    [{ ...SCRAM, KYMAROS_KAFKA_SASL_PASSWORD: "" }, "KYMAROS_KAFKA_SASL_PASSWORD_FILE", /is required/],
    [
      { ...SCRAM, KYMAROS_KAFKA_SASL_PASSWORD: PASSWORD, KYMAROS_KAFKA_SASL_PASSWORD_FILE: "/p" },
      "KYMAROS_KAFKA_SASL_PASSWORD",
      /not both/,
    ],
  ];
  for (const [env, setting, match] of bad) {
    const shown = JSON.stringify(env).replaceAll(PASSWORD, "***");
    test(`refuses ${shown} naming ${setting}`, () => refuses(env, setting, match));
  }

  test("a missing, empty or unreadable password file names the setting, never the contents", () => {
    const P = "KYMAROS_KAFKA_SASL_PASSWORD_FILE";
    refuses({ ...SCRAM, [P]: file("nope") }, P, /cannot read file ".*nope" \(ENOENT\)/);
    refuses({ ...SCRAM, [P]: file("empty") }, P, /is empty/);
    refuses({ ...SCRAM, [P]: "" }, P, /is empty/);
    if (process.getuid?.() !== 0) refuses({ ...SCRAM, [P]: file("unreadable") }, P, /EACCES/);
  });
});

test("readSecretFile keeps inner whitespace and only trims line breaks at the end", () => {
  writeFileSync(file("spaced"), "  a b \n\n");
  assert.equal(readSecretFile(file("spaced"), "X").reveal(), "  a b ");
});
