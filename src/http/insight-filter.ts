import { Type } from '@sinclair/typebox';
import type { InsightEngine } from '../analytics/engine.ts';
import { timeZoneOf } from '../analytics/dimensions.ts';
import type { AnswerFilter } from '../analytics/query.ts';
import type { SegmentMembers } from '../analytics/segments.ts';
import type { TraitColumns } from '../analytics/traits.ts';
import { AppError } from '../domain/errors.ts';
import type { Zone } from '../domain/zoned-time.ts';
import type { Store } from '../store/db.ts';
import { getSegment } from '../store/segments.ts';
import { IsoTime, ListQuery, listParam, parseTimeRange } from './schemas.ts';

/** Filters every insight query takes (the dashboard keeps them in its URL): query parameter → dimension. */
const FILTER_DIMS: Record<string, string> = {
  channel: 'channel', surveyId: 'survey', stage: 'stage', campaign: 'campaign', device: 'device', utmSource: 'utmSource',
  hour: 'hour', weekday: 'weekday', daysSinceOrder: 'daysSinceOrder', tenure: 'tenure',
};

export const FILTERS = {
  from: Type.Optional(IsoTime),
  to: Type.Optional(IsoTime),
  ...Object.fromEntries(Object.keys(FILTER_DIMS).map((param) => [param, ListQuery])),
  theme: ListQuery,
  sentiment: ListQuery,
  segment: Type.Optional(Type.String({ maxLength: 100, description: 'A saved segment id: only answers of its people' })),
};

export const FILTER_HELP = 'Filters: from (inclusive) and to (exclusive), ISO 8601 or epoch ms, where a date alone (2026-03-08) or a date-time without an offset is read in the workspace\'s time zone (GET /api/v1/settings/workspace), so a date is its local midnight; segment (a saved segment id), channel, surveyId, stage (journey stage at answer time), campaign, device, utmSource, hour and weekday (on the workspace\'s clocks), daysSinceOrder, tenure, theme (answers whose comment mentions any of these theme ids, GET /api/v1/themes), sentiment (of the comment: negative, neutral, positive), property.<name> for any answer property, and trait.<name> for any profile trait (its current value; nested with dots); each list may be repeated or comma-separated.';

export type Query = Record<string, string | string[] | undefined>;

/** The query string schema of an insight route: the named filters, property.<name> and trait.<name>; anything else is refused by name. */
export const insightQuery = (schema: Record<string, unknown>) => Type.Object(schema as never, {
  additionalProperties: false,
  patternProperties: { '^(property|trait)\\.': Type.Union([Type.String({ maxLength: 1000 }), Type.Array(Type.String({ maxLength: 1000 }))]) },
});

const SENTIMENTS = ['negative', 'neutral', 'positive'];

export function parseFilter(q: Query, zone: Zone): AnswerFilter & { from?: number; to?: number } {
  const { from, to } = parseTimeRange(q, zone);
  const where: Record<string, string[]> = {};
  for (const [param, dim] of Object.entries(FILTER_DIMS)) {
    const values = listParam(q[param]);
    if (values) where[dim] = values;
  }
  Object.assign(where, textFilter(q));
  for (const [key, value] of Object.entries(q)) {
    const kind = key.startsWith('property.') ? 'property' : key.startsWith('trait.') ? 'trait' : null;
    if (!kind) continue;
    if (key.length <= kind.length + 1 || key.length > 209) throw new AppError('invalid', `${key}: name the ${kind}, e.g. ${kind}.plan=pro`, { field: key });
    const values = listParam(value);
    if (values) where[key] = values;
  }
  return { from, to, where };
}

/** theme and sentiment of a query (checked): the filters on what the comments say. */
export function textFilter(q: Query): Record<string, string[]> {
  const where: Record<string, string[]> = {};
  const themes = listParam(q.theme);
  if (themes) where.theme = themes;
  const sentiments = listParam(q.sentiment);
  const wrong = sentiments?.find((v) => !SENTIMENTS.includes(v));
  if (wrong !== undefined) throw new AppError('invalid', `sentiment: "${wrong}" is not one of ${SENTIMENTS.join(', ')}`, { field: 'sentiment' });
  if (sentiments) where.sentiment = sentiments;
  return where;
}

export const filtersEcho = (f: AnswerFilter) => ({ from: f.from != null ? new Date(f.from).toISOString() : null, to: f.to != null ? new Date(f.to).toISOString() : null, where: f.where ?? {}, segment: f.people ? true : undefined });

/** The workspace's answers and the filter a request asks for (dates in its time zone, a segment resolved to its people, traits to columns). */
export function insightLoader(opts: { store: Store; engine: InsightEngine; members: SegmentMembers; traits: TraitColumns }) {
  return async function load(workspaceId: string, q: Query) {
    const cols = await opts.engine.answers(workspaceId);
    const filter = parseFilter(q, timeZoneOf(cols));
    if (q.segment) {
      const segment = await getSegment(opts.store.db, workspaceId, String(q.segment));
      if (!segment) throw new AppError('not_found', `segment: no segment ${q.segment} in this workspace`, { field: 'segment' });
      filter.people = (await opts.members.of(segment, cols)).people;
    }
    const traits = new Set(Object.keys(filter.where ?? {}).filter((k) => k.startsWith('trait.')));
    if (typeof q.by === 'string' && q.by.startsWith('trait.') && q.by.length > 6) traits.add(q.by);
    for (const name of traits) (filter.columns ??= {})[name] = await opts.traits.column(workspaceId, name.slice(6), cols);
    return { cols, filter };
  };
}
