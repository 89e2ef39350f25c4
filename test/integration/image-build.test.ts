/**
 * What the container image would contain, without a container engine: the Dockerfile is parsed
 * and its stages are carried out in fresh temporary folders (one per stage, standing in for its
 * root filesystem): COPY from the build context (filtered by .dockerignore) or from an earlier
 * stage, RUN of the npm commands, ENV, WORKDIR. Then the runtime stage's folder is checked (no
 * devDependency, only the compiled code and the .avsc schemas) and its CMD is started against
 * the test broker, scraped and stopped with SIGTERM.
 *
 * Two departures from a real build, both stated where they happen: `npm ci` gets
 * `--prefer-offline` (reuse this machine's npm cache), and `npm cache clean --force` is skipped
 * (in an image it only trims the layer; here it would empty the machine's shared npm cache).
 * Any other instruction, flag or shell construct fails the test with a clear message.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, posix, relative } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createProducer } from "../../services/producer/index.ts";
import { testBrokers, uniqueTopic } from "../support/kafka.ts";
import { run } from "../support/runs.ts";
import { freePort, waitFor } from "../support/service.ts";

const CONTEXT = fileURLToPath(new URL("../../", import.meta.url));

// ---- Dockerfile --------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions in order: comments and parser directives dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  let startLine = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, "");
    const trimmed = raw.trim();
    if (pending === "" && (trimmed === "" || trimmed.startsWith("#"))) continue;
    if (pending !== "" && trimmed.startsWith("#")) continue; // comment inside a continuation
    if (pending === "") startLine = i + 1;
    if (trimmed.endsWith("\\")) {
      pending += `${trimmed.slice(0, -1).trimEnd()} `;
      continue;
    }
    const full = (pending + trimmed).trim();
    pending = "";
    const match = /^(\S+)\s*(.*)$/.exec(full);
    if (!match) throw new Error(`Dockerfile:${startLine}: cannot read "${full}"`);
    out.push({
      keyword: (match[1] as string).toUpperCase(),
      args: (match[2] as string).trim(),
      line: startLine,
    });
  }
  if (pending !== "") throw new Error("Dockerfile: ends inside a line continuation");
  return out;
}

// ---- .dockerignore -----------------------------------------------------------------------------

interface IgnoreRule {
  negated: boolean;
  pattern: string;
  regex: RegExp;
}

/** A .dockerignore pattern as a regular expression over slash-separated context paths. */
function ignoreRegex(pattern: string): RegExp {
  if (/[[\]\\]/.test(pattern))
    throw new Error(`.dockerignore: pattern "${pattern}" uses syntax this test does not implement`);
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*" && pattern[i + 1] === "*") {
      if (pattern[i + 2] === "/") {
        re += "(?:.*/)?";
        i += 2;
      } else {
        re += ".*";
        i += 1;
      }
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const negated = l.startsWith("!");
      const pattern = posix.normalize((negated ? l.slice(1) : l).trim()).replace(/^\/+|\/+$/g, "");
      return { negated, pattern, regex: ignoreRegex(pattern) };
    });
}

/** Docker's rule: the last pattern matching the path or one of its parent directories decides. */
function ignored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.split("/");
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let excluded = false;
  for (const rule of rules) {
    if (prefixes.some((p) => rule.regex.test(p))) excluded = !rule.negated;
  }
  return excluded;
}

/** Could a `!` pattern re-include something below the excluded directory `dir`? */
function mayReinclude(rules: readonly IgnoreRule[], dir: string): boolean {
  const depth = dir.split("/").length;
  return rules.some((r) => {
    if (!r.negated) return false;
    if (r.pattern.includes("**")) return true;
    const segments = r.pattern.split("/");
    if (segments.length <= depth) return false;
    return ignoreRegex(segments.slice(0, depth).join("/")).test(dir);
  });
}

/** Every file of the build context (slash-separated, relative to it) that .dockerignore keeps. */
function contextFiles(root: string, rules: readonly IgnoreRule[]): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!ignored(rules, path) || mayReinclude(rules, path)) walk(path);
      } else if (!ignored(rules, path)) files.push(path);
    }
  };
  walk("");
  return files.sort();
}

// ---- stages -------------------------------------------------------------------------------------

