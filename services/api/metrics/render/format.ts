/** Number and label rendering for the Prometheus text format and OpenMetrics. */

/** Label values escape backslash, double quote and line feed. */
export function escapeLabel(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`)) : value;
}

/** HELP text escapes backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/** Shortest decimal that round-trips (JavaScript and Go parse it alike); never NaN here. */
export function formatFloat(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** Integer milliseconds as exact decimal seconds: 28140123 -> "28140.123", no float rounding. */
export function formatMillisAsSeconds(ms: number): string {
  const negative = ms < 0;
  const abs = Math.abs(ms);
  const whole = Math.floor(abs / 1000);
  const frac = abs - whole * 1000;
  const digits = frac === 0 ? "" : `.${String(frac).padStart(3, "0").replace(/0+$/, "")}`;
  return `${negative ? "-" : ""}${whole}${digits}`;
}
