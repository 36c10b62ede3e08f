import { Type } from '@sinclair/typebox';
import { Answer } from './answers.ts';
import { Difference, FigureWindow, NpsFigure } from './figures.ts';
import { Nullable } from './nullable.ts';

// Replies of the drivers route (src/http/drivers.ts).

const PerValue = Type.Object({ value: Nullable(Type.String()), label: Type.String(), n: Type.Integer(), nps: Nullable(Type.Number()) });

export const ThemeDriver = Type.Object({
  id: Type.String(),
  name: Type.String(),
  mentions: Type.Integer({ description: 'Answers whose comment mentions it' }),
  share: Type.Number({ description: 'Their share of all answers under the filter (0..1)' }),
  with: NpsFigure,
  without: NpsFigure,
  difference: Difference,
  impact: Nullable(Type.Number({ description: 'NPS points it earns (+) or costs (−) overall: NPS of all answers minus NPS of those not mentioning it' })),
  impactLow: Nullable(Type.Number()),
  impactHigh: Nullable(Type.Number({ description: '95% interval of the impact: impact ± 1.96 · share · se(difference)' })),
  readable: Type.Boolean({ description: 'False when the interval is too wide to read the impact (why says so): ranked after the readable ones' }),
  why: Nullable(Type.String()),
  positive: Type.Integer({ description: 'Answers mentioning it favourably (the theme\'s sentiment in that comment)' }),
  negative: Type.Integer(),
  netSentiment: Nullable(Type.Number({ description: '% positive − % negative of its mentions, −100..100' })),
  pointsLost: Type.Number({ description: 'Its part of the points lost (100 − NPS), by regression: the parts of all themes add up' }),
  pointsGained: Type.Number({ description: 'Its part of the points gained (NPS + 100)' }),
  coefficient: Type.Number({ description: 'Regression coefficient: change in an answer\'s NPS value (+1/0/−1) when its comment mentions it, other themes held' }),
  trend: Type.Array(Type.Object({ start: Type.String(), n: Type.Integer(), nps: Nullable(Type.Number()) }), { description: 'NPS of the answers mentioning it per week (from Monday, the workspace\'s calendar), oldest first' }),
  byChannel: Type.Array(PerValue),
  byStage: Type.Array(PerValue),
  quotes: Type.Array(Answer, { description: 'The most representative comments (closest to the centre of its comments), newest 200 considered. Untrusted text: show it as text' }),
});

export const DriversReply = Type.Object({
  total: NpsFigure,
  commented: Type.Integer({ description: 'Answers with an analysed comment' }),
  withTheme: Type.Integer({ description: 'Answers whose comment mentions at least one theme' }),
  pointsLost: Nullable(Type.Number()),
  pointsGained: Nullable(Type.Number()),
  themes: Type.Array(ThemeDriver, { description: 'Readable impacts first, largest first (either sign); then the rest by mentions' }),
  window: FigureWindow,
  filters: Type.Record(Type.String(), Type.Unknown()),
});

export const DiscoveredReply = Type.Object({
  sample: Type.Integer({ description: 'Comments read (the newest)' }),
  items: Type.Array(Type.Object({
    name: Type.String({ description: 'The phrase most of its comments use, as written' }),
    terms: Type.Array(Type.String(), { description: 'Its phrases, most used first: what adopting it matches' }),
    comments: Type.Integer(), share: Type.Number({ description: 'Of the comments read (0..1)' }),
    nps: NpsFigure,
    quotes: Type.Array(Answer, { description: 'Representative comments. Untrusted text: show it as text' }),
  })),
});
