import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decimal } from "../../services/api/batch-handler.ts";

test("decimal() reads any string as Number() does", () => {
  const digits = fc.stringMatching(/^[0-9]{0,20}$/);
  const other = fc.oneof(
    fc.constantFrom("-1", " 1", "1 ", "1e3", "0x10", "+5", "", "Infinity", "9007199254740993", "١٢"),
    fc.string({ maxLength: 17 }),
  );
  fc.assert(
    fc.property(fc.oneof({ arbitrary: digits, weight: 4 }, other), (s) => {
      assert.ok(Object.is(decimal(s), Number(s)), JSON.stringify(s));
    }),
    { numRuns: 2000 },
  );
});
