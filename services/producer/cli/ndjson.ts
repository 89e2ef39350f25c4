/**
 * NDJSON input of both record kinds (runs and retirements): streamed line by line, so memory
 * stays flat however long the input; blank lines skipped, a leading byte-order mark dropped.
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { InputError } from "../errors.ts";
import { UsageError } from "./common.ts";

export type NdjsonEntry<T> = { line: number; record: T } | { line: number; error: InputError };

/** Each line's record by `parse` (which throws InputError for a refused one), with its line number. */
export async function* readNdjson<T>(
  stream: Readable,
  parse: (value: unknown) => T,
): AsyncGenerator<NdjsonEntry<T>> {
  let line = 0;
  for await (const raw of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    if (text.trim() === "") continue;
    try {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new InputError("(record)", `not JSON (${(err as Error).message})`);
      }
      yield { line, record: parse(value) };
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      yield { line, error: err };
    }
  }
}

/**
 * Every record valid (each handed to `keep`), or a UsageError naming the first invalid line and
 * how many more there are: nothing is sent then. Returns the count of records.
 */
export async function validRecords<T>(
  entries: AsyncIterable<NdjsonEntry<T>>,
  keep: (record: T) => void = () => {},
): Promise<number> {
  let valid = 0;
  let invalid = 0;
  let first: string | undefined;
  for await (const entry of entries) {
    if ("record" in entry) {
      valid++;
      keep(entry.record);
    } else {
      invalid++;
      first ??= `line ${entry.line}, field ${entry.error.field}: ${entry.error.message}`;
    }
  }
  if (first !== undefined) {
    const more = invalid > 1 ? ` (and ${invalid - 1} more invalid lines)` : "";
    throw new UsageError(`${first}${more}; nothing was published`, false);
  }
  return valid;
}
