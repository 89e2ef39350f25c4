/** How the page writes numbers and times: exact seconds where /metrics has them, read at a glance. */

/** 27300 -> "7h 35m", 412.5 -> "6m 52s", 9 -> "9s". */
export function humanSeconds(seconds: number): string {
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? "-" : "";
  if (s < 60) return `${sign}${Math.round(s)}s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m ${Math.round(s % 60)}s`;
  if (s < 86400) return `${sign}${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${sign}${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** RFC 3339 as "2026-12-04 02:41:58 UTC". */
export function utc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** RFC 3339 as "2026-12-04 02:41", where the column says UTC. */
export function utcMinutes(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}
