/** kymaros-publish's flags as a plan: the flag rules, with no I/O and no producer. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UsageError } from "../../../../services/producer/cli/common.ts";
import { parsePublishArgs } from "../../../../services/producer/cli/publish-command.ts";

const RUN = [
  "--run-id",
  "r-1",
  "--test",
  "t",
  "--namespace",
  "n",
  "--result",
  "pass",
  "--score",
  "97",
  "--completed-at",
  "2026-11-26T03:14:10Z",
];

function usage(argv: string[]): string {
  try {
    parsePublishArgs(argv);
  } catch (err) {
    assert.ok(err instanceof UsageError || err instanceof TypeError, String(err));
    return err.message;
  }
  assert.fail(`expected ${argv.join(" ")} to be refused`);
}

describe("parsePublishArgs", () => {
  test("help, a file, or one run", () => {
    assert.deepEqual(parsePublishArgs(["-h"]), { mode: "help" });
    const file = parsePublishArgs(["--file", "-", "--schema-version", "1"], true);
    assert.deepEqual(file, {
      mode: "file",
      file: "-",
      options: { schemaVersion: 1, progress: true, verbose: false },
    });
    const one = parsePublishArgs([...RUN, "--started-at", "2026-11-26T03:00:00Z", "-v"]);
    assert.equal(one.mode, "one");
    assert.ok(one.mode === "one");
    assert.equal(one.run.startedAt, Date.UTC(2026, 10, 26, 3));
    assert.deepEqual(one.options, { schemaVersion: undefined, progress: false, verbose: true });
  });

  test("a run without --started-at is a run whose start is not known", () => {
    const one = parsePublishArgs(RUN);
    assert.ok(one.mode === "one");
    assert.equal(one.run.startedAt, null);
  });

  test("--retire takes the retirement flags only", () => {
    assert.deepEqual(parsePublishArgs(["--retire", "--test", "t", "--namespace", "n", "--reason", "gone"]), {
      mode: "retire",
      flags: {
        test: "t",
        namespace: "n",
        cluster: undefined,
        retiredAt: undefined,
        reason: "gone",
        file: undefined,
      },
    });
    assert.equal(
      usage(["--retire", "--test", "t", "--score", "3"]),
      "--retire and --score do not go together",
    );
    assert.equal(
      usage(["--retire", "--file", "-", "--schema-version", "2"]),
      "--retire and --schema-version do not go together",
    );
  });

  test("conflicting or missing flags are usage errors naming them", () => {
    assert.equal(usage(["--reason", "x", ...RUN]), "--reason goes with --retire");
    assert.equal(usage(["--file", "-", "--test", "t"]), "--file and --test do not go together");
    assert.equal(usage([]), "give a run with --run-id, --test, ... or NDJSON with --file");
    assert.equal(
      usage(["--schema-version", "4", "--file", "-"]),
      '--schema-version must be 1, 2 or 3, not "4"',
    );
    assert.match(usage(["--nope"]), /Unknown option '--nope'/);
  });

  test("a value the contract refuses is named by its flag, as typed", () => {
    assert.equal(
      usage([...RUN, "--started-at", "2026-11-26T04:00:00Z"]),
      "--completed-at 2026-11-26T03:14:10Z is before --started-at 2026-11-26T04:00:00Z",
    );
    assert.match(usage([...RUN, "--cluster", "c", "--schema-version", "1"]), /^--cluster: cluster is set/);
  });
});
