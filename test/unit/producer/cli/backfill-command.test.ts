/** kymaros-backfill's flags as a plan: one mode per run, with no I/O. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseBackfillArgs } from "../../../../services/producer/cli/backfill-command.ts";
import { UsageError } from "../../../../services/producer/cli/common.ts";

function usage(argv: string[], tty = {}): string {
  try {
    parseBackfillArgs(argv, tty);
  } catch (err) {
    assert.ok(err instanceof UsageError || err instanceof TypeError, String(err));
    return err.message;
  }
  assert.fail(`expected ${argv.join(" ")} to be refused`);
}

const base = { file: "-", cluster: null, schemaVersion: undefined, progress: false, verbose: false };

describe("parseBackfillArgs", () => {
  test("one mode for each combination of --prune and --dry-run", () => {
    assert.deepEqual(parseBackfillArgs([]), { mode: "publish", ...base, tests: undefined });
    assert.deepEqual(parseBackfillArgs(["--dry-run", "--file", "r.json"]), {
      mode: "print",
      ...base,
      file: "r.json",
      tests: undefined,
    });
    assert.deepEqual(parseBackfillArgs(["--prune", "--tests", "t.json"]), {
      mode: "prune",
      ...base,
      tests: "t.json",
    });
    assert.deepEqual(
      parseBackfillArgs([
        "--prune",
        "--tests",
        "t.json",
        "--dry-run",
        "--retired-at",
        "2026-11-26T03:00:00Z",
      ]),
      { mode: "print-prunable", ...base, tests: "t.json", retiredAt: Date.UTC(2026, 10, 26, 3) },
    );
    assert.deepEqual(parseBackfillArgs(["-h", "--prune"]), { mode: "help" });
  });

  test("cluster, schema version, progress and verbosity are carried", () => {
    const plan = parseBackfillArgs(["--cluster", "prod", "--schema-version", "2", "-v"], { stderr: true });
    assert.deepEqual(plan, {
      mode: "publish",
      ...base,
      cluster: "prod",
      schemaVersion: 2,
      progress: true,
      verbose: true,
      tests: undefined,
    });
  });

  test("flag rules are usage errors naming the flags", () => {
    assert.equal(usage(["--tests", "t.json"]), "--tests goes with --prune");
    assert.equal(usage(["--retired-at", "2026-11-26T03:00:00Z"]), "--retired-at goes with --prune");
    assert.match(usage(["--prune"]), /^--prune needs --tests/);
    assert.match(usage(["--cluster", "c", "--schema-version", "1"]), /^--cluster needs schema version 2/);
    assert.match(usage(["--prune", "--tests", "t.json", "--retired-at", "soon"]), /^--retired-at: /);
    assert.match(usage([], { stdin: true }), /^give --file, or pipe/);
    assert.equal(parseBackfillArgs(["--file", "r.json"], { stdin: true }).mode, "publish");
  });
});
