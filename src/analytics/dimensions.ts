import { UTC_ZONE, weekdayOfDay, type Zone } from '../domain/zoned-time.ts';
import { AnswerColumns, Dict, SENTIMENT_LABELS, type CodedColumn } from './columns.ts';

/**
 * What answers can be filtered and broken down by. Each dimension gives every row a code and
 * each code a label; derived ones (hour, weekday, bands, answer properties) are computed once per
 * row and extended as answers arrive.
 */
export interface DimensionColumn {
  /** Every column is a Uint32Array, so the counting loop sees one array type. */
  codes: Uint32Array;
  labels: ReadonlyArray<string | null>;
  /** Labels in their natural order (hours, weekdays, bands), else ordered by answer count. */
  ordered: boolean;
  /** A row's code can change (a comment analysed again): never cubed or indexed. */
  changes?: boolean;
}

/** The dimension of a comment's themes: several per answer, so filters test bits (query.ts) and breakdowns count an answer once per theme. */
export const THEME = 'theme';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const HOURS = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`);
export const ORDER_BANDS: Array<[number, string]> = [[7, '0–7 days'], [30, '8–30 days'], [90, '31–90 days'], [180, '91–180 days'], [365, '181–365 days'], [Infinity, 'over a year']];
export const TENURE_BANDS: Array<[number, string]> = [[30, 'under 30 days'], [90, '30–90 days'], [180, '91–180 days'], [365, '181–365 days'], [730, '1–2 years'], [Infinity, 'over 2 years']];

const CODED: Record<string, CodedColumn> = { channel: 'channel', stage: 'stage', survey: 'survey', campaign: 'campaign', utmSource: 'utmSource', device: 'device' };

export const DIMENSIONS = [
  ...Object.keys(CODED),
  'hour', 'weekday', 'daysSinceOrder', 'tenure', 'sentiment', THEME, 'property.<name>', 'trait.<name>',
] as const;

export class UnknownDimension extends Error {}

interface Derived {
  codes: Uint32Array;
  labels: Array<string | null>;
  upTo: number;
  fill: (from: number, to: number, codes: Uint32Array) => void;
}

function band(bands: Array<[number, string]>, none: string | null) {
  const labels: Array<string | null> = [none, ...bands.map(([, l]) => l)];
  const code = (days: number) => {
    if (Number.isNaN(days)) return 0;
    for (let b = 0; b < bands.length; b++) if (days <= bands[b][0]) return b + 1;
    return bands.length;
  };
  return { labels, code };
}

const zones = new WeakMap<AnswerColumns, Zone>();

/**
 * Sets the time zone whose days, hours and weekdays the answers are counted in (the engine sets
 * the workspace's on every read). Columns nobody set a zone for count in UTC.
 */
export function setTimeZone(cols: AnswerColumns, zone: Zone): void {
  zones.set(cols, zone);
}

export const timeZoneOf = (cols: AnswerColumns): Zone => zones.get(cols) ?? UTC_ZONE;

/** Dimensions whose codes depend on the time zone. */
const ZONED = new Set(['day', 'hour', 'weekday']);

/**
 * The name a dimension's derived caches and row indexes are kept under: a zoned one's codes hold
 * for one zone only, so a workspace that changes its zone gets them built again.
 */
export const cacheName = (cols: AnswerColumns, name: string): string => (ZONED.has(name) ? `${name}@${timeZoneOf(cols).name}` : name);

// Derived columns per AnswerColumns instance, extended when rows are added.
const derivedCache = new WeakMap<AnswerColumns, Map<string, Derived>>();

function derived(cols: AnswerColumns, name: string, make: () => Omit<Derived, 'codes' | 'upTo'>): DimensionColumn {
  let cache = derivedCache.get(cols);
  if (!cache) derivedCache.set(cols, (cache = new Map()));
  const key = cacheName(cols, name);
  let d = cache.get(key);
  if (!d) {
    // Another zone's codes for this dimension will not be read again.
    if (key !== name) for (const k of cache.keys()) if (k.startsWith(`${name}@`)) cache.delete(k);
    d = { ...make(), codes: new Uint32Array(0), upTo: 0 };
    cache.set(key, d);
  }
  if (d.upTo < cols.n) {
    if (d.codes.length < cols.n) {
      const bigger = new Uint32Array(Math.max(cols.n, d.codes.length * 2, 1024));
      bigger.set(d.codes.subarray(0, d.upTo));
      d.codes = bigger;
    }
    d.fill(d.upTo, cols.n, d.codes);
    d.upTo = cols.n;
  }
  return { codes: d.codes, labels: d.labels, ordered: !name.startsWith('property.') };
}

/** The column of a dimension by name, e.g. "stage", "hour", "property.plan". */
export function dimension(cols: AnswerColumns, name: string): DimensionColumn {
  // Own entries only: a name such as "constructor" or "__proto__" is no dimension, not Object's.
  const coded = Object.hasOwn(CODED, name) ? CODED[name] : undefined;
  if (coded) return { codes: cols.coded[coded], labels: cols.dicts[coded].labels, ordered: false };
  switch (name) {
    case 'sentiment':
      return { codes: cols.sentiment, labels: SENTIMENT_LABELS, ordered: true, changes: true };
    case THEME:
      // Labels only (theme ids in order of first sight); a row's themes are bits, not one code.
      return { codes: new Uint32Array(0), labels: cols.themeDict.labels, ordered: false, changes: true };
    case 'day': {
      // Local days since 1970 in the workspace's zone: what trends count by. Not offered as a breakdown.
      const zone = timeZoneOf(cols);
      return derived(cols, name, () => ({
        labels: [],
        fill: (from, to, codes) => {
          for (let i = from; i < to; i++) codes[i] = zone.dayOf(cols.at[i]);
        },
      }));
    }
    case 'hour': {
      // The hour on the workspace's clocks: 02:00 is missing on the day clocks go forward, twice as long when they go back.
      const zone = timeZoneOf(cols);
      return derived(cols, name, () => ({
        labels: HOURS,
        fill: (from, to, codes) => {
          for (let i = from; i < to; i++) codes[i] = zone.hourOf(cols.at[i]);
        },
      }));
    }
    case 'weekday': {
      const zone = timeZoneOf(cols);
      return derived(cols, name, () => ({
        labels: WEEKDAYS,
        fill: (from, to, codes) => {
          for (let i = from; i < to; i++) codes[i] = weekdayOfDay(zone.dayOf(cols.at[i]));
        },
      }));
    }
    case 'daysSinceOrder': {
      const b = band(ORDER_BANDS, 'no order yet');
      return derived(cols, name, () => ({ labels: b.labels, fill: (from, to, codes) => { for (let i = from; i < to; i++) codes[i] = b.code(cols.daysSinceOrder[i]); } }));
    }
    case 'tenure': {
      const b = band(TENURE_BANDS, null);
      return derived(cols, name, () => ({ labels: b.labels, fill: (from, to, codes) => { for (let i = from; i < to; i++) codes[i] = b.code(cols.daysSinceFirstSeen[i]); } }));
    }
  }
  if (name.startsWith('property.') && name.length > 9) {
    const key = name.slice(9);
    const dict = new Dict();
    return derived(cols, name, () => ({
      labels: dict.labels,
      fill: (from, to, codes) => {
        for (let i = from; i < to; i++) {
          const raw = cols.props[i];
          let v: unknown = null;
          if (raw && raw.includes(`"${key}"`)) {
            try {
              v = (JSON.parse(raw) as Record<string, unknown>)[key];
            } catch {
              v = null;
            }
          }
          codes[i] = dict.code(v == null || typeof v === 'object' ? null : String(v));
        }
      },
    }));
  }
  throw new UnknownDimension(`unknown dimension "${name}": use one of ${DIMENSIONS.join(', ')}`);
}
