/**
 * The repository stands alone: a clone is all a user has, so no file may read or link anything
 * beside it (a spec folder next to the checkout, a path of the machine it was written on).
 * Checked over every file a clone holds, minus what the tools generate (dependencies, builds,
 * broker data).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** Generated or installed, never committed (.gitignore): not part of what a clone holds. */
const GENERATED = new Set(["node_modules", ".git", "dist", ".tools", ".run", "target"]);
const TEXT = /\.(ts|mjs|js|json|md|ya?ml|sh|java|xml|avsc|properties)$|^(Makefile|Dockerfile|run)$/;

function repositoryFiles(dir = root): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (GENERATED.has(entry.name) || entry.name.startsWith(".kafka")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...repositoryFiles(path));
    else if (TEXT.test(entry.name)) found.push(path);
  }
  return found;
}

const inside = (path: string): boolean => {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== "..";
};

/**
 * Paths out of the repository as code or prose writes them: a relative path up into a sibling
 * "shared" folder, a join of ".." and "shared", the machine's work tree. Escaped or spelled in
 * pieces so that this file does not match itself.
 */
const OUTSIDE = new RegExp(["\\.\\./shared\\b", '"\\.\\.",\\s*"shared"', "/wo" + "rk/"].join("|"));

describe("the repository stands alone", () => {
  const files = repositoryFiles();

  it("finds the files a clone holds", () => {
    const names = files.map((f) => relative(root, f));
    for (const expected of ["README.md", "Makefile", "docs/metrics.md", "test/repo/standalone.test.ts"]) {
      assert.ok(names.includes(expected), `${expected} not among ${names.length} files`);
    }
  });

  it("no file names a path outside the repository", () => {
    const offenders = files.flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, i) => ({ line, at: `${relative(root, file)}:${i + 1}` }))
        .filter(({ line }) => OUTSIDE.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    assert.deepEqual(offenders, []);
  });

  it("every relative Markdown link points at a file inside the repository", () => {
    const broken: string[] = [];
    for (const file of files.filter((f) => f.endsWith(".md"))) {
      const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (target === undefined || /^[a-z]+:|^#/.test(target)) continue;
        const path = resolve(dirname(file), (target.split("#")[0] as string) || ".");
        if (!inside(path) || !existsSync(path)) broken.push(`${relative(root, file)}: ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
