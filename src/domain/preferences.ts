import { INDUSTRIES } from './benchmarks.ts';

/**
 * How a workspace reads its figures: the currency its money is in, the locale numbers and dates
 * are written in, the time zone whose midnight starts its days, and the industry it compares
 * itself with. Stored with the workspace settings; every page and export reads them from here.
 */
export interface Preferences {
  /** ISO 4217 code, e.g. "USD". */
  currency: string;
  /** BCP 47 tag, e.g. "en-US". */
  locale: string;
  /** IANA zone, e.g. "America/New_York"; "UTC" by default. */
  timeZone: string;
  /** One of the benchmark industries, or null for none chosen. */
  industry: string | null;
}

export const DEFAULT_PREFERENCES: Preferences = { currency: 'USD', locale: 'en-US', timeZone: 'UTC', industry: null };

let currencies: Set<string> | null = null;
let zoneNames: Map<string, string> | null = null;

/** The canonical currency code, or null when Intl does not know it. */
export function canonicalCurrency(code: string): string | null {
  const c = code.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(c)) return null;
  currencies ??= new Set((Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('currency') ?? []);
  return currencies.size === 0 || currencies.has(c) ? c : null;
}

/** The canonical IANA zone name ("europe/paris" → "Europe/Paris"), or null for an unknown zone. */
export function canonicalTimeZone(zone: string): string | null {
  const z = zone.trim();
  if (!z || z.length > 64) return null;
  if (z.toUpperCase() === 'UTC' || z.toUpperCase() === 'ETC/UTC') return 'UTC';
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: z }).resolvedOptions().timeZone;
    // Keep the name people know: older ICU resolves Asia/Kolkata to Asia/Calcutta and Europe/Kyiv to Europe/Kiev.
    zoneNames ??= new Map(((Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? []).map((n) => [n.toLowerCase(), n]));
    const known = zoneNames.get(z.toLowerCase()) ?? (resolved.toLowerCase() === z.toLowerCase() ? resolved : null);
    if (known) return known;
    // A newer name this ICU only knows as an alias: keep it, in the usual capitals when typed in lower case.
    return z === z.toLowerCase() ? z.replace(/(^|[/_])([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase()) : z;
  } catch {
    return null;
  }
}

/** The canonical locale tag, or null when it is not a well-formed BCP 47 tag. */
export function canonicalLocale(tag: string): string | null {
  try {
    const [c] = Intl.getCanonicalLocales(tag.trim());
    return c && c.length <= 35 ? c : null;
  } catch {
    return null;
  }
}

/** Checks and canonicalises a change; the message names the field. */
export function checkPreferences(p: Partial<Preferences>): { value: Partial<Preferences> } | { field: keyof Preferences; message: string } {
  const out: Partial<Preferences> = {};
  if (p.currency !== undefined) {
    const c = canonicalCurrency(p.currency);
    if (!c) return { field: 'currency', message: `currency: "${p.currency}" is not an ISO 4217 currency code (e.g. USD, EUR, GBP)` };
    out.currency = c;
  }
  if (p.locale !== undefined) {
    const l = canonicalLocale(p.locale);
    if (!l) return { field: 'locale', message: `locale: "${p.locale}" is not a language tag (e.g. en-US, de-DE, fr-FR)` };
    out.locale = l;
  }
  if (p.timeZone !== undefined) {
    const z = canonicalTimeZone(p.timeZone);
    if (!z) return { field: 'timeZone', message: `timeZone: "${p.timeZone}" is not an IANA time zone (e.g. UTC, Europe/London, America/New_York)` };
    out.timeZone = z;
  }
  if (p.industry !== undefined) {
    const i = p.industry?.trim().toLowerCase() || null;
    if (i && !INDUSTRIES.includes(i)) return { field: 'industry', message: `industry: "${p.industry}" has no published benchmark here; one of ${INDUSTRIES.join(', ')}` };
    out.industry = i;
  }
  return { value: out };
}

// Building an Intl formatter costs far more than using one, and a table or a list of reasons writes many amounts.
const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * Money as the workspace writes it: "$1,234.50", "1.234,50 €", "¥1,235". Without `digits`, the
 * currency's own minor units; `digits` 0 rounds for axes and tight cells. A locale or currency
 * this Intl does not know (a browser's older data) writes in the defaults' terms.
 */
export function formatMoney(amount: number, p: Pick<Preferences, 'currency' | 'locale'>, digits?: number): string {
  if (!Number.isFinite(amount)) return '–';
  const key = `${p.locale}|${p.currency}|${digits ?? ''}`;
  let f = moneyFormats.get(key);
  if (!f) {
    const places = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
    try {
      f = new Intl.NumberFormat(p.locale, { style: 'currency', currency: p.currency, ...places });
    } catch {
      f = new Intl.NumberFormat(DEFAULT_PREFERENCES.locale, { style: 'currency', currency: DEFAULT_PREFERENCES.currency, ...places });
    }
    moneyFormats.set(key, f);
  }
  return f.format(amount);
}
