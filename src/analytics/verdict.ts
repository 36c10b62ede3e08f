import { LOW_SAMPLE_MARGIN, type NpsDifference } from '../domain/nps.ts';

/**
 * Below this many answers on a side the normal approximation behind the p-value is poor and the
 * interval of an NPS difference is wider than ±35 points, so a verdict would only be noise.
 */
export const MIN_ANSWERS = 30;

export type Finding = 'higher' | 'lower' | 'no-effect' | 'inconclusive' | 'too-few' | 'nobody-exposed';

export interface Verdict {
  finding: Finding;
  text: string;
}

const MINUS = '\u2212';

/** "+8.1", "−1.2": the sign always shown, as a change reads. */
export function signed(x: number, digits = 1): string {
  const s = Math.abs(x).toFixed(digits);
  if (Number(s) === 0) return s;
  return (x < 0 ? MINUS : '+') + s;
}

export function formatP(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p < 0.01 ? p.toFixed(3) : p.toFixed(2)}`;
}

/**
 * A difference in plain words, e.g. "+8.1 points, significant (p = 0.003)". Not significant splits
 * in two: a narrow interval around zero is evidence of no effect worth having, a wide one is not
 * evidence of anything, and saying "no effect" then would be wrong.
 */
export function differenceVerdict(d: NpsDifference, smallest: number, unit = 'points'): Verdict {
  if (d.diff == null || d.low == null || d.high == null || d.p == null || smallest < MIN_ANSWERS) {
    return { finding: 'too-few', text: `too few answers to say (n = ${smallest}; at least ${MIN_ANSWERS} needed)` };
  }
  const size = `${signed(d.diff)} ${unit}`;
  if (d.significant) return { finding: d.diff > 0 ? 'higher' : 'lower', text: `${size}, significant (${formatP(d.p)})` };
  const range = `95% interval ${signed(d.low)} to ${signed(d.high)}`;
  if (d.high - d.low <= 2 * LOW_SAMPLE_MARGIN) {
    return { finding: 'no-effect', text: `${size}, not significant (${formatP(d.p)}): no measurable effect (${range})` };
  }
  return { finding: 'inconclusive', text: `${size}, not significant (${formatP(d.p)}): inconclusive, the ${range} allows an effect either way` };
}
