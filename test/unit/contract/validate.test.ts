/** validateRun: every reason with the field it names, and the values on each side of every boundary. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type RunCompleted,
  ValidationError,
  type ValidationReason,
  validateRun,
} from "../../../services/contract/index.ts";

// The boundaries, computed here rather than imported.
const LAST_MS_OF_9999 = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const ONE_YEAR_S = 365 * 86_400;

const ok: RunCompleted = {
  runId: "my-app-nightly-20261126-030000",
  test: "my-app-nightly",
  namespace: "kymaros-system",
  result: "pass",
  score: 90,
  startedAt: Date.UTC(2026, 10, 26, 3),
  completedAt: Date.UTC(2026, 10, 26, 3, 20),
  rtoSeconds: 600,
  backupName: "velero-daily",
  backupCreatedAt: Date.UTC(2026, 10, 26, 1),
  rtoTargetSeconds: 900,
  cluster: "prod",
};

function rejects(patch: Partial<RunCompleted>, reason: ValidationReason, field: string): void {
  const run = { ...ok, ...patch };
  assert.throws(
    () => validateRun(run),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
      assert.equal(err.reason, reason, `${JSON.stringify(patch)}: ${err.message}`);
      assert.equal(err.field, field);
      return true;
    },
    `${JSON.stringify(patch)} should be rejected`,
  );
}

function accepts(patch: Partial<RunCompleted>): void {
  assert.doesNotThrow(() => validateRun({ ...ok, ...patch }), `${JSON.stringify(patch)} should be accepted`);
}

describe("validateRun", () => {
  test("a typical run and one with every optional null are valid", () => {
    accepts({});
    accepts({
      rtoSeconds: null,
      backupName: null,
      backupCreatedAt: null,
      rtoTargetSeconds: null,
      cluster: null,
    });
  });

  test("empty_run_id and empty_test", () => {
    rejects({ runId: "" }, "empty_run_id", "runId");
    rejects({ test: "" }, "empty_test", "test");
    accepts({ runId: "x", test: "y" });
    accepts({ namespace: "", backupName: "", cluster: "" });
  });

  test("score_out_of_range: 0 and 100 accepted; -1, 101, fractions and non-numbers rejected", () => {
    accepts({ score: 0 });
    accepts({ score: 100 });
    for (const score of [-1, 101, 1.5, 99.999, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      rejects({ score }, "score_out_of_range", "score");
    }
  });

  test("timestamp_out_of_range: 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z, integers only", () => {
    assert.equal(LAST_MS_OF_9999, 253402300799999);
    accepts({ startedAt: 0, completedAt: 0, backupCreatedAt: 0 });
    accepts({ startedAt: LAST_MS_OF_9999, completedAt: LAST_MS_OF_9999, backupCreatedAt: LAST_MS_OF_9999 });
    for (const bad of [-1, LAST_MS_OF_9999 + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      rejects({ startedAt: bad, completedAt: LAST_MS_OF_9999 }, "timestamp_out_of_range", "startedAt");
      rejects({ startedAt: 0, completedAt: bad }, "timestamp_out_of_range", "completedAt");
      rejects({ backupCreatedAt: bad }, "timestamp_out_of_range", "backupCreatedAt");
    }
    // Seconds instead of milliseconds still look valid (1970); microseconds do not.
    rejects(
      { startedAt: ok.startedAt * 1000, completedAt: ok.completedAt * 1000 },
      "timestamp_out_of_range",
      "startedAt",
    );
  });

  test("completed_before_started: equal accepted, one millisecond earlier rejected", () => {
    accepts({ completedAt: ok.startedAt });
    rejects({ completedAt: ok.startedAt - 1 }, "completed_before_started", "completedAt");
  });

  test("a start that is not known: startedAt is any bound up to completedAt, never after it", () => {
    const unknown = { startedAtKnown: false };
    // The bridge's bound is completedAt itself; an earlier bound is no less valid.
    accepts({ ...unknown, startedAt: ok.completedAt });
    accepts({ ...unknown, completedAt: ok.startedAt + 3_600_000 });
    rejects({ ...unknown, completedAt: ok.startedAt - 1 }, "completed_before_started", "completedAt");
    accepts({ startedAtKnown: true });
  });

  test("invalid_number: rtoSeconds and rtoTargetSeconds in 0..one year of seconds, finite", () => {
    for (const field of ["rtoSeconds", "rtoTargetSeconds"] as const) {
      accepts({ [field]: 0 });
      accepts({ [field]: ONE_YEAR_S });
      accepts({ [field]: 5e-324 });
      for (const bad of [-1e-9, -1, ONE_YEAR_S + 0.001, Number.NaN, Number.POSITIVE_INFINITY, -Infinity]) {
        rejects({ [field]: bad }, "invalid_number", field);
      }
    }
  });

  test("oversized_field: runId up to 512, the names up to 253 characters", () => {
    accepts({ runId: "r".repeat(512) });
    rejects({ runId: "r".repeat(513) }, "oversized_field", "runId");
    for (const field of ["test", "namespace", "backupName", "cluster"] as const) {
      accepts({ [field]: "n".repeat(253) });
      rejects({ [field]: "n".repeat(254) }, "oversized_field", field);
    }
  });

  test("only the first field at fault is reported", () => {
    rejects({ runId: "", test: "", score: 500 }, "empty_run_id", "runId");
    rejects({ test: "", score: 500 }, "empty_test", "test");
    rejects({ score: 500, startedAt: -1 }, "score_out_of_range", "score");
    rejects({ startedAt: -1, completedAt: -2 }, "timestamp_out_of_range", "startedAt");
  });

  test("errors are ValidationError instances with a message naming the field", () => {
    try {
      validateRun({ ...ok, score: 101 });
      assert.fail("should have thrown");
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      assert.ok(err instanceof Error);
      assert.equal(err.name, "ValidationError");
      assert.match(err.message, /score/);
    }
  });
});
