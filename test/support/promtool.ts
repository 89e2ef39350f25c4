/**
 * promtool (from Debian's prometheus package): `check metrics` on an exposition, and for the
 * rule tests, a PrometheusRule's `spec` written as a Prometheus rules file, then
 * `promtool check rules` / `promtool test rules`.
 */
import { execFile, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { stringify } from "yaml";

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertion messages. */
  output: string;
}

/** The promtool binary: $PROMTOOL, or promtool on the PATH (/usr/bin with Debian's package). */
export function promtoolPath(): string {
  const configured = process.env.PROMTOOL;
  if (configured) return configured;
  const found = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === "") {
    throw new Error("promtool not found: install Debian's prometheus package (apt-get install prometheus)");
  }
  return path;
}

export function runPromtool(args: string[], cwd?: string, input?: string): ToolRun {
  const run = spawnSync(promtoolPath(), args, { cwd, input, encoding: "utf8", timeout: 120_000 });
  if (run.error) throw run.error;
  const stdout = run.stdout ?? "";
  const stderr = run.stderr ?? "";
  return { code: run.status ?? -1, stdout, stderr, output: `${stdout}${stderr}` };
}

/** runPromtool without blocking, so that independent promtool runs can share the cores. */
export function runPromtoolAsync(args: string[], cwd?: string): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    execFile(promtoolPath(), args, { cwd, encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
      if (code === null) return reject(error);
      resolve({ code, stdout, stderr, output: `${stdout}${stderr}` });
    });
  });
}

/** `promtool check metrics` on an exposition in the text format: exit code 0 and no output when clean. */
export function checkMetrics(exposition: string): ToolRun {
  return runPromtool(["check", "metrics"], undefined, exposition);
}

/** A temporary directory holding a rules file and unit-test files that refer to it by name. */
export interface RulesWorkspace {
  dir: string;
  rulesFile: string;
  testFiles: string[];
  remove(): void;
}

/**
 * Writes `rules` (the `spec` of a PrometheusRule: `{ groups: [...] }`) to `<dir>/<rulesName>` and
 * copies each unit-test file beside it, so that their `rule_files: [<rulesName>]` resolve.
 */
export function rulesWorkspace(
  rules: unknown,
  testFiles: string[],
  rulesName = "kymaros-rules.yaml",
): RulesWorkspace {
  const dir = mkdtempSync(join(tmpdir(), "kymaros-rules-"));
  const rulesFile = join(dir, rulesName);
  writeFileSync(rulesFile, stringify(rules));
  const copies = testFiles.map((file) => {
    const copy = join(dir, basename(file));
    copyFileSync(file, copy);
    return copy;
  });
  return { dir, rulesFile, testFiles: copies, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function checkRules(rulesFile: string): ToolRun {
  return runPromtool(["check", "rules", rulesFile]);
}

/** `promtool test rules`, run in the test files' directory (rule_files resolve relative to it). */
export function testRules(testFiles: string[], cwd: string): ToolRun {
  return runPromtool(["test", "rules", ...testFiles], cwd);
}

export function testRulesAsync(testFiles: string[], cwd: string): Promise<ToolRun> {
  return runPromtoolAsync(["test", "rules", ...testFiles], cwd);
}
