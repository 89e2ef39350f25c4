/** The one NDJSON reader of both record kinds: line numbers, blank lines, BOM, CRLF, refusals. */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { UsageError } from "../../../../services/producer/cli/common.ts";
import { readNdjson, validRecords } from "../../../../services/producer/cli/ndjson.ts";
import { InputError } from "../../../../services/producer/errors.ts";

const stream = (text: string) => Readable.from([Buffer.from(text)]);
const parseN = (value: unknown): number => {
  if (typeof value !== "number") throw new InputError("n", `${JSON.stringify(value)} is no number`);
  return value;
};

test("records with their line numbers; blank lines skipped; BOM and CRLF allowed", async () => {
  const got = [];
  for await (const e of readNdjson(stream('\uFEFF1\r\n\r\n  \n2\n"x"\n{oops\n3'), parseN)) got.push(e);
  assert.deepEqual(
    got.map((e) => ("record" in e ? [e.line, e.record] : [e.line, e.error.field])),
    [
      [1, 1],
      [4, 2],
      [5, "n"],
      [6, "(record)"],
      [7, 3],
    ],
  );
});

test("an error that is not a refusal of the record stops the reading", async () => {
  const boom = () => {
    throw new RangeError("bug");
  };
  await assert.rejects(async () => {
    for await (const _ of readNdjson(stream("1\n"), boom)) {
    }
  }, RangeError);
});

test("validRecords: the count, or one UsageError naming the first bad line and how many more", async () => {
  const kept: number[] = [];
  assert.equal(await validRecords(readNdjson(stream("1\n2\n"), parseN), (n) => kept.push(n)), 2);
  assert.deepEqual(kept, [1, 2]);
  await assert.rejects(validRecords(readNdjson(stream('1\n"a"\n2\n"b"\n'), parseN)), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(
      err.message,
      'line 2, field n: "a" is no number (and 1 more invalid lines); nothing was published',
    );
    return true;
  });
});
