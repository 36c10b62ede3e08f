/**
 * Driver analysis as defined in docs/STATS.md ("Driver analysis"): what each theme costs or earns
 * in NPS points, with an interval, and a split of the points lost and gained that adds up.
 * Pure arithmetic on counts; the scan that produces them is analytics/drivers.ts.
 */
import { npsDifference, npsSummary, Z95, type NpsCounts, type NpsDifference, type NpsSummary } from './nps.ts';

export type SentimentLabel = 'negative' | 'neutral' | 'positive';

/**
 * One sentiment for a theme in one comment, from its mentions' (a comment that says "delivery was
 * late" and later "the delivery man was lovely" is neither): more negative than positive mentions
 * is negative, more positive positive, else neutral. The whole comment's label when it has none.
 */
export function themeSentiment(mentions: ReadonlyArray<SentimentLabel>, comment: SentimentLabel): SentimentLabel {
  if (!mentions.length) return comment;
  let net = 0;
  for (const m of mentions) net += m === 'positive' ? 1 : m === 'negative' ? -1 : 0;
  return net > 0 ? 'positive' : net < 0 ? 'negative' : 'neutral';
}

export interface ThemeImpact {
  /** Answers mentioning the theme, and their share of all answers (0..1). */
  mentions: number;
  share: number;
  with: NpsSummary;
  without: NpsSummary;
  /** NPS of those mentioning it minus NPS of the others, with the two-sample interval. */
  difference: NpsDifference;
  /** Points the theme earns (+) or costs (−) overall: NPS of all answers minus NPS without it. */
  impact: number | null;
  impactLow: number | null;
  impactHigh: number | null;
  /** Whether the interval is narrow enough for the sign to be read; else `why` says so. */
  readable: boolean;
  why: string | null;
}

/** Past this half-width (points) an impact is shown as unreadable. */
export const READABLE_IMPACT_MARGIN = 10;
/** Fewer mentions than this and the two-sample interval is not trusted at all. */
export const MIN_MENTIONS = 5;

const total = (c: NpsCounts) => c.promoters + c.passives + c.detractors;
const minus = (a: NpsCounts, b: NpsCounts): NpsCounts => ({ promoters: a.promoters - b.promoters, passives: a.passives - b.passives, detractors: a.detractors - b.detractors });

/** Impact of a theme mentioned by `withTheme` of `all` answers (the others are `all` − `withTheme`). */
export function themeImpact(all: NpsCounts, withTheme: NpsCounts): ThemeImpact {
  const n = total(all);
  const mentions = total(withTheme);
  const without = minus(all, withTheme);
  const w = n ? mentions / n : 0;
  const difference = npsDifference(withTheme, without);
  const withSummary = npsSummary(withTheme);
  const withoutSummary = npsSummary(without);
  const overall = npsSummary(all).nps;
  let impact: number | null = null;
  let impactLow: number | null = null;
  let impactHigh: number | null = null;
  if (overall != null && withoutSummary.nps != null) {
    impact = overall - withoutSummary.nps;
    if (difference.se != null) {
      // se(diff) is on the 0..1 scale; the interval is in points. The share is taken as fixed
      // (STATS.md): the interval is that of a bootstrap within the two groups; one that also lets
      // the share vary is wider (×1.4 on STATS.md's reference example).
      const half = Z95 * w * difference.se * 100;
      impactLow = impact - half;
      impactHigh = impact + half;
    }
  }
  let why: string | null = null;
  if (mentions < MIN_MENTIONS) why = mentions === 1 ? 'only 1 answer mentions it' : `only ${mentions} answers mention it`;
  else if (total(without) === 0) why = 'every answer mentions it: nothing to compare with';
  else if (impactLow == null || impactHigh == null) why = 'no interval can be computed';
  else if ((impactHigh - impactLow) / 2 > READABLE_IMPACT_MARGIN) why = `too few mentions: the interval is ±${((impactHigh - impactLow) / 2).toFixed(1)} points`;
  return { mentions, share: w, with: withSummary, without: withoutSummary, difference, impact, impactLow, impactHigh, readable: why === null, why };
}

