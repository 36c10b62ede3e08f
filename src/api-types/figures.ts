import { Type } from '@sinclair/typebox';

// Statistical figures as every insight route describes them, so a difference or a rate reads the
// same in each reply and in the OpenAPI document.

const Num = Type.Union([Type.Number(), Type.Null()]);
const Interval95 = Type.Object({ se: Num, low: Num, high: Num });

export const NpsFigure = Type.Object({
  n: Type.Integer(), promoters: Type.Integer(), passives: Type.Integer(), detractors: Type.Integer(),
  promoterShare: Num, passiveShare: Num, detractorShare: Num,
  nps: Type.Union([Type.Number(), Type.Null()], { description: 'Points, −100..100, unrounded' }),
  wald: Interval95,
  adjusted: Type.Object({ nps: Num, se: Num, low: Num, high: Num }, { description: 'Adjusted-Wald 95% interval (recommended; STATS.md)' }),
  lowSample: Type.Boolean({ description: 'True when the interval is wider than ±10 points' }),
  margin: Num,
});

export const Difference = Type.Object({
  diff: Num, se: Num, z: Num, p: Num, low: Num, high: Num, significant: Type.Boolean(),
}, { description: 'Difference in points with its 95% interval and two-sided p-value' });

export const Proportion = Type.Object({
  count: Type.Integer(), n: Type.Integer(),
  share: Type.Union([Type.Number(), Type.Null()], { description: 'count / n, 0..1' }),
  low: Num, high: Num,
}, { description: 'A rate with its Wilson 95% interval (0..1)' });

export const Verdict = Type.Object({
  finding: Type.Union((['higher', 'lower', 'no-effect', 'inconclusive', 'too-few', 'nobody-exposed'] as const).map((f) => Type.Literal(f)), {
    description: 'higher/lower: significant; no-effect: not significant with an interval within ±10 points; inconclusive: not significant with a wider interval; too-few: under 30 answers on a side',
  }),
  text: Type.String({ description: 'In plain words, e.g. "+8.1 points, significant (p = 0.003)"' }),
});

/**
 * The time a figure covers, as instants, so a page can say it in words ("last 90 days", "all answers
 * up to Sep 6") from what the server used rather than from what it guesses the server used.
 */
export const FigureWindow = Type.Object({
  from: Type.Union([Type.String(), Type.Null()], { description: 'First instant counted (inclusive), ISO 8601; null: from the first answer' }),
  to: Type.String({ description: 'End (exclusive), ISO 8601: the to asked for, else the moment the figure was computed' }),
}, { description: 'The time the figure covers' });
