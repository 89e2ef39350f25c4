/**
 * The process scaffolding of both services, without a process: signals come from an emitter,
 * the exit and the deadline timer are recorded instead of taken.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { ConfigError } from "../../../services/config/errors.ts";
import { createLogger } from "../../../services/log/logger.ts";
import { EXIT, type ExitCode } from "../../../services/process/exit-codes.ts";
import {
  exitOnConfigError,
  onSignals,
  reportStartFailure,
  SHUTDOWN_DEADLINE_MS,
  watchReadiness,
} from "../../../services/process/lifecycle.ts";

function recorder() {
  const exits: ExitCode[] = [];
  const lines: string[] = [];
  return {
    exits,
    lines,
    exit: (code: ExitCode) => void exits.push(code),
    write: (line: string) => void lines.push(line),
    logger: createLogger("debug", (line) => lines.push(line)),
    messages: () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
  };
}

test("a configuration error is one line naming the setting, and exit 2; other errors pass through", () => {
  const r = recorder();
  assert.equal(
    exitOnConfigError("kymaros-x", () => 7, r.exit, r.write),
    7,
  );
  assert.deepEqual(r.exits, []);
  assert.throws(() =>
    exitOnConfigError(
      "kymaros-x",
      () => {
        throw new ConfigError("KYMAROS_PORT", "must be a number");
      },
      r.exit,
      r.write,
    ),
  );
  assert.deepEqual(r.exits, [EXIT.config]);
  assert.deepEqual(r.lines, ["kymaros-x: configuration error: KYMAROS_PORT: must be a number\n"]);
  assert.throws(
    () =>
      exitOnConfigError(
        "kymaros-x",
        () => {
          throw new Error("bug");
        },
        r.exit,
        r.write,
      ),
    /bug/,
  );
  assert.deepEqual(r.exits, [EXIT.config], "no exit for an error that is not about configuration");
});

test("a failed start is one JSON log line and exit 1; a late configuration error still exits 2", () => {
  const r = recorder();
  reportStartFailure("kymaros-x", new Error("broker gone"), r.exit, r.write);
  assert.deepEqual(r.exits, [EXIT.failed]);
  assert.equal(r.lines.length, 1);
  const record = JSON.parse(r.lines[0] as string) as Record<string, unknown>;
  assert.equal(record.level, "error");
  assert.equal(record.msg, "start failed");
  assert.equal(record.error, "Error: broker gone");
  assert.ok(!Number.isNaN(Date.parse(String(record.time))));

  reportStartFailure("kymaros-x", new ConfigError("KYMAROS_TOTAL_SHARDS", "too many"), r.exit, r.write);
  assert.deepEqual(r.exits, [EXIT.failed, EXIT.config]);
  assert.equal(r.lines[1], "kymaros-x: configuration error: KYMAROS_TOTAL_SHARDS: too many\n");
});

test("SIGTERM stops once, within the shared deadline, and exits 0; a failing shutdown exits 1", async () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const r = recorder();
    const signals = new EventEmitter();
    const armed: number[] = [];
    let shutdowns = 0;
    const lifecycle = onSignals(
      async () => {
        shutdowns += 1;
      },
      { logger: r.logger, exit: r.exit, signals, arm: (_fire, ms) => void armed.push(ms) },
    );
    assert.equal(lifecycle.stopping, false);
    signals.emit(signal);
    assert.equal(lifecycle.stopping, true);
    await lifecycle.stop("again", EXIT.failed);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(shutdowns, 1);
    assert.deepEqual(r.exits, [EXIT.ok]);
    assert.deepEqual(armed, [SHUTDOWN_DEADLINE_MS]);
    assert.deepEqual(r.messages(), ["shutting down", "stopped"]);
  }

  const r = recorder();
  const lifecycle = onSignals(
    async () => {
      throw new Error("close failed");
    },
    { logger: r.logger, exit: r.exit, signals: new EventEmitter(), arm: () => {} },
  );
  await lifecycle.stop("fatal", EXIT.ok);
  assert.deepEqual(r.exits, [EXIT.failed]);
  assert.deepEqual(r.messages(), ["shutting down", "error during shutdown", "stopped"]);
});

test("a shutdown that outlives the deadline exits 1", async () => {
  const r = recorder();
  let fire = () => {};
  const lifecycle = onSignals(() => new Promise<void>(() => {}), {
    logger: r.logger,
    exit: r.exit,
    signals: new EventEmitter(),
    deadlineMs: 50,
    arm: (onDeadline, ms) => {
      assert.equal(ms, 50);
      fire = onDeadline;
    },
  });
  void lifecycle.stop("SIGTERM", EXIT.ok);
  assert.deepEqual(r.exits, []);
  fire();
  assert.deepEqual(r.exits, [EXIT.failed]);
  assert.deepEqual(r.messages(), ["shutting down", "shutdown took too long; exiting"]);
});

test("the ready gauge follows the readiness", async () => {
  let reason: string | null = "starting";
  const values: number[] = [];
  const timer = watchReadiness({ notReadyReason: () => reason }, { set: (v) => values.push(v) }, 1);
  try {
    while (values.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    reason = null;
    while (values.at(-1) !== 1) await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(values[0], 0);
  } finally {
    clearInterval(timer);
  }
});
