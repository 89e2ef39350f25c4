/**
 * The README's "Exit codes" table is the one a script or an on-call reader has: it must give
 * every code of services/process/exit-codes.ts, each with its name, and no other.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { EXIT } from "../../services/process/exit-codes.ts";

const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

/** The rows of the section's table as [name, code], in page order. */
function exitCodeRows(text: string): Array<[string, number]> {
  const start = text.indexOf("\n## Exit codes\n");
  assert.ok(start >= 0, "README.md has no '## Exit codes' section");
  const end = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  return section
    .split("\n")
    .filter((line) => /^\| \d+ \|/.test(line))
    .map((line): [string, number] => {
      const [code, name] = line
        .split("|")
        .slice(1, 3)
        .map((cell) => cell.trim());
      return [String(name).replace(/^`(.*)`$/, "$1"), Number(code)];
    });
}

describe("the README's exit codes", () => {
  it("are the exit-code table of the four binaries, name for name", () => {
    const rows = exitCodeRows(readme);
    assert.deepEqual(
      Object.fromEntries(rows),
      { ...EXIT },
      "README.md's Exit codes table differs from services/process/exit-codes.ts",
    );
    assert.equal(rows.length, Object.keys(EXIT).length, "a code listed twice");
  });

  it("the reader finds a row that changed", () => {
    const changed = readme.replace("| 4 | `partial` |", "| 2 | `partial` |");
    assert.notDeepEqual(Object.fromEntries(exitCodeRows(changed)), { ...EXIT });
  });
});
