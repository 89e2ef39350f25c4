/**
 * The Node.js majors the project claims are the ones CI tests: package.json's engines, the
 * majors .ci/run passes to `make test-node`, the image's base and the README's prerequisites
 * name the same majors.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const read = (path: string): string =>
  readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), "utf8");

/** The majors of `make test-node` in .ci/run's loop. */
function ciMajors(): number[] {
  const loop = /^for major in ([\d ]+); do\n\s+.*make test-node NODE_MAJOR=\$major/m.exec(read(".ci/run"));
  assert.ok(loop?.[1], ".ci/run has no 'for major in ...; do make test-node NODE_MAJOR=$major' loop");
  return loop[1].trim().split(/\s+/).map(Number);
}

/** The major `make test` runs on in CI: the CI machine's own Node.js. */
const MAIN_MAJOR = 20;

describe("the Node.js majors", () => {
  const majors = ciMajors();

  it("package.json's engines allows exactly the majors CI tests: the machine's (make test) and the loop's", () => {
    const { engines } = JSON.parse(read("package.json")) as { engines: { node: string } };
    assert.equal(engines.node, [MAIN_MAJOR, ...majors].map((m) => `^${m}`).join(" || "));
  });

  it("the image's Node.js is one of them", () => {
    const image = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(read("Dockerfile"));
    assert.ok(image?.[1], "Dockerfile has no 'ARG NODE_IMAGE=node:<major>-...'");
    assert.ok(majors.includes(Number(image[1])), `node:${image[1]} is not among ${majors.join(", ")}`);
  });

  it("the README's prerequisites name them", () => {
    const all = [MAIN_MAJOR, ...majors].map(String);
    const named = `${all.slice(0, -1).join(", ")} or ${all.at(-1)}`;
    assert.ok(
      read("README.md").includes(`**Node.js ${named}**`),
      `README.md does not say "Node.js ${named}"`,
    );
  });
});
