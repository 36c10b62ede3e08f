// Numbers and dates as people read them, in the workspace's locale, currency and time zone; null and
// NaN become a dash rather than "NaN". The app shell sets the workspace's preferences once
// (setFormatPreferences) so that pages call fmtMoney(v) without passing them; tests pass them.

import { formatMoney } from '../../src/domain/preferences.ts';

const DASH = '–';

export interface FormatPreferences {
  currency: string;
  locale: string;
  timeZone: string;
}

const FALLBACK: FormatPreferences = { currency: 'USD', locale: 'en-US', timeZone: 'UTC' };
let current: FormatPreferences = FALLBACK;

/** The workspace now shown; called by the app shell whenever the workspace changes. */
export function setFormatPreferences(p: Partial<FormatPreferences> | null | undefined) {
  current = { currency: p?.currency || FALLBACK.currency, locale: p?.locale || FALLBACK.locale, timeZone: p?.timeZone || FALLBACK.timeZone };
}

export const formatPreferences = (): FormatPreferences => current;

// Building an Intl formatter costs far more than using one, and a table formats hundreds of cells.
const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = numberFormats.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, options);
    } catch {
      // A tag this browser does not know: still a number, in the fallback's terms.
      f = new Intl.NumberFormat(FALLBACK.locale, options);
    }
    numberFormats.set(key, f);
  }
  return f;
}

function dateFormat(p: FormatPreferences, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${p.locale}|${p.timeZone}|${JSON.stringify(options)}`;
  let f = dateFormats.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(p.locale, { ...options, timeZone: p.timeZone });
    } catch {
      f = new Intl.DateTimeFormat(FALLBACK.locale, { ...options, timeZone: FALLBACK.timeZone });
    }
    dateFormats.set(key, f);
  }
  return f;
}

/** A plain decimal with the locale's separator ("21.6", "21,6"), signs left to the caller. */
function decimal(abs: string, p: FormatPreferences): string {
  const sep = numberFormat(p.locale, { minimumFractionDigits: 1 }).formatToParts(1.5).find((x) => x.type === 'decimal')?.value ?? '.';
  return sep === '.' ? abs : abs.replace('.', sep);
}

export function fmtNps(v: number | null | undefined, digits = 0, p = current): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  const r = v.toFixed(digits);
  if (Number(r) === 0) return decimal((0).toFixed(digits), p);
  return `${Number(r) > 0 ? '+' : '−'}${decimal(r.replace('-', ''), p)}`;
}

export function fmtSigned(v: number | null | undefined, digits = 1, p = current): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  const r = Math.abs(v).toFixed(digits);
  return Number(r) === 0 ? decimal(r, p) : `${v > 0 ? '+' : '−'}${decimal(r, p)}`;
}

export function fmtPct(share: number | null | undefined, digits = 0, p = current): string {
  if (share == null || !Number.isFinite(share)) return DASH;
  return numberFormat(p.locale, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(share);
}

/** A count, grouped as the locale groups digits ("1,234", "1.234"). */
export function fmtInt(v: number | null | undefined, p = current): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return numberFormat(p.locale, { maximumFractionDigits: 0 }).format(Math.round(v));
}

/** A measure with fixed decimals ("1.25 orders"), in the locale's digits. */
export function fmtDecimal(v: number | null | undefined, digits = 2, p = current): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return numberFormat(p.locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
}

/**
 * Money in the workspace's currency: "$146.00", "1.234,50 €", "¥1,235". Without `digits`, the
 * currency's own minor units (none for yen); `digits` 0 rounds for axes and tight cells.
 */
export function fmtMoney(v: number | null | undefined, digits?: number, p = current): string {
  return v == null ? DASH : formatMoney(v, p, digits);
}

export function fmtP(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return DASH;
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(p < 0.01 ? 3 : 2)}`;
}

export function fmtInterval(low: number | null | undefined, high: number | null | undefined, digits = 0, p = current): string {
  if (low == null || high == null) return DASH;
  return `${fmtNps(low, digits, p)} to ${fmtNps(high, digits, p)}`;
}

/** The day in the workspace's time zone: a day is where the workspace's midnight puts it. */
export function fmtDate(iso: string | number | null | undefined, p = current): string {
  if (iso == null) return DASH;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? DASH : dateFormat(p, { year: 'numeric', month: 'short', day: 'numeric' }).format(d);
}

export function fmtDateTime(iso: string | number | null | undefined, p = current): string {
  if (iso == null) return DASH;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? DASH : dateFormat(p, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(d);
}

/** A chart's date tick: "Mar 8" within a year's span, "Mar 2026" over longer ones. */
export function fmtAxisDate(ms: number, spanMs: number, p = current): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '';
  const long = spanMs > 400 * 86_400_000;
  return dateFormat(p, long ? { year: 'numeric', month: 'short' } : { month: 'short', day: 'numeric' }).format(d);
}

export function fmtAgo(iso: string | number, now = Date.now()): string {
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(s)) return DASH;
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 30 * 86_400) return `${Math.floor(s / 86_400)} days ago`;
  return fmtDate(iso);
}

export type Category = 'promoter' | 'passive' | 'detractor';
export const categoryOf = (score: number): Category => (score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor');

/** Any JSON value as one line of text, for traits and event properties. */
export function fmtValue(v: unknown): string {
  if (v == null) return DASH;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

// Segment's e-commerce spec names its money properties; an order's are in the workspace currency.
const MONEY_PROPERTIES = /^(revenue|total|subtotal|price|value|tax|shipping|discount|amount|lifetime_?value|ltv|lifetime_?revenue|spend|spent)$/i;

/** An event property or trait: money ones (revenue, total, price…) as money, instants in the workspace's zone, the rest as fmtValue. */
// A full ISO 8601 instant, as Segment's created_at and most CDP traits carry dates.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export function fmtProperty(key: string, v: unknown, p = current): string {
  if (typeof v === 'number' && MONEY_PROPERTIES.test(key)) return fmtMoney(v, undefined, p);
  if (typeof v === 'string' && ISO_INSTANT.test(v) && !Number.isNaN(Date.parse(v))) return fmtDateTime(Date.parse(v), p);
  return fmtValue(v);
}
