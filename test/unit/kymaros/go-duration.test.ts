import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseGoDuration, parseGoDurationNanos } from "../../../services/kymaros/go-duration.ts";
import { InputError } from "../../../services/producer/errors.ts";

describe("parseGoDuration", () => {
  const valid: [string, number][] = [
    ["11m35s", 695_000],
    ["1h2m3.5s", 3_723_500],
    ["250ms", 250],
    ["0", 0],
    ["0s", 0],
    ["-0", 0],
    ["+5s", 5000],
    ["-1.5s", -1500],
    ["1h", 3_600_000],
    ["2h45m", 9_900_000],
    ["90m", 5_400_000],
    [".5s", 500],
    ["1.s", 1000],
    ["1.5h", 5_400_000],
    ["1h0m0s", 3_600_000],
    ["2m0.123456789s", 120_123],
    ["1ms999us", 2], // 1.999 ms rounds up
    ["1500us", 2], // 1.5 ms: halves away from zero
    ["1499999ns", 1],
    ["1500000ns", 2],
    ["499us", 0],
    ["3µs", 0], // U+00B5 MICRO SIGN
    ["3000μs", 3], // U+03BC GREEK SMALL LETTER MU
    ["1s1s", 2000], // Go accepts repeated units
    ["0.000000001s", 0],
    ["2562047h47m16.854775807s", 9_223_372_036_855],
  ];
  for (const [text, ms] of valid) {
    test(`"${text}" is ${ms} ms`, () => assert.equal(parseGoDuration(text), ms));
  }

  test("keeps nanoseconds exact before rounding", () => {
    assert.equal(parseGoDurationNanos("1h2m3.5s"), 3_723_500_000_000n);
    assert.equal(parseGoDurationNanos("0.1s"), 100_000_000n);
    assert.equal(parseGoDurationNanos("1.0000000005s"), 1_000_000_000n); // below 1 ns: truncated, as Go does
    assert.equal(parseGoDurationNanos("1.23456789012ms"), 1_234_567n);
  });

  const invalid = [
    "",
    "1",
    "10",
    "00",
    "s",
    ".s",
    ".",
    "-",
    "+",
    "1x",
    "1H",
    "1S",
    "1h 2m",
    " 1h",
    "1h ",
    "1h-2m",
    "1e3s",
    "1.2.3s",
    "1m1",
    "NaN",
    "Infinity",
    "--1s",
    "1d",
    "1us2",
    "5 minutes",
    "11m35s\n",
    "2562047h47m16.854775808s", // one nanosecond past time.Duration's maximum
    "9223372036854775808ns",
  ];
  for (const text of invalid) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseGoDuration(text, "status.rto.measured"),
        (err: unknown) => err instanceof InputError && err.field === "status.rto.measured",
      );
    });
  }

  test("the message names the field and the text", () => {
    assert.throws(() => parseGoDuration("5 minutes", "status.rto.target"), {
      message: /^status\.rto\.target "5 minutes" is not a Go duration: unknown unit " minutes"/,
    });
    assert.throws(() => parseGoDuration("10"), { message: /"10" has no unit/ });
  });

  /** What Go's time.Duration.String() prints, for whole milliseconds. */
  function goString(ms: number): string {
    if (ms === 0) return "0s";
    if (ms < 1000) return `${ms}ms`;
    const h = Math.floor(ms / 3_600_000);
    const m = Math.floor((ms % 3_600_000) / 60_000);
    const s = Math.floor((ms % 60_000) / 1000);
    const frac = ms % 1000;
    const seconds = frac === 0 ? `${s}` : `${s}.${String(frac).padStart(3, "0").replace(/0+$/, "")}`;
    if (h > 0) return `${h}h${m}m${seconds}s`;
    if (m > 0) return `${m}m${seconds}s`;
    return `${seconds}s`;
  }

  test("reads back whatever Go's Duration.String() prints (whole milliseconds)", () => {
    assert.equal(goString(3_723_500), "1h2m3.5s");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 24 * 3_600_000 }), (ms) => {
        assert.equal(parseGoDuration(goString(ms)), ms);
        assert.equal(parseGoDuration(`-${goString(ms)}`), ms === 0 ? 0 : -ms);
      }),
      { numRuns: 2000 },
    );
  });

  test("is additive over components, exactly", () => {
    const unit = fc.constantFrom(
      ["h", 3_600_000_000_000n] as const,
      ["m", 60_000_000_000n] as const,
      ["s", 1_000_000_000n] as const,
      ["ms", 1_000_000n] as const,
      ["us", 1_000n] as const,
      ["ns", 1n] as const,
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), unit), { minLength: 1, maxLength: 6 }),
        (parts) => {
          const text = parts.map(([n, [u]]) => `${n}${u}`).join("");
          const nanos = parts.reduce((sum, [n, [, per]]) => sum + BigInt(n) * per, 0n);
          assert.equal(parseGoDurationNanos(text), nanos);
        },
      ),
    );
  });
});
