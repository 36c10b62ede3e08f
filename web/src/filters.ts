import { useLocation } from 'preact-iso';
import { lastDays, zoneOrUtc } from '../../src/domain/zoned-time.ts';
import type { Query } from './api.ts';
import { usePreferences } from './session.ts';

/**
 * The filters every insight page shares, kept in the URL's query string so a link shows what its
 * sender saw and the filters follow from page to page. The API takes the same names, except that
 * the time is kept as a range (`range=90d`) or as dates (`from=2026-01-01&to=2026-03-31`).
 */
export const RANGES = [
  { id: '30d', label: 'Last 30 days', days: 30 },
  { id: '90d', label: 'Last 90 days', days: 90 },
  { id: '180d', label: 'Last 6 months', days: 180 },
  { id: '365d', label: 'Last 12 months', days: 365 },
  { id: 'all', label: 'All time', days: null },
] as const;
export const DEFAULT_RANGE = '90d';

/** Query parameters that are filters; anything else in the URL (by=, tab=) belongs to one page. */
const FILTER_KEYS = ['range', 'from', 'to', 'surveyId', 'channel', 'stage', 'segment', 'theme', 'sentiment'];
export const isFilterKey = (k: string) => FILTER_KEYS.includes(k) || k.startsWith('trait.');

export interface Filters {
  range: string;
  /** Dates as yyyy-mm-dd when the range is custom. */
  from: string | null;
  to: string | null;
  surveyId: string | null;
  channel: string | null;
  stage: string | null;
  segment: string | null;
  /** A theme id: answers whose comment mentions it. */
  theme: string | null;
  /** negative, neutral or positive: of the comment. */
  sentiment: string | null;
  /** trait name → value */
  traits: Record<string, string>;
  /** The workspace's IANA time zone: its midnights bound the window's days. */
  timeZone: string;
}

export function parseFilters(query: Record<string, string>, timeZone = 'UTC'): Filters {
  const traits: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (k.startsWith('trait.') && k.length > 6 && v) traits[k.slice(6)] = v;
  const custom = !!(query.from || query.to);
  return {
    range: custom ? 'custom' : RANGES.some((r) => r.id === query.range) ? query.range : DEFAULT_RANGE,
    from: query.from || null,
    to: query.to || null,
    surveyId: query.surveyId || null,
    channel: query.channel || null,
    stage: query.stage || null,
    segment: query.segment || null,
    theme: query.theme || null,
    sentiment: query.sentiment || null,
    traits,
    timeZone,
  };
}

const DAY = 86_400_000;

/**
 * The time window as instants, in whole days of the workspace's time zone (a day is 23 or 25 hours
 * when its clocks change): the end is the start of tomorrow there, so today's answers count.
 */
export function timeWindow(f: Filters, now = Date.now()): { from: number | null; to: number | null } {
  const zone = zoneOrUtc(f.timeZone);
  if (f.range === 'custom') {
    const day = (date: string | null) => (date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) / DAY : NaN);
    const from = zone.dayStart(day(f.from));
    // "to" is the last day shown, inclusive; the API's to is exclusive.
    const to = zone.dayStart(day(f.to) + 1);
    return { from: Number.isFinite(from) ? from : null, to: Number.isFinite(to) ? to : null };
  }
  const days = RANGES.find((r) => r.id === f.range)?.days ?? null;
  return days == null ? { from: null, to: null } : lastDays(zone, days, now);
}

/** A calendar date (yyyy-mm-dd) in the workspace's time zone: today, or that many days before. */
export function workspaceDate(timeZone: string, daysAgo = 0, now = Date.now()): string {
  return new Date((zoneOrUtc(timeZone).dayOf(now) - daysAgo) * DAY).toISOString().slice(0, 10);
}

/** The filters as the insight API's query parameters. */
export function apiFilters(f: Filters, opts: { time?: boolean } = {}): Query {
  const w = timeWindow(f);
  const q: Query = {
    surveyId: f.surveyId, channel: f.channel, stage: f.stage, segment: f.segment, theme: f.theme, sentiment: f.sentiment,
  };
  if (opts.time !== false) {
    q.from = w.from == null ? null : new Date(w.from).toISOString();
    q.to = w.to == null ? null : new Date(w.to).toISOString();
  }
  for (const [k, v] of Object.entries(f.traits)) q[`trait.${k}`] = v;
  return q;
}

export function filterQuery(query: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (isFilterKey(k) && v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

export function activeFilterCount(f: Filters): number {
  return [f.surveyId, f.channel, f.stage, f.segment, f.theme, f.sentiment].filter(Boolean).length + Object.keys(f.traits).length;
}

/** GET /api/v1/answers parameters for the filters it takes: time, survey, channel, stage, theme and sentiment. */
export function answersQuery(f: Filters, limit: number): Record<string, string | number | null> {
  const w = timeWindow(f);
  return {
    limit, channel: f.channel, surveyId: f.surveyId, stage: f.stage, theme: f.theme, sentiment: f.sentiment,
    from: w.from == null ? null : new Date(w.from).toISOString(), to: w.to == null ? null : new Date(w.to).toISOString(),
  };
}

/** Whether filters are on that the answers list cannot apply (a segment, traits). */
export function answersListIgnoresSome(f: Filters): boolean {
  return !!f.segment || Object.keys(f.traits).length > 0;
}

export function useFilters() {
  const loc = useLocation();
  const filters = parseFilters(loc.query, usePreferences().timeZone);
  /** Sets or clears (null) query parameters of this page, keeping the rest; replaces the history entry. */
  const set = (patch: Record<string, string | null>, push = false) => {
    const params = new URLSearchParams(loc.query);
    for (const [k, v] of Object.entries(patch)) {
      if (v == null || v === '') params.delete(k);
      else params.set(k, v);
    }
    const qs = params.toString();
    loc.route(`${loc.path}${qs ? `?${qs}` : ''}`, !push);
  };
  return { filters, query: loc.query, set, api: apiFilters(filters), carry: filterQuery(loc.query) };
}

/** Points the trend draws for the range: enough to see a shape, few enough that each has answers. */
export function trendInterval(f: Filters): 'day' | 'week' | 'month' {
  const w = timeWindow(f);
  if (w.from == null || w.to == null) return 'month';
  const days = (w.to - w.from) / DAY;
  return days <= 45 ? 'day' : days <= 400 ? 'week' : 'month';
}

/** The trend request for the filters. */
export function trendQuery(f: Filters): { interval: 'day' | 'week' | 'month' } {
  return { interval: trendInterval(f) };
}