interface Stage {
  name: string | undefined;
  image: string;
  /** The folder standing in for the stage's root filesystem. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  expose: string[];
  cmd: string[] | undefined;
}

interface Build {
  stages: Stage[];
  /** What was done, step by step, for the report. */
  log: string[];
}

function words(args: string): string[] {
  if (/["'`$;|<>()]/.test(args.replace(/\$\{[A-Z_]+\}/g, ""))) {
    throw new Error(`unsupported quoting or shell syntax in "${args}"`);
  }
  return args.split(/\s+/).filter((w) => w !== "");
}

function inRoot(stage: Stage, path: string): string {
  const absolute = posix.isAbsolute(path) ? path : posix.join(stage.workdir, path);
  return join(stage.root, posix.normalize(absolute));
}

/** Sources of a COPY with a `*` in the last component only, resolved against `base`. */
function expand(base: string, source: string, where: string): string[] {
  const dir = posix.dirname(source);
  const last = posix.basename(source);
  if (dir.includes("*") || dir.includes("?"))
    throw new Error(`${where}: wildcard outside the last path component`);
  if (!last.includes("*") && !last.includes("?")) return [source];
  const re = ignoreRegex(last);
  const matches = existsSync(join(base, dir))
    ? readdirSync(join(base, dir))
        .filter((n) => re.test(n))
        .sort()
        .map((n) => posix.join(dir, n))
    : [];
  if (matches.length === 0) throw new Error(`${where}: no source matches ${source}`);
  return matches;
}

function copyFromContext(
  stage: Stage,
  sources: string[],
  dest: string,
  kept: readonly string[],
  where: string,
): string[] {
  const destIsDir = dest.endsWith("/") || sources.length > 1;
  const copied: string[] = [];
  for (const pattern of sources) {
    for (const source of expand(CONTEXT, posix.normalize(pattern).replace(/^\.\//, ""), where)) {
      const files = kept.filter((f) => f === source || f.startsWith(`${source}/`));
      if (files.length === 0)
        throw new Error(`${where}: ${source} is not in the build context (.dockerignore)`);
      const isDir = statSync(join(CONTEXT, source)).isDirectory();
      for (const file of files) {
        const target = isDir
          ? posix.join(dest, file.slice(source.length + 1))
          : destIsDir
            ? posix.join(dest, posix.basename(file))
            : dest;
        const to = inRoot(stage, target);
        mkdirSync(dirname(to), { recursive: true });
        cpSync(join(CONTEXT, file), to);
        copied.push(file);
      }
    }
  }
  return copied;
}

function copyFromStage(stage: Stage, from: Stage, sources: string[], dest: string, where: string): void {
  const destIsDir = dest.endsWith("/") || sources.length > 1;
  for (const pattern of sources) {
    if (!posix.isAbsolute(pattern)) throw new Error(`${where}: COPY --from with a relative source`);
    for (const source of expand(from.root, pattern, where)) {
      const src = join(from.root, source);
      if (!existsSync(src)) throw new Error(`${where}: ${source} does not exist in stage ${from.name}`);
      const target = statSync(src).isDirectory() || !destIsDir ? dest : posix.join(dest, basename(source));
      const to = inRoot(stage, target);
      mkdirSync(dirname(to), { recursive: true });
      cpSync(src, to, { recursive: true });
    }
  }
}

/** The RUN commands this Dockerfile uses, as they are run here. */
function runCommand(stage: Stage, command: string, where: string, log: string[]): void {
  const argv = words(command);
  const cwd = inRoot(stage, ".");
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...stage.env };
  const [tool, sub, ...rest] = argv;
  if (tool === "npm" && sub === "cache" && rest[0] === "clean") {
    log.push(
      `${where}: skipped "${command}" (would empty this machine's npm cache; trims only the image layer)`,
    );
    return;
  }
  let actual: string[];
  if (tool === "npm" && sub === "ci") actual = ["ci", ...rest, "--prefer-offline"];
  else if (tool === "npm" && sub === "run" && rest.length === 1) actual = ["run", ...rest];
  else throw new Error(`${where}: RUN ${command}: not a command this test knows how to carry out`);
  log.push(`${where}: npm ${actual.join(" ")} (in ${relative(stage.root, cwd) || "."})`);
  execFileSync("npm", actual, { cwd, env, stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });
}

function substitute(text: string, args: Record<string, string>, where: string): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_, a?: string, b?: string) => {
      const name = (a ?? b) as string;
      const value = args[name];
      if (value === undefined) throw new Error(`${where}: \${${name}} is not an ARG`);
      return value;
    },
  );
}

