/**
 * Timestamps as the CLIs read them: RFC 3339 (`2026-11-26T03:00:00Z`, `...T04:00:00.5+01:00`)
 * or integer epoch milliseconds. Parsed by hand with integer arithmetic (no Date parsing, whose
 * accepted formats are implementation-defined), to integer epoch milliseconds.
 */
import { InputError } from "../producer/errors.ts";

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const MS_PER_DAY = 86_400_000;
/** Epoch milliseconds below this (1973-03-03) are almost surely epoch seconds given by mistake. */
export const MIN_PLAUSIBLE_EPOCH_MS = 100_000_000_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * RFC 3339 date-time to epoch milliseconds. Fractions finer than a millisecond are truncated
 * (Avro timestamp-millis cannot carry them). Leap seconds (`:60`) are refused. Throws InputError.
 */
export function parseRfc3339(text: string, field = "timestamp"): number {
  const m = RFC3339.exec(text);
  if (!m) {
    throw new InputError(
      field,
      `${field} "${text}" is not an RFC 3339 date-time (e.g. 2026-11-26T03:00:00Z)`,
    );
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = m[7] ?? "";
  const bad = (what: string) => new InputError(field, `${field} "${text}": ${what}`);
  if (month < 1 || month > 12) throw bad(`month ${month} is not 1..12`);
  if (day < 1 || day > daysInMonth(year, month)) throw bad(`day ${day} does not exist in ${year}-${m[2]}`);
  if (hour > 23) throw bad(`hour ${hour} is not 0..23`);
  if (minute > 59) throw bad(`minute ${minute} is not 0..59`);
  if (second === 60) throw bad("leap seconds are not supported");
  if (second > 59) throw bad(`second ${second} is not 0..59`);
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offsetHour = Number(m[10]);
    const offsetMinute = Number(m[11]);
    if (offsetHour > 23 || offsetMinute > 59) throw bad(`offset ${m[9]}${m[10]}:${m[11]} is out of range`);
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  }
  const millis = Number(fraction.slice(0, 3).padEnd(3, "0"));
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    millis
  );
}

/**
 * A timestamp given as RFC 3339 text, as epoch milliseconds in a string of digits, or as an
 * epoch-milliseconds number. Values that look like epoch seconds are refused.
 */
export function parseTimestamp(value: string | number, field = "timestamp"): number {
  let ms: number;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new InputError(field, `${field}=${value} is not an integer number of epoch milliseconds`);
    }
    ms = value;
  } else if (/^\d+$/.test(value)) {
    ms = Number(value);
    if (!Number.isSafeInteger(ms)) throw new InputError(field, `${field}=${value} is too large`);
  } else {
    return parseRfc3339(value, field);
  }
  if (ms < MIN_PLAUSIBLE_EPOCH_MS) {
    throw new InputError(
      field,
      `${field}=${value} looks like epoch seconds (or is before 1973): give epoch milliseconds or RFC 3339`,
    );
  }
  return ms;
}

/** Epoch milliseconds as RFC 3339 in UTC with milliseconds (what parseRfc3339 reads back). */
export function formatRfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
