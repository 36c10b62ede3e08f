/** An epoch-ms time (a number, or a bigint column read as text) as ISO 8601, null kept null. */
export const isoOrNull = (ms: number | string | null | undefined): string | null => (ms == null ? null : new Date(Number(ms)).toISOString());

/** Epoch ms of a calendar date and time in UTC, or null when it does not exist (31 February, 24:00). */
export function utcTime(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number | null {
  if (h > 23 || mi > 59 || s > 59 || mo < 1 || mo > 12 || d < 1) return null;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const date = new Date(t);
  // Date.UTC rolls 31/02 over into March; a date that does not round-trip does not exist.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return t;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Epoch ms of an ISO 8601 date or date-time, or null when it is not one or names a day that does
 * not exist. Date.parse is not used: it reads 2026-02-30 as 2 March and takes years up to 275760.
 * A time without a zone is UTC.
 */
export function parseIsoTime(text: string): number | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const t = utcTime(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), ms);
  if (t == null) return null;
  const zone = m[8]?.toUpperCase();
  if (!zone || zone === 'Z' || zone === 'UTC' || zone === 'GMT') return t;
  const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
  if (+z[2] > 14 || +(z[3] ?? 0) > 59) return null;
  const offset = (+z[2] * 60 + +(z[3] ?? 0)) * 60_000;
  return z[1] === '+' ? t - offset : t + offset;
}