/** Carries out the Dockerfile's stages in `workspace/<stage>/`. */
function build(dockerfile: string, workspace: string): Build {
  const rules = parseDockerignore(readFileSync(join(CONTEXT, ".dockerignore"), "utf8"));
  const kept = contextFiles(CONTEXT, rules);
  const stages: Stage[] = [];
  const log: string[] = [`context: ${kept.length} files after .dockerignore`];
  const args: Record<string, string> = {};
  let stage: Stage | undefined;
  const current = (where: string): Stage => {
    if (!stage) throw new Error(`${where}: instruction before FROM`);
    return stage;
  };
  for (const ins of parseDockerfile(dockerfile)) {
    const where = `Dockerfile:${ins.line} ${ins.keyword}`;
    switch (ins.keyword) {
      case "ARG": {
        if (stage) throw new Error(`${where}: ARG inside a stage is not implemented`);
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?$/.exec(ins.args);
        if (!m) throw new Error(`${where}: cannot read "${ins.args}"`);
        args[m[1] as string] = m[2] ?? "";
        break;
      }
      case "FROM": {
        const [image, as, name, ...extra] = words(ins.args);
        if (
          image === undefined ||
          extra.length > 0 ||
          (as !== undefined && (as.toUpperCase() !== "AS" || !name))
        ) {
          throw new Error(`${where}: cannot read "${ins.args}"`);
        }
        const root = join(workspace, name ?? `stage-${stages.length}`);
        mkdirSync(root, { recursive: true });
        stage = {
          name,
          image: substitute(image, args, where),
          root,
          workdir: "/",
          env: {},
          user: undefined,
          expose: [],
          cmd: undefined,
        };
        stages.push(stage);
        log.push(`${where}: stage ${name ?? stages.length - 1} from ${stage.image} in ${root}`);
        break;
      }
      case "WORKDIR": {
        const s = current(where);
        s.workdir = posix.resolve(s.workdir, ins.args);
        mkdirSync(inRoot(s, "."), { recursive: true });
        break;
      }
      case "ENV": {
        const s = current(where);
        for (const pair of words(ins.args)) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(pair);
          if (!m) throw new Error(`${where}: only ENV key=value is implemented ("${ins.args}")`);
          s.env[m[1] as string] = m[2] as string;
        }
        break;
      }
      case "COPY": {
        const s = current(where);
        if (ins.args.startsWith("[")) throw new Error(`${where}: the JSON form of COPY is not implemented`);
        const parts = words(ins.args);
        let from: string | undefined;
        while (parts[0]?.startsWith("--")) {
          const flag = parts.shift() as string;
          const m = /^--from=(.+)$/.exec(flag);
          if (!m) throw new Error(`${where}: flag ${flag} is not implemented`);
          from = m[1];
        }
        const dest = parts.pop();
        if (dest === undefined || parts.length === 0)
          throw new Error(`${where}: needs sources and a destination`);
        if (from === undefined) {
          const copied = copyFromContext(s, parts, dest, kept, where);
          log.push(`${where}: ${copied.length} files from the context to ${dest}`);
        } else {
          const source = stages.find((x) => x.name === from);
          if (!source) throw new Error(`${where}: no earlier stage named ${from}`);
          copyFromStage(s, source, parts, dest, where);
          log.push(`${where}: ${parts.join(" ")} from stage ${from} to ${dest}`);
        }
        break;
      }
      case "RUN": {
        const s = current(where);
        if (ins.args.startsWith("[")) throw new Error(`${where}: the JSON form of RUN is not implemented`);
        if (/\|\||;|\||`|\$\(/.test(ins.args))
          throw new Error(`${where}: only commands joined by && are implemented`);
        for (const command of ins.args.split("&&")) runCommand(s, command.trim(), where, log);
        break;
      }
      case "USER":
        current(where).user = ins.args;
        break;
      case "EXPOSE":
        current(where).expose.push(...words(ins.args));
        break;
      case "CMD": {
        let cmd: unknown;
        try {
          cmd = JSON.parse(ins.args);
        } catch {
          throw new Error(
            `${where}: only the exec (JSON) form is accepted: node must be PID 1 to get SIGTERM`,
          );
        }
        if (
          !Array.isArray(cmd) ||
          !cmd.every((c): c is string => typeof c === "string") ||
          cmd.length === 0
        ) {
          throw new Error(`${where}: not a list of strings`);
        }
        current(where).cmd = cmd;
        break;
      }
      default:
        throw new Error(`${where}: instruction ${ins.keyword} is not implemented by this test`);
    }
  }
  return { stages, log };
}

// ---- checks -------------------------------------------------------------------------------------

/** Names of every package installed anywhere under node_modules (nested ones included). */
function installedPackages(nodeModules: string): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      if (entry.name.startsWith("@")) {
        for (const scoped of readdirSync(join(dir, entry.name), { withFileTypes: true })) {
          if (!scoped.isDirectory()) continue;
          names.add(`${entry.name}/${scoped.name}`);
          walk(join(dir, entry.name, scoped.name, "node_modules"));
        }
      } else {
        names.add(entry.name);
        walk(join(dir, entry.name, "node_modules"));
      }
    }
  };
  walk(nodeModules);
  return names;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

// ---- the test -----------------------------------------------------------------------------------

describe("the Dockerfile's build, carried out without a container engine", { timeout: 300_000 }, () => {
  const workspace = mkdtempSync(join(tmpdir(), "kymaros-image-"));
  const pkg = JSON.parse(readFileSync(join(CONTEXT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  let result: Build | undefined;
  let child: ChildProcess | undefined;

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exitOf(child);
    }
    rmSync(workspace, { recursive: true, force: true });
  });

  const runtime = (): Stage => {
    const last = result?.stages.at(-1);
    assert.ok(last, "the Dockerfile has no stage");
    return last;
  };

  test("the parser reads continuations and refuses what it does not know", () => {
    assert.deepEqual(parseDockerfile('# c\nRUN a \\\n  # inner\n  b\nCMD ["x"]\n'), [
      { keyword: "RUN", args: "a b", line: 2 },
      { keyword: "CMD", args: '["x"]', line: 5 },
    ]);
    assert.throws(() => build("FROM x AS a\nHEALTHCHECK CMD true\n", join(workspace, "bad")), /HEALTHCHECK/);
    assert.throws(() => build("FROM x AS a\nRUN curl http://example\n", join(workspace, "bad")), /curl/);
    assert.throws(() => build("FROM x AS a\nCOPY --chown=1:1 a b\n", join(workspace, "bad")), /--chown/);
    const rules = parseDockerignore(readFileSync(join(CONTEXT, ".dockerignore"), "utf8"));
    assert.equal(ignored(rules, "services/api/main.ts"), false);
    assert.equal(ignored(rules, "services/api/core/core.test.ts"), true);
    assert.equal(ignored(rules, "test/unit/core.test.ts"), true);
    assert.equal(ignored(rules, "node_modules/kafkajs/index.js"), true);
    assert.equal(ignored(rules, "schemas/vectors/x.json"), false);
    assert.equal(ignored(rules, "package.json"), false);
    assert.equal(ignored(rules, "Dockerfile"), true);
  });

  test("every stage builds: npm ci + npm run build, then npm ci --omit=dev with dist and schemas", (t) => {
    result = build(readFileSync(join(CONTEXT, "Dockerfile"), "utf8"), join(workspace, "stages"));
    for (const line of result.log) t.diagnostic(line);
    assert.deepEqual(
      result.stages.map((s) => s.name),
      ["build", "runtime"],
    );
    assert.ok(existsSync(join(workspace, "stages", "build", "app", "dist", "services", "api", "main.js")));
  });

  test("the runtime stage holds production dependencies, the compiled code and the .avsc files only", (t) => {
    const s = runtime();
    const app = inRoot(s, ".");
    assert.equal(s.workdir, "/app");
    assert.deepEqual(readdirSync(app).sort(), [
      "dist",
      "node_modules",
      "package-lock.json",
      "package.json",
      "schemas",
    ]);
    const installed = installedPackages(join(app, "node_modules"));
    // What npm marks dev-only in the lock file: a devDependency that a production dependency
    // also needs (@types/node, for @kubernetes/client-node) is rightly installed.
    const lock = JSON.parse(readFileSync(join(CONTEXT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => entry.dev === true && /^node_modules\/(?!.*\/node_modules\/)/.test(path))
      .map(([path]) => path.slice("node_modules/".length));
    for (const tool of ["typescript", "tsx", "@biomejs/biome", "fast-check"]) {
      assert.ok(devOnly.includes(tool), `${tool} is not dev-only in the lock file`);
    }
    for (const dev of devOnly) {
      assert.ok(!installed.has(dev), `dev-only package ${dev} is installed in the runtime stage`);
    }
    for (const dep of Object.keys(pkg.dependencies))
      assert.ok(installed.has(dep), `dependency ${dep} missing`);
    const schemas = readdirSync(join(CONTEXT, "schemas")).filter((f) => f.endsWith(".avsc"));
    assert.ok(schemas.length >= 2);
    assert.deepEqual(readdirSync(join(app, "schemas")).sort(), schemas.sort());
    for (const f of schemas) {
      assert.equal(
        readFileSync(join(app, "schemas", f), "utf8"),
        readFileSync(join(CONTEXT, "schemas", f), "utf8"),
      );
    }
    const dist = filesUnder(join(app, "dist"));
    assert.ok(dist.includes(join("services", "api", "main.js")));
    assert.deepEqual(
      dist.filter((f) => !f.startsWith(`services${"/"}`)),
      [],
      "dist holds only services/",
    );
    assert.deepEqual(
      dist.filter((f) => /\.test\.|\.ts$/.test(f) && !f.endsWith(".d.ts")),
      [],
    );
    assert.equal(s.env.NODE_ENV, "production");
    assert.equal(s.user, "10001:10001");
    assert.deepEqual(s.expose, ["8080"]);
    const size = execFileSync("du", ["-sk", app], { encoding: "utf8" }).split("\t")[0];
    const modules = execFileSync("du", ["-sk", join(app, "node_modules")], { encoding: "utf8" }).split(
      "\t",
    )[0];
    t.diagnostic(`runtime folder: ${size} KiB (node_modules ${modules} KiB), ${installed.size} packages`);
  });

  test("its CMD serves /metrics and /readyz from the broker's runs and exits 0 on SIGTERM", async () => {
    const s = runtime();
    assert.deepEqual(s.cmd, ["node", "dist/services/api/main.js"]);
    const [command, ...cmdArgs] = s.cmd as string[];
    const topic = uniqueTopic("image");
    const port = await freePort();
    let output = "";
    child = spawn(command as string, cmdArgs, {
      cwd: inRoot(s, "."),
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        ...s.env,
        KYMAROS_KAFKA_BROKERS: testBrokers().join(","),
        KYMAROS_TOPIC: topic,
        KYMAROS_DLQ_TOPIC: `${topic}.dlq`,
        KYMAROS_GROUP_ID: `${topic}.group`,
        KYMAROS_PORT: String(port),
        KYMAROS_HOST: "127.0.0.1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const proc = child;
    const exited = exitOf(proc);
    const url = `http://127.0.0.1:${port}`;
    const explain = (what: string) => `${what}\n${output.slice(-4000)}`;

    await waitFor(explain("/readyz 200"), async () =>
      (await fetch(`${url}/readyz`)).status === 200 ? true : undefined,
    );
    assert.equal((await fetch(`${url}/healthz`)).status, 200);

    const producer = createProducer({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic });
    try {
      await producer.publish(run({ runId: "image-1", test: "image-build", score: 83, rtoSeconds: 120.5 }));
    } finally {
      await producer.close();
    }
    const text = await waitFor(explain("the published run on /metrics"), async () => {
      const res = await fetch(`${url}/metrics`);
      const body = await res.text();
      return res.status === 200 && body.includes('kymaros_score{test="image-build"} 83') ? body : undefined;
    });
    assert.match(text, /^kymaros_rto_seconds\{test="image-build"\} 120\.5$/m);
    assert.match(text, /^kymaros_tests_total\{test="image-build",result="pass"\} 1$/m);
    assert.match(text, /^# TYPE kymaros_test_duration_seconds histogram$/m);

    proc.kill("SIGTERM");
    assert.equal(await exited, 0, explain("exit code after SIGTERM"));
  });
});
