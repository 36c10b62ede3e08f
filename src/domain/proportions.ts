/**
 * Rates (churned, still buying, repeat buyers) and means (revenue per customer) with their
 * uncertainty, for comparing behaviour between NPS categories. Shares are on the 0..1 scale like
 * NPS shares, differences of shares in percentage points like NPS differences; means and their
 * differences are in the data's own unit.
 */
import { differenceResult, emptyDifference, Z95, type NpsDifference } from './nps.ts';

export interface Proportion {
  count: number;
  n: number;
  /** count / n, null when n is 0. */
  share: number | null;
  /** Wilson 95% interval on the 0..1 scale. */
  low: number | null;
  high: number | null;
}

/**
 * Wilson score interval: unlike Wald it stays inside 0..1 and keeps a sensible width at small n
 * or at 0% and 100%, which churn rates of small categories often are.
 */
export function proportion(count: number, n: number, z = Z95): Proportion {
  if (n <= 0) return { count, n, share: null, low: null, high: null };
  const p = count / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { count, n, share: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * share_a − share_b of two independent groups in percentage points, with the unpooled (Wald)
 * standard error for both the interval and the test, so that "significant" and "the interval
 * excludes 0" always agree.
 */
export function proportionDifference(a: { count: number; n: number }, b: { count: number; n: number }): NpsDifference {
  if (a.n <= 0 || b.n <= 0) return emptyDifference();
  const pa = a.count / a.n;
  const pb = b.count / b.n;
  return differenceResult(pa - pb, Math.sqrt((pa * (1 - pa)) / a.n + (pb * (1 - pb)) / b.n));
}

/** Running sums of one group's values (e.g. revenue per customer), enough for a mean and its variance. */
export interface Moments {
  n: number;
  sum: number;
  sumSquares: number;
}

export const emptyMoments = (): Moments => ({ n: 0, sum: 0, sumSquares: 0 });

export function addValue(m: Moments, x: number): void {
  m.n++;
  m.sum += x;
  m.sumSquares += x * x;
}

export const meanOf = (m: Moments): number | null => (m.n ? m.sum / m.n : null);

/**
 * mean_a − mean_b (Welch: each group's own variance). With the normal quantile rather than
 * Student's t, which differs little at the group sizes where the comparison is worth showing.
 */
export function meanDifference(a: Moments, b: Moments): NpsDifference {
  if (a.n < 2 || b.n < 2) return emptyDifference();
  const variance = (m: Moments) => Math.max(0, (m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1));
  return differenceResult(a.sum / a.n - b.sum / b.n, Math.sqrt(variance(a) / a.n + variance(b) / b.n), 1);
}
