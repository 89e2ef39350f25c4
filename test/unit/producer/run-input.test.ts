import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { RunCompleted } from "../../../services/contract/index.ts";
import { MIN_PLAUSIBLE_EPOCH_MS } from "../../../services/kymaros/rfc3339.ts";
import { judged } from "../../../services/producer/cli/common.ts";
import { InputError } from "../../../services/producer/errors.ts";
import { prepare } from "../../../services/producer/prepare.ts";
import type { RunInput } from "../../../services/producer/run-fields.ts";
import {
  flagName,
  flagQuoting,
  jsonQuoting,
  type Quoting,
  quoteRefusal,
  runFromFlags,
  runFromJson,
  runToJsonLine,
} from "../../../services/producer/run-input.ts";

/** What the CLIs do with a parsed record: the SDK's prepare, its refusal quoted as given. */
function checkPublishable(input: RunInput, quoting?: Quoting): void {
  judged(() => prepare(input), quoting && ((refusal) => quoteRefusal(refusal, input, quoting)));
}

const run: RunCompleted = {
  runId: "my-app-nightly-20261126-030000",
  test: "my-app-nightly",
  namespace: "shop",
  result: "pass",
  score: 97,
  startedAt: 1795662000000, // 2026-11-26T03:00:00Z
  completedAt: 1795662850000, // 03:14:10Z
  rtoSeconds: 695,
  backupName: "velero-daily-20261126",
  backupCreatedAt: 1795654800000, // 01:00:00Z
  rtoTargetSeconds: 900,
  cluster: null,
};

function fieldOf(make: () => unknown): string | undefined {
  try {
    make();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err.field;
  }
}

describe("runFromJson (one NDJSON line)", () => {
  test("reads RFC 3339 and epoch-millisecond timestamps alike", () => {
    assert.deepEqual(
      runFromJson({
        ...run,
        startedAt: "2026-11-26T03:00:00Z",
        completedAt: "2026-11-26T04:14:10+01:00",
        backupCreatedAt: "1795654800000",
      }),
      run,
    );
    assert.deepEqual(runFromJson(run), run);
  });

  test("optional fields default to null; result letter case does not matter", () => {
    const { runId, test, namespace, score, startedAt, completedAt } = run;
    assert.deepEqual(
      runFromJson({ runId, test, namespace, result: "Partial", score, startedAt, completedAt }),
      {
        runId,
        test,
        namespace,
        result: "partial",
        score,
        startedAt,
        completedAt,
        rtoSeconds: null,
        backupName: null,
        backupCreatedAt: null,
        rtoTargetSeconds: null,
        cluster: null,
      },
    );
  });

  test("names the field at fault", () => {
    const without = (field: keyof RunCompleted) => {
      const copy: Record<string, unknown> = { ...run };
      delete copy[field];
      return copy;
    };
    assert.equal(
      fieldOf(() => runFromJson(without("runId"))),
      "runId",
    );
    assert.equal(
      fieldOf(() => runFromJson(without("completedAt"))),
      "completedAt",
    );
    assert.equal(
      fieldOf(() => runFromJson({ ...run, score: "97" })),
      "score",
    );
    assert.equal(
      fieldOf(() => runFromJson({ ...run, score: 97.5 })),
      "score",
    );
    assert.equal(
      fieldOf(() => runFromJson({ ...run, result: "ok" })),
      "result",
    );
    assert.equal(
      fieldOf(() => runFromJson({ ...run, test: 42 })),
      "test",
    );
    assert.equal(
      fieldOf(() => runFromJson({ ...run, startedAt: "yesterday" })),
      "startedAt",
    );
    assert.equal(
      fieldOf(() => runFromJson({ ...run, startedAt: 1795662000 })),
      "startedAt",
    ); // seconds
    assert.equal(
      fieldOf(() => runFromJson({ ...run, rtoSeconds: "695" })),
      "rtoSeconds",
    );
    assert.equal(
      fieldOf(() => runFromJson({ ...run, rto_seconds: 695 })),
      "rto_seconds",
    );
    assert.equal(
      fieldOf(() => runFromJson([run])),
      "(record)",
    );
    assert.equal(
      fieldOf(() => runFromJson(null)),
      "(record)",
    );
  });

  test("runToJsonLine writes what runFromJson reads", () => {
    const line = runToJsonLine({ ...run, cluster: "prod-eu-1" });
    assert.match(line, /"startedAt":"2026-11-26T03:00:00.000Z"/);
    assert.deepEqual(runFromJson(JSON.parse(line)), { ...run, cluster: "prod-eu-1" });
  });
});

