/**
 * `make test` runs what the README says, in that order: the unit tests without a broker, then
 * the integration tests with one. Read from `make -n` (what make would run, nothing run).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

const testFiles = (dir: string): string[] =>
  readdirSync(`${root}${dir}`)
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => `${dir}/${f}`)
    .sort();

test("make test runs every unit test file without a broker, then every integration test file with one", () => {
  const make = spawnSync("make", ["-n", "test"], { cwd: root, encoding: "utf8" });
  assert.equal(make.status, 0, make.stderr);
  // The test commands: node's runner, alone or under tools/with-kafka.sh (which brings a broker).
  const runs = make.stdout
    .split("\n")
    .filter((line) => /\bnode\b.* --test /.test(line))
    .map((line) => ({
      broker: line.startsWith("tools/with-kafka.sh "),
      files: line.split(/\s+/).filter((word) => word.endsWith(".test.ts")),
    }));
  assert.deepEqual(runs, [
    { broker: false, files: testFiles("test/unit") },
    { broker: true, files: testFiles("test/integration") },
  ]);
});

test("the README says so", () => {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const line = readme.split("\n").find((l) => l.startsWith("make test "));
  assert.match(line ?? "", /unit tests \(no broker\), then integration tests with a real Kafka broker/);
});
