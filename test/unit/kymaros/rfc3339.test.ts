import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { formatRfc3339, parseRfc3339, parseTimestamp } from "../../../services/kymaros/rfc3339.ts";
import { InputError } from "../../../services/producer/errors.ts";

const MAX_MS = 253402300799999; // 9999-12-31T23:59:59.999Z

describe("parseRfc3339", () => {
  const valid: [string, number][] = [
    ["1970-01-01T00:00:00Z", 0],
    ["2026-11-26T03:00:00Z", Date.UTC(2026, 10, 26, 3, 0, 0)],
    ["2026-11-26t03:00:00z", Date.UTC(2026, 10, 26, 3, 0, 0)],
    ["2026-11-26T04:00:00+01:00", Date.UTC(2026, 10, 26, 3, 0, 0)],
    ["2026-11-25T22:30:00-04:30", Date.UTC(2026, 10, 26, 3, 0, 0)],
    ["2026-11-26T03:00:00-00:00", Date.UTC(2026, 10, 26, 3, 0, 0)],
    ["2026-11-26T03:00:00.5Z", Date.UTC(2026, 10, 26, 3, 0, 0, 500)],
    ["2026-11-26T03:00:00.25Z", Date.UTC(2026, 10, 26, 3, 0, 0, 250)],
    ["2026-11-26T03:00:00.123Z", Date.UTC(2026, 10, 26, 3, 0, 0, 123)],
    ["2026-11-26T03:00:00.123999999Z", Date.UTC(2026, 10, 26, 3, 0, 0, 123)], // truncated, not rounded
    ["2024-02-29T12:00:00Z", Date.UTC(2024, 1, 29, 12)],
    ["2000-02-29T00:00:00Z", Date.UTC(2000, 1, 29)],
    ["2026-01-01T00:30:00+01:00", Date.UTC(2025, 11, 31, 23, 30)], // the offset crosses a year
    ["9999-12-31T23:59:59.999Z", MAX_MS],
    ["0001-01-01T00:00:00Z", -62135596800000],
  ];
  for (const [text, ms] of valid) {
    test(`${text} is ${ms}`, () => assert.equal(parseRfc3339(text), ms));
  }

  const invalid = [
    "",
    "2026-11-26",
    "2026-11-26T03:00:00", // no offset
    "2026-11-26 03:00:00Z",
    "2026-11-26T03:00Z",
    "2026-11-26T3:00:00Z",
    "26-11-26T03:00:00Z",
    "2026-11-26T03:00:00.Z",
    "2026-11-26T03:00:00+0100",
    "2026-11-26T03:00:00+01",
    "2026-13-01T00:00:00Z",
    "2026-00-01T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-11-00T00:00:00Z",
    "2026-11-26T24:00:00Z",
    "2026-11-26T03:60:00Z",
    "2026-12-31T23:59:60Z", // leap second
    "2026-11-26T03:00:61Z",
    "2026-11-26T03:00:00+24:00",
    "2026-11-26T03:00:00+01:60",
    "Thu, 26 Nov 2026 03:00:00 GMT",
    "1795662000000",
    " 2026-11-26T03:00:00Z",
    "2026-11-26T03:00:00Z ",
  ];
  for (const text of invalid) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseRfc3339(text, "status.startedAt"),
        (err: unknown) =>
          err instanceof InputError &&
          err.field === "status.startedAt" &&
          err.message.startsWith("status.startedAt"),
      );
    });
  }

  test("agrees with Date.parse on ISO strings with any offset", () => {
    const offset = fc.tuple(
      fc.constantFrom("+", "-"),
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 59 }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 86_400_000, max: MAX_MS - 86_400_000 }), offset, (ms, [sign, hh, mm]) => {
        const shift = (sign === "+" ? 1 : -1) * (hh * 60 + mm) * 60_000;
        const local = new Date(ms + shift).toISOString().slice(0, -1); // wall time at that offset
        const text = `${local}${sign}${String(hh).padStart(2, "0")}:${String(mm).padStart(2, "0")}`;
        assert.equal(parseRfc3339(text), ms);
        assert.equal(parseRfc3339(text), Date.parse(text));
      }),
      { numRuns: 2000 },
    );
  });

  test("formatRfc3339 and parseRfc3339 round-trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MS }), (ms) =>
        assert.equal(parseRfc3339(formatRfc3339(ms)), ms),
      ),
    );
  });
});

describe("parseTimestamp", () => {
  test("reads RFC 3339, epoch milliseconds as digits, and epoch-millisecond numbers", () => {
    assert.equal(parseTimestamp("2026-11-26T03:00:00Z"), 1795662000000);
    assert.equal(parseTimestamp("1795662000000"), 1795662000000);
    assert.equal(parseTimestamp(1795662000000), 1795662000000);
  });

  test("refuses epoch seconds, fractions, negatives and garbage", () => {
    for (const value of [
      1795662000,
      "1795662000",
      1795662000000.5,
      -1,
      "-1795662000000",
      "1.795e12",
      "now",
      Number.NaN,
    ]) {
      assert.throws(
        () => parseTimestamp(value, "startedAt"),
        (err: unknown) => err instanceof InputError && err.field === "startedAt",
        String(value),
      );
    }
    assert.throws(() => parseTimestamp(1795662000, "startedAt"), { message: /looks like epoch seconds/ });
  });
});
