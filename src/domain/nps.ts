/**
 * NPS statistics as defined in docs/STATS.md.
 *
 * Units: shares and standard errors are on the 0..1 scale (as in the STATS.md reference
 * table); NPS values, interval bounds, differences and margins are in points (−100..100).
 * Nothing is rounded here: rounding is a presentation concern and must never happen before
 * comparing.
 */
import { categoryOf, isValidScore } from './category.ts';

/** Two-sided 95% normal quantile. Not 1.645, which is one-sided (see STATS.md). */
export const Z95 = 1.959964;

/** Interval half-width (points) beyond which a figure gets a low-sample warning. */
export const LOW_SAMPLE_MARGIN = 10;

export interface NpsCounts {
  promoters: number;
  passives: number;
  detractors: number;
}

export interface NpsInterval {
  /** Standard error on the 0..1 scale. */
  se: number | null;
  /** Lower bound in points. */
  low: number | null;
  /** Upper bound in points. */
  high: number | null;
}

export interface AdjustedNps extends NpsInterval {
  /** Adjusted-Wald point estimate in points. */
  nps: number | null;
}

export interface NpsSummary {
  n: number;
  promoters: number;
  passives: number;
  detractors: number;
  promoterShare: number | null;
  passiveShare: number | null;
  detractorShare: number | null;
  /** Plain NPS in points; null when there are no answers. */
  nps: number | null;
  wald: NpsInterval;
  adjusted: AdjustedNps;
  lowSample: boolean;
  /** Half-width of the adjusted-Wald interval in points. */
  margin: number | null;
}

export interface NpsSummaryOptions {
  /** Normal quantile for the interval; defaults to Z95. */
  z?: number;
  /** Half-width in points above which lowSample is set; defaults to LOW_SAMPLE_MARGIN. */
  lowSampleMargin?: number;
}

export interface NpsDifference {
  /** Difference in points. */
  diff: number | null;
  /** Standard error of the difference on the 0..1 scale. */
  se: number | null;
  z: number | null;
  /** Two-sided p-value from the normal distribution. */
  p: number | null;
  /** 95% interval of the difference in points. */
  low: number | null;
  high: number | null;
  significant: boolean;
}

/** +1 for a promoter, 0 for a passive, −1 for a detractor. */
export function npsValue(score: number): 1 | 0 | -1 {
  assertScore(score);
  const category = categoryOf(score);
  return category === 'promoter' ? 1 : category === 'passive' ? 0 : -1;
}

export function countsFromScores(scores: Iterable<number>): NpsCounts {
  const counts: NpsCounts = { promoters: 0, passives: 0, detractors: 0 };
  for (const score of scores) {
    const value = npsValue(score);
    if (value === 1) counts.promoters++;
    else if (value === 0) counts.passives++;
    else counts.detractors++;
  }
  return counts;
}

export function npsSummary(counts: NpsCounts, options: NpsSummaryOptions = {}): NpsSummary {
  assertCounts(counts);
  const z = options.z ?? Z95;
  const lowSampleMargin = options.lowSampleMargin ?? LOW_SAMPLE_MARGIN;
  if (!(z > 0) || !Number.isFinite(z)) throw new RangeError(`z must be a positive number, got ${z}`);

  const { promoters, passives, detractors } = counts;
  const n = promoters + passives + detractors;
  const base = { n, promoters, passives, detractors };

  if (n === 0) {
    // An adjusted interval could be computed from the pseudo-counts alone, but it would
    // describe the prior, not the data; an empty group has no NPS to show.
    const empty: NpsInterval = { se: null, low: null, high: null };
    return {
      ...base,
      promoterShare: null,
      passiveShare: null,
      detractorShare: null,
      nps: null,
      wald: empty,
      adjusted: { nps: null, ...empty },
      lowSample: true,
      margin: null,
    };
  }

  const wald = waldEstimate(promoters, detractors, n);
  // Adjusted Wald (Sauro & Lewis): pseudo-counts keep the interval from collapsing to zero
  // width at tiny n or when every answer falls in one category.
  const adj = waldEstimate(promoters + 0.75, detractors + 0.75, n + 3);
  const margin = 100 * z * adj.se;

  return {
    ...base,
    promoterShare: promoters / n,
    passiveShare: passives / n,
    detractorShare: detractors / n,
    nps: 100 * wald.nps,
    wald: interval(wald.nps, wald.se, z),
    adjusted: { nps: 100 * adj.nps, ...interval(adj.nps, adj.se, z) },
    lowSample: margin > lowSampleMargin,
    margin,
  };
}

/** NPS_a − NPS_b for independent samples (two groups, or two periods with different people). */
export function npsDifference(a: NpsCounts, b: NpsCounts): NpsDifference {
  assertCounts(a);
  assertCounts(b);
  const na = a.promoters + a.passives + a.detractors;
  const nb = b.promoters + b.passives + b.detractors;
  if (na === 0 || nb === 0) return emptyDifference();

  const ea = waldEstimate(a.promoters, a.detractors, na);
  const eb = waldEstimate(b.promoters, b.detractors, nb);
  return differenceResult(ea.nps - eb.nps, Math.sqrt(ea.variance / na + eb.variance / nb));
}

