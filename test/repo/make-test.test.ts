/**
 * `make test` runs what the README says, in that order: the unit tests without a broker, then
 * the integration tests with one. Read from `make -n` (what make would run, nothing run).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Every test file under the folders, at any depth (test/unit mirrors services/). */
const testFiles = (...dirs: string[]): string[] =>
  dirs
    .flatMap((dir) =>
      readdirSync(`${root}${dir}`, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".test.ts"))
        .map((f) => join(dir, f)),
    )
    .sort();

test("make test runs every unit and repository test file without a broker, then every integration test file with one", () => {
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
    { broker: false, files: testFiles("test/repo", "test/unit") },
    { broker: true, files: testFiles("test/integration") },
  ]);
});

test("the README says so", () => {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const line = readme.split("\n").find((l) => l.startsWith("make test "));
  assert.match(line ?? "", /unit tests \(no broker\), then integration tests with a real Kafka broker/);
});
