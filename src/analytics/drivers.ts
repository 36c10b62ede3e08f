import { netSentiment, splitPoints, themeImpact, themeRegression, VALUE_OF_CATEGORY, type ThemeImpact } from '../domain/drivers.ts';
import { npsSummary, type NpsCounts, type NpsSummary } from '../domain/nps.ts';
import { bucketStartDay } from '../domain/zoned-time.ts';
import type { AnswerColumns, CodedColumn } from './columns.ts';
import { timeZoneOf } from './dimensions.ts';
import { matchingRows, type AnswerFilter, type RowList } from './query.ts';

/**
 * Why they score what they score: for every theme the comments mention, what it costs or earns in
 * NPS points (domain/drivers.ts), its net sentiment, its weekly trend, how it differs by channel
 * and journey stage, and a split of the points lost and gained that adds up. One pass over the
 * answers the filter keeps (a million in tens of milliseconds): an answer counts once per theme.
 */
export interface ThemeDriver extends ThemeImpact {
  /** Theme id (the workspace's taxonomy names it). */
  id: string;
  positive: number;
  negative: number;
  netSentiment: number | null;
  /** Share of the points lost (≥ 0) and gained (≥ 0), and the regression coefficient (NPS value per mention). */
  pointsLost: number;
  pointsGained: number;
  coefficient: number;
  /** Per week of the workspace's calendar (from Monday), oldest first. */
  trend: Array<{ start: string; n: number; nps: number | null }>;
  /** NPS of the answers mentioning it per channel / journey stage, most answers first. */
  byChannel: Array<{ value: string | null; n: number; nps: number | null }>;
  byStage: Array<{ value: string | null; n: number; nps: number | null }>;
}

export interface Drivers {
  total: NpsSummary;
  /** Answers with an analysed comment, and those mentioning at least one theme. */
  commented: number;
  withTheme: number;
  pointsLost: number | null;
  pointsGained: number | null;
  /** Readable themes first, by the size of their impact; then the others by mentions. */
  themes: ThemeDriver[];
}

export interface DriverOptions {
  /** Weeks of trend, ending with the week holding `to` (or now). Default 12. */
  weeks?: number;
  now?: number;
}

const counts = (a: Int32Array, k: number): NpsCounts => ({ promoters: a[k * 3], passives: a[k * 3 + 1], detractors: a[k * 3 + 2] });

