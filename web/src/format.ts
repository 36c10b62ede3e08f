// Numbers and dates as people read them; null and NaN become a dash rather than "NaN".

const DASH = '–';

export function fmtNps(v: number | null | undefined, digits = 0): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  const r = v.toFixed(digits);
  return Number(r) > 0 ? `+${r}` : r === '-0' || Number(r) === 0 ? (0).toFixed(digits) : r.replace('-', '−');
}

export function fmtSigned(v: number | null | undefined, digits = 1): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  const r = Math.abs(v).toFixed(digits);
  return Number(r) === 0 ? r : `${v > 0 ? '+' : '−'}${r}`;
}

export function fmtPct(share: number | null | undefined, digits = 0): string {
  if (share == null || !Number.isFinite(share)) return DASH;
  return `${(share * 100).toFixed(digits)}%`;
}

export function fmtInt(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return Math.round(v).toLocaleString('en');
}

export function fmtMoney(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return v.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function fmtP(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return DASH;
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(p < 0.01 ? 3 : 2)}`;
}

export function fmtInterval(low: number | null | undefined, high: number | null | undefined, digits = 0): string {
  if (low == null || high == null) return DASH;
  return `${fmtNps(low, digits)} to ${fmtNps(high, digits)}`;
}

export function fmtDate(iso: string | number | null | undefined): string {
  if (iso == null) return DASH;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? DASH : d.toLocaleDateString('en', { year: 'numeric', month: 'short', day: 'numeric' });
}

export function fmtDateTime(iso: string | number | null | undefined): string {
  if (iso == null) return DASH;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? DASH : d.toLocaleString('en', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
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