describe("a run without startedAt", () => {
  test("is read from flags and NDJSON as a run whose start is not known", () => {
    const { startedAt: _s, ...line } = JSON.parse(runToJsonLine(run)) as Record<string, unknown>;
    assert.equal(runFromJson(line).startedAt, null);
    assert.equal(runFromJson({ ...line, startedAt: null }).startedAt, null);
    assert.equal(runToJsonLine(runFromJson(line)), runToJsonLine({ ...run, startedAt: null }));
  });
});

describe("runFromFlags", () => {
  const flags = {
    runId: run.runId,
    test: run.test,
    namespace: run.namespace,
    result: "PASS",
    score: "97",
    startedAt: "2026-11-26T03:00:00Z",
    completedAt: "1795662850000",
    rtoSeconds: "695",
    backupName: run.backupName ?? undefined,
    backupCreatedAt: "2026-11-26T01:00:00Z",
    rtoTargetSeconds: "900.0",
  };

  test("reads every field from its flag's text", () => {
    assert.deepEqual(runFromFlags(flags), run);
    assert.equal(runFromFlags({ ...flags, rtoSeconds: "0.25" }).rtoSeconds, 0.25);
  });

  test("errors say which flag", () => {
    assert.throws(() => runFromFlags({ ...flags, score: "high" }), {
      message: '--score="high" is not an integer',
    });
    assert.throws(() => runFromFlags({ ...flags, completedAt: undefined }), {
      message: "--completed-at is missing",
    });
    assert.equal(
      fieldOf(() => runFromFlags({ ...flags, rtoSeconds: "1e3" })),
      "rtoSeconds",
    );
    assert.equal(
      fieldOf(() => runFromFlags({ ...flags, completedAt: "2026-11-26" })),
      "completedAt",
    );
  });

  test("flag names are the kebab-case field names", () => {
    assert.equal(flagName("runId"), "run-id");
    assert.equal(flagName("rtoTargetSeconds"), "rto-target-seconds");
    assert.equal(flagName("test"), "test");
  });
});

describe("refusals quote the input as given", () => {
  const flags = { runId: run.runId, test: run.test, namespace: run.namespace, result: "pass", score: "97" };
  /** A time as a user may give it: RFC 3339 in UTC or at an offset, or epoch milliseconds. */
  const given = fc
    .tuple(
      // From where epoch milliseconds stop looking like epoch seconds (refused as such).
      fc.integer({ min: MIN_PLAUSIBLE_EPOCH_MS, max: Date.UTC(9998, 0, 1) }),
      fc.constantFrom("epoch", "utc", "offset"),
    )
    .map(([ms, form]) => {
      const iso = new Date(ms).toISOString();
      if (form === "epoch") return { ms, text: String(ms), shown: `${ms} (${iso})` };
      if (form === "utc") return { ms, text: iso, shown: iso };
      // The same instant two hours east of UTC, written by hand.
      const east = new Date(ms + 2 * 3_600_000).toISOString().replace("Z", "+02:00");
      return { ms, text: east, shown: east };
    });

  test("completedAt before startedAt names both flags with the text typed", () => {
    fc.assert(
      fc.property(given, given, (a, b) => {
        fc.pre(a.ms !== b.ms);
        const [completed, started] = a.ms < b.ms ? [a, b] : [b, a];
        const typed = { ...flags, startedAt: started.text, completedAt: completed.text };
        assert.throws(() => checkPublishable(runFromFlags(typed), flagQuoting(typed)), {
          message: `--completed-at ${completed.shown} is before --started-at ${started.shown}`,
        });
      }),
    );
  });

  test("in NDJSON, the JSON values as written", () => {
    const record = {
      ...JSON.parse(runToJsonLine(run)),
      startedAt: 1795662000000,
      completedAt: "2026-11-26T02:00:00Z",
    };
    assert.throws(() => checkPublishable(runFromJson(record), jsonQuoting(record)), {
      message:
        'completedAt "2026-11-26T02:00:00Z" is before startedAt 1795662000000 (2026-11-26T03:00:00.000Z)',
    });
  });

  test("without quoting, the contract's own message", () => {
    assert.throws(() => checkPublishable({ ...run, score: 101 }), {
      message: "score=101 is outside 0..100",
    });
  });
});