export function drivers(cols: AnswerColumns, filter: AnswerFilter, options: DriverOptions = {}): Drivers {
  const list = matchingRows(cols, filter);
  const { rows, length } = list;
  const K = cols.themeDict.size - 1;
  const W = cols.themeWords;
  const m = K + 1;
  const { category, sentiment, themeBits, themeNegative, themePositive, at } = cols;
  const zone = timeZoneOf(cols);

  // Weekly buckets ending with the week of `to` (or now).
  const weeks = Math.max(1, Math.min(options.weeks ?? 12, 104));
  const end = Math.min(filter.to ?? Infinity, options.now ?? Date.now());
  const lastWeek = bucketStartDay(zone.dayOf(Number.isFinite(end) ? end - 1 : Date.now()), 'week');
  const firstWeek = lastWeek - 7 * (weeks - 1);

  const channel = cols.coded.channel;
  const stage = cols.coded.stage;
  const channels = cols.dicts.channel.size;
  const stages = cols.dicts.stage.size;

  const total = new Int32Array(3);
  const byTheme = new Int32Array(Math.max(1, K) * 3);
  const positive = new Int32Array(Math.max(1, K));
  const negative = new Int32Array(Math.max(1, K));
  const weekly = new Int32Array(Math.max(1, K) * weeks * 3);
  const byChannel = new Int32Array(Math.max(1, K) * channels * 3);
  const byStage = new Int32Array(Math.max(1, K) * stages * 3);
  const xtx = new Float64Array(m * m);
  const xty = new Float64Array(m);
  const present: number[] = [];
  let commented = 0;
  let withTheme = 0;

  for (let j = 0; j < length; j++) {
    const i = rows[j];
    const cat = category[i];
    const value = VALUE_OF_CATEGORY[cat];
    total[cat]++;
    xtx[0]++;
    xty[0] += value;
    if (sentiment[i] === 0) continue;
    commented++;
    present.length = 0;
    for (let w = 0, base = i * W; w < W; w++) {
      let word = themeBits[base + w];
      while (word !== 0) {
        const low = word & -word;
        const k = w * 32 + (31 - Math.clz32(low));
        word ^= low;
        present.push(k);
        byTheme[k * 3 + cat]++;
        if (themePositive[base + w] & low) positive[k]++;
        else if (themeNegative[base + w] & low) negative[k]++;
        byChannel[(k * channels + channel[i]) * 3 + cat]++;
        byStage[(k * stages + stage[i]) * 3 + cat]++;
      }
    }
    if (!present.length) continue;
    withTheme++;
    const week = Math.floor((bucketStartDay(zone.dayOf(at[i]), 'week') - firstWeek) / 7);
    for (const a of present) {
      if (week >= 0 && week < weeks) weekly[(a * weeks + week) * 3 + cat]++;
      xtx[a + 1] += 1;
      xtx[(a + 1) * m] += 1;
      xty[a + 1] += value;
      for (const b of present) xtx[(a + 1) * m + b + 1] += 1;
    }
  }

  const all = counts(total, 0);
  const summary = npsSummary(all);
  const coefficients = K ? themeRegression(xtx, xty, K).subarray(1) : new Float64Array(0);
  const mentions = Array.from({ length: K }, (_, k) => byTheme[k * 3] + byTheme[k * 3 + 1] + byTheme[k * 3 + 2]);
  const split = summary.nps == null ? null : splitPoints(summary.nps, coefficients, mentions);

  const perValue = (a: Int32Array, k: number, size: number, labels: ReadonlyArray<string | null>) => {
    const out: Array<{ value: string | null; n: number; nps: number | null }> = [];
    for (let v = 0; v < size; v++) {
      const c = counts(a, k * size + v);
      const n = c.promoters + c.passives + c.detractors;
      if (n) out.push({ value: labels[v] ?? null, n, nps: npsSummary(c).nps });
    }
    return out.sort((x, y) => y.n - x.n);
  };
  const labelsOf = (column: CodedColumn) => cols.dicts[column].labels;

  const themes: ThemeDriver[] = [];
  for (let k = 0; k < K; k++) {
    if (!mentions[k]) continue;
    const impact = themeImpact(all, counts(byTheme, k));
    const trend = Array.from({ length: weeks }, (_, w) => {
      const c = counts(weekly, k * weeks + w);
      const day = firstWeek + 7 * w;
      return { start: new Date(zone.dayStart(day)).toISOString(), n: c.promoters + c.passives + c.detractors, nps: npsSummary(c).nps };
    });
    themes.push({
      id: cols.themeDict.labels[k + 1]!,
      ...impact,
      positive: positive[k],
      negative: negative[k],
      netSentiment: netSentiment(positive[k], negative[k], mentions[k]),
      pointsLost: split?.parts[k].lost ?? 0,
      pointsGained: split?.parts[k].gained ?? 0,
      coefficient: coefficients[k] ?? 0,
      trend,
      byChannel: perValue(byChannel, k, channels, labelsOf('channel')),
      byStage: perValue(byStage, k, stages, labelsOf('stage')),
    });
  }
  themes.sort((a, b) => Number(b.readable) - Number(a.readable) || (a.readable ? Math.abs(b.impact!) - Math.abs(a.impact!) : b.mentions - a.mentions) || a.id.localeCompare(b.id));
  return { total: summary, commented, withTheme, pointsLost: split?.pointsLost ?? null, pointsGained: split?.pointsGained ?? null, themes };
}

/** Of `kept` (matchingRows), the rows mentioning a theme, newest first, at most `limit`: quote candidates. */
export function rowsWithTheme(cols: AnswerColumns, kept: RowList, themeId: string, limit: number): number[] {
  const code = cols.themeDict.find(themeId);
  if (code <= 0) return [];
  const { rows, length } = kept;
  const out: number[] = [];
  for (let j = 0; j < length; j++) if (cols.hasTheme(rows[j], code)) out.push(rows[j]);
  out.sort((a, b) => cols.at[b] - cols.at[a]);
  return out.slice(0, limit);
}
