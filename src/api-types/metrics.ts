import { Type } from '@sinclair/typebox';
import { Difference, FigureWindow, NpsFigure } from './figures.ts';
import { Nullable } from './nullable.ts';

// Replies of the insight routes (src/http/metrics.ts and traits.ts).

/** The filters a figure was computed with, as the server read them. */
const Filters = Type.Record(Type.String(), Type.Unknown());

export const NpsReply = Type.Composite([NpsFigure, Type.Object({
  distribution: Type.Array(Type.Integer(), { description: 'Answers per score 0..10' }),
  previous: Nullable(NpsFigure, { description: 'The same filter over the period just before from: as many days when from and to are midnights of the workspace\'s time zone, else the same length of time' }),
  change: Nullable(Difference),
  from: Nullable(Type.String()), to: Nullable(Type.String()),
  window: FigureWindow,
  filters: Filters,
})]);

export const BreakdownRow = Type.Composite([NpsFigure, Type.Object({
  value: Nullable(Type.String()),
  label: Type.String({ description: 'The value as people read it: "SMS" for sms, a survey\'s name for its id, "(not set)" for null' }),
  vsRest: Difference,
  mark: Type.Union([Type.Literal('higher'), Type.Literal('lower'), Type.Null()]),
})]);

export const BreakdownReply = Type.Object({
  by: Type.String(), total: NpsFigure, window: FigureWindow,
  rows: Type.Array(BreakdownRow),
  filters: Filters,
});

export const Annotation = Type.Object({ id: Type.String(), at: Type.String(), kind: Type.String(), label: Type.String(), source: Type.String() });

export const TrendPoint = Type.Composite([NpsFigure, Type.Object({ start: Type.String(), end: Type.String(), change: Nullable(Difference) })]);

export const TrendReply = Type.Object({
  interval: Type.String(), rolling: Nullable(Type.Integer()),
  points: Type.Array(TrendPoint),
  annotations: Type.Array(Annotation, { description: 'Campaigns, releases and notes in the range, to draw on the chart' }),
  window: FigureWindow,
  filters: Filters,
});

export const Benchmark = Type.Object({
  id: Type.String({ description: 'Stable name of the figure, e.g. retail-xm-institute-2023' }),
  industry: Type.String(), nps: Type.Number(), kind: Type.String(), source: Type.String(), year: Type.Integer(), region: Type.String(),
  position: Type.Union([Type.Literal('above'), Type.Literal('below'), Type.Literal('within'), Type.Null()], { description: 'Where the workspace\'s 95% interval lies against the figure' }),
});

export const BenchmarksReply = Type.Object({
  workspace: NpsFigure, previous: NpsFigure, change: Difference,
  industry: Nullable(Type.String(), { description: 'The industry benchmarks holds: the one asked for, else the workspace\'s; null for every figure' }),
  benchmarks: Type.Array(Benchmark, { description: 'The figures of industry' }),
  published: Type.Array(Benchmark, { description: 'Every published figure, by industry' }),
  window: FigureWindow,
  filters: Filters,
});

export const Dimension = Type.Object({ name: Type.String(), values: Type.Array(Type.String()) });
export const DimensionList = Type.Object({ items: Type.Array(Dimension) });

export const TraitSummary = Type.Object({
  name: Type.String({ description: 'As a filter: trait.<name>=<value> (nested traits with dots)' }),
  answers: Type.Integer({ description: 'Answers whose person has this trait set now' }),
  distinct: Type.Integer(),
  values: Type.Array(Type.Object({ value: Type.String(), answers: Type.Integer({ description: 'Answers the filter trait.<name>=<value> keeps (all time)' }) })),
  otherAnswers: Type.Integer({ description: 'Answers with a value not listed' }),
});
export const TraitList = Type.Object({ items: Type.Array(TraitSummary) });