/** +1 promoter, 0 passive, −1 detractor by category index (0 promoter, 1 passive, 2 detractor). */
export const VALUE_OF_CATEGORY = [1, 0, -1] as const;

/**
 * Least squares of each answer's NPS value on theme indicators (with an intercept), from the sums
 * a scan gathers: xtx is (k+1)×(k+1) row-major over [intercept, theme 0 … k−1], xty has k+1
 * entries. A theme no answer mentions, or one always mentioned with another, gets no coefficient
 * of its own: a small ridge keeps the system solvable and such a theme near zero.
 */
export function themeRegression(xtx: Float64Array, xty: Float64Array, k: number): Float64Array {
  const m = k + 1;
  const a = new Float64Array(m * m);
  a.set(xtx);
  const b = Float64Array.from(xty);
  // Ridge on the themes only, scaled to the data so it never outweighs a real signal.
  const ridge = 1e-9 * Math.max(1, xtx[0]);
  for (let i = 1; i < m; i++) a[i * m + i] += ridge;
  // Gaussian elimination with partial pivoting.
  for (let col = 0; col < m; col++) {
    let pivot = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(a[r * m + col]) > Math.abs(a[pivot * m + col])) pivot = r;
    if (Math.abs(a[pivot * m + col]) < 1e-12) continue;
    if (pivot !== col) {
      for (let c = 0; c < m; c++) [a[col * m + c], a[pivot * m + c]] = [a[pivot * m + c], a[col * m + c]];
      [b[col], b[pivot]] = [b[pivot], b[col]];
    }
    for (let r = col + 1; r < m; r++) {
      const f = a[r * m + col] / a[col * m + col];
      if (f === 0) continue;
      for (let c = col; c < m; c++) a[r * m + c] -= f * a[col * m + c];
      b[r] -= f * b[col];
    }
  }
  const x = new Float64Array(m);
  for (let r = m - 1; r >= 0; r--) {
    const d = a[r * m + r];
    if (Math.abs(d) < 1e-12) continue;
    let s = b[r];
    for (let c = r + 1; c < m; c++) s -= a[r * m + c] * x[c];
    x[r] = s / d;
  }
  return x;
}

export interface PointsSplit {
  /** 100 − NPS: the points between this NPS and the best possible. */
  pointsLost: number;
  /** NPS + 100: the points above the worst possible. */
  pointsGained: number;
  /** Per theme (same order as given): its part of the points lost (≥ 0) and gained (≥ 0), and its coefficient. */
  parts: Array<{ lost: number; gained: number; coefficient: number }>;
}

/**
 * The points lost and gained, shared among themes by coefficient × mentions, so the parts of
 * each add up to the whole. With no theme on one side, that side is not shared (all parts 0).
 */
export function splitPoints(nps: number, coefficients: ArrayLike<number>, mentions: ArrayLike<number>): PointsSplit {
  const pointsLost = 100 - nps;
  const pointsGained = nps + 100;
  let negative = 0;
  let positive = 0;
  const weight: number[] = [];
  for (let t = 0; t < mentions.length; t++) {
    const v = coefficients[t] * mentions[t];
    weight.push(v);
    if (v < 0) negative -= v;
    else positive += v;
  }
  const parts = weight.map((v, t) => ({
    lost: v < 0 && negative > 0 ? (-v / negative) * pointsLost : 0,
    gained: v > 0 && positive > 0 ? (v / positive) * pointsGained : 0,
    coefficient: coefficients[t],
  }));
  return { pointsLost, pointsGained, parts };
}

/** Net sentiment (−100..100): % positive − % negative of a theme's mentions; null without any. */
export function netSentiment(positive: number, negative: number, mentions: number): number | null {
  return mentions ? ((positive - negative) / mentions) * 100 : null;
}
