/**
 * Go duration strings (`11m35s`, `1h2m3.5s`, `250ms`), as Go's time.Duration.String() prints
 * them and time.ParseDuration reads them: an optional sign, then one or more decimal numbers
 * each followed by a unit (ns, us, µs, μs, ms, s, m, h), or the bare `0`.
 *
 * The arithmetic is exact: the text is read into integer nanoseconds (BigInt), as Go does,
 * then rounded to the nearest millisecond (halves away from zero). Anything else is refused.
 */
import { InputError } from "../producer/errors.ts";

const NANOS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n, // µ MICRO SIGN
  "\u03bcs": 1_000n, // μ GREEK SMALL LETTER MU
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NANOS = (1n << 63n) - 1n;
const COMPONENT = /^(\d*)(?:\.(\d*))?([^\d.]+)/;

/** Integer nanoseconds of a Go duration string; throws InputError naming `field`. */
export function parseGoDurationNanos(text: string, field = "duration"): bigint {
  const bad = (why: string) => new InputError(field, `${field} "${text}" is not a Go duration: ${why}`);
  let rest = text;
  let sign = 1n;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest[0] === "-" ? -1n : 1n;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0n;
  if (rest === "") throw bad("it is empty");
  let total = 0n;
  while (rest !== "") {
    const m = COMPONENT.exec(rest);
    if (!m) {
      throw bad(/^[\d.]+$/.test(rest) ? `"${rest}" has no unit` : `unexpected "${rest}"`);
    }
    const [whole, digits = "", fraction = "", unit = ""] = m;
    if (digits === "" && fraction === "") throw bad(`"${whole}" has no digits`);
    const unitNanos = NANOS[unit];
    if (unitNanos === undefined) {
      throw bad(`unknown unit "${unit}" (expected ns, us, µs, ms, s, m or h)`);
    }
    const scale = 10n ** BigInt(fraction.length);
    // Go truncates what lies below a nanosecond; so does integer division.
    total += BigInt(digits || "0") * unitNanos + (BigInt(fraction || "0") * unitNanos) / scale;
    if (total > MAX_NANOS) throw bad("it overflows Go's time.Duration (about 292 years)");
    rest = rest.slice(whole.length);
  }
  return sign * total;
}

/** Milliseconds of a Go duration string, rounded to the nearest (halves away from zero). */
export function parseGoDuration(text: string, field = "duration"): number {
  const nanos = parseGoDurationNanos(text, field);
  const magnitude = nanos < 0n ? -nanos : nanos;
  const millis = (magnitude + 500_000n) / 1_000_000n;
  return Number(nanos < 0n ? -millis : millis);
}