/**
 * Change (after − before) for the same people answering twice. Pairing removes the
 * between-person variation that the independent-samples test would wrongly count twice.
 */
export function pairedDifference(pairs: Array<[before: number, after: number]>): NpsDifference {
  const n = pairs.length;
  if (n === 0) return emptyDifference();

  const deltas = pairs.map(([before, after]) => npsValue(after) - npsValue(before));
  const mean = deltas.reduce((sum, d) => sum + d, 0) / n;
  // Divisor n (not n − 1) so this is the Wald se for paired proportions, consistent with the
  // independent-samples formula in STATS.md; it also stays defined for a single pair.
  const variance = deltas.reduce((sum, d) => sum + (d - mean) ** 2, 0) / n;
  return differenceResult(mean, Math.sqrt(variance / n));
}

/** Standard normal cumulative distribution function. */
export function normalCdf(x: number): number {
  // Via erfc rather than 1 − Φ so upper and lower tails keep full relative precision.
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Two-sided p-value for a standard normal statistic. */
export function twoSidedP(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}

/**
 * Complementary error function, W. J. Cody's rational Chebyshev approximations
 * (Math. Comp. 23, 1969; CALERF). Relative error is near machine precision.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);

  if (y <= 0.46875) {
    const ysq = y > 1.11e-16 ? y * y : 0;
    let num = ERF_A[4] * ysq;
    let den = ysq;
    for (let i = 0; i < 3; i++) {
      num = (num + ERF_A[i]) * ysq;
      den = (den + ERF_B[i]) * ysq;
    }
    return 1 - (x * (num + ERF_A[3])) / (den + ERF_B[3]);
  }

  let result: number;
  if (y <= 4) {
    let num = ERFC_C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERFC_C[i]) * y;
      den = (den + ERFC_D[i]) * y;
    }
    result = scaledExp(y) * ((num + ERFC_C[7]) / (den + ERFC_D[7]));
  } else if (y >= 26.6) {
    // exp(−y²) underflows to 0 from about here on.
    result = 0;
  } else {
    const ysq = 1 / (y * y);
    let num = ERFC_P[5] * ysq;
    let den = ysq;
    for (let i = 0; i < 4; i++) {
      num = (num + ERFC_P[i]) * ysq;
      den = (den + ERFC_Q[i]) * ysq;
    }
    const r = (ysq * (num + ERFC_P[4])) / (den + ERFC_Q[4]);
    result = scaledExp(y) * ((INV_SQRT_PI - r) / y);
  }
  return x < 0 ? 2 - result : result;
}

const INV_SQRT_PI = 0.56418958354775628695;

const ERF_A = [
  3.1611237438705656, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3,
  1.85777706184603153e-1,
];
const ERF_B = [
  2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3,
];
const ERFC_C = [
  5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1, 2.98635138197400131e2,
  8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3,
  2.15311535474403846e-8,
];
const ERFC_D = [
  1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3,
  3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3,
];
const ERFC_P = [
  3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
  1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2,
];
const ERFC_Q = [
  2.56852019228982242, 1.87295284992346725, 5.27905102951428412e-1, 6.05183413124413191e-2,
  2.33520497626869185e-3,
];

/** exp(−y²) computed as Cody does, splitting y² so its rounding error is not amplified. */
function scaledExp(y: number): number {
  const ysq = Math.trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq) * Math.exp(-del);
}

function waldEstimate(promoters: number, detractors: number, n: number) {
  const p = promoters / n;
  const d = detractors / n;
  const nps = p - d;
  // Rounding can push p + d − (p − d)² a hair below zero when one category holds everything.
  const variance = Math.max(0, p + d - nps * nps);
  return { nps, variance, se: Math.sqrt(variance / n) };
}

function interval(nps: number, se: number, z: number): NpsInterval {
  return { se, low: 100 * (nps - z * se), high: 100 * (nps + z * se) };
}

/**
 * A difference with its normal-theory interval and two-sided p-value. `diff` and `se` are on the
 * 0..1 scale and the result in points (scale 100); other analyses of differences (rates, the
 * difference of two changes, money) pass their own scale so every test in the product is this one.
 */
export function differenceResult(diff: number, se: number, scale = 100): NpsDifference {
  // With zero variance on both sides the difference is known exactly: any non-zero gap is
  // certain and a zero gap is no evidence at all. z is then left out (null): it would be infinite,
  // which JSON cannot carry.
  const z = se > 0 ? diff / se : null;
  const p = z !== null ? twoSidedP(z) : diff === 0 ? 1 : 0;
  return {
    diff: scale * diff,
    se,
    z,
    p,
    low: scale * (diff - Z95 * se),
    high: scale * (diff + Z95 * se),
    significant: p < 0.05,
  };
}

export function emptyDifference(): NpsDifference {
  return { diff: null, se: null, z: null, p: null, low: null, high: null, significant: false };
}

function assertScore(score: number): void {
  if (!isValidScore(score)) throw new RangeError(`NPS score must be an integer 0–10, got ${score}`);
}

function assertCounts(counts: NpsCounts): void {
  for (const key of ['promoters', 'passives', 'detractors'] as const) {
    const value = counts[key];
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`NPS count ${key} must be a finite non-negative number, got ${value}`);
    }
  }
}
