import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { InsightEngine } from '../analytics/engine.ts';
import { DIMENSIONS, dimension, THEME, UnknownDimension } from '../analytics/dimensions.ts';
import { themeNamer, workspaceTaxonomy } from '../text/taxonomies.ts';
import { breakdown, countDim, overview, previousPeriod, trend } from '../analytics/query.ts';
import { BENCHMARKS, compareToBenchmark, INDUSTRIES } from '../domain/benchmarks.ts';
import { npsDifference, npsSummary } from '../domain/nps.ts';
import type { Interval } from '../domain/zoned-time.ts';
import type { SegmentMembers } from '../analytics/segments.ts';
import type { TraitColumns } from '../analytics/traits.ts';
import type { Store } from '../store/db.ts';
import { preferencesOf, timeZoneOfWorkspace } from '../store/workspaces.ts';
import { surveyTitles } from '../store/surveys.ts';
import { dimensionValueLabel } from '../domain/dimension-labels.ts';
import { addAnnotation, annotationsBetween, deleteAnnotation } from '../store/annotations.ts';
import type { AnnotationTable } from '../store/schema.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError } from '../domain/errors.ts';
import { CsvFormat, round, sendCsv, wantsCsv } from './csv.ts';
import { FILTER_HELP, FILTERS, filtersEcho, insightLoader, insightQuery, type Query } from './insight-filter.ts';
import { figureWindow } from './figures.ts';
import { Annotation as AnnotationView, BenchmarksReply, BreakdownReply, DimensionList, NpsReply, TrendReply } from '../api-types/metrics.ts';
import { IsoTime, parseEventTime, parseTimeParam, secretSecurity, withErrors } from './schemas.ts';

const annotationView = (a: AnnotationTable) => ({ id: a.id, at: new Date(Number(a.at)).toISOString(), kind: a.kind, label: a.label, source: a.source });

// An industry has figures from several sources: the source and year tell them apart.
const benchmarkId = (b: { industry: string; source: string; year: number }) =>
  `${b.industry}-${b.source.split(/[,"]/)[0]}-${b.year}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export async function metricsRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache; engine: InsightEngine; members: SegmentMembers; traits: TraitColumns }) {
  const { engine } = opts;

  const load = insightLoader(opts);
  const secret = authenticate(opts.keys, 'secret');
  const tags = ['insight'];
  const security = secretSecurity;
  app.get('/api/v1/metrics/nps', {
    preValidation: secret,
    schema: {
      tags, security, summary: 'NPS with its 95% interval, counts, shares and the 0–10 distribution; with from and to, the change from the period just before',
      description: FILTER_HELP,
      querystring: insightQuery(FILTERS),
      response: withErrors({ 200: NpsReply }),
    },
  }, async (request) => {
    const { cols, filter } = await load(request.principal.workspaceId, request.query as Query);
    // One pass by score gives both the distribution and the figure.
    const byScore = countDim(cols, filter, 'score').counts;
    const distribution = Array.from({ length: 11 }, (_, s) => byScore[s * 3] + byScore[s * 3 + 1] + byScore[s * 3 + 2]);
    const figure = npsSummary({
      promoters: distribution[9] + distribution[10], passives: distribution[7] + distribution[8],
      detractors: distribution.slice(0, 7).reduce((a, b) => a + b, 0),
    });
    let previous = null;
    let change = null;
    if (filter.from != null && filter.to != null) {
      previous = overview(cols, { ...filter, ...previousPeriod(cols, filter.from, filter.to) });
      change = npsDifference(figure, previous);
    }
    const echo = filtersEcho(filter);
    return { ...figure, distribution, previous, change, from: echo.from, to: echo.to, window: figureWindow(filter.from, filter.to), filters: echo.where };
  });

  app.get('/api/v1/metrics/breakdown', {
    preValidation: secret,
    schema: {
      tags, security, summary: 'NPS per value of a dimension, each with its interval and a mark where it differs significantly from the other answers',
      description: `by: ${DIMENSIONS.join(', ')}. ${FILTER_HELP}`,
      querystring: insightQuery({ ...FILTERS, by: Type.String({ minLength: 1, maxLength: 210, description: 'Dimension, e.g. stage, channel, hour, property.plan, trait.plan' }), format: CsvFormat }),
      response: withErrors({ 200: BreakdownReply }),
    },
  }, async (request, reply) => {
    const q = request.query as Query;
    const { cols, filter } = await load(request.principal.workspaceId, q);
    let result;
    try {
      result = breakdown(cols, filter, String(q.by));
    } catch (err) {
      if (err instanceof UnknownDimension) throw new AppError('invalid', `by: ${err.message}`, { field: 'by' });
      throw err;
    }
    if (wantsCsv(request, q.format as string | undefined)) {
      return sendCsv(reply, `nps-by-${result.by}`, result.rows.map((r) => ({
        [result.by]: r.value ?? '(not set)', answers: r.n, promoters: r.promoters, passives: r.passives, detractors: r.detractors,
        nps: round(r.nps, 1), low: round(r.adjusted.low, 1), high: round(r.adjusted.high, 1), low_sample: r.lowSample,
        vs_rest: round(r.vsRest.diff, 1), p_value: round(r.vsRest.p, 4), significant: r.mark ?? '',
      })));
    }
    // Survey ids read as their names; other values through the one label function the dashboard uses too.
    const themeName = result.by === THEME ? themeNamer(await workspaceTaxonomy(opts.store.db, request.principal.workspaceId)) : (id: string) => id;
    const titles = result.by === 'survey' ? await surveyTitles(opts.store.db, request.principal.workspaceId, result.rows.map((r) => r.value)) : null;
    const rows = result.rows.map((r) => ({ ...r, label: (r.value != null && titles?.get(r.value)) || (result.by === THEME && r.value != null ? themeName(r.value) : dimensionValueLabel(result.by, r.value)) }));
    return { ...result, rows, window: figureWindow(filter.from, filter.to), filters: filtersEcho(filter) };
  });

  app.get('/api/v1/metrics/trend', {
    preValidation: secret,
    schema: {
      tags, security, summary: 'NPS per day, week or month (or over rolling 30/90-day windows), each point with its interval',
      description: `interval: day, week (from Monday) or month, on the calendar of the workspace's time zone (GET /api/v1/settings/workspace): each point starts at local midnight, so a day is 23 or 25 hours when the clocks change, and carries its start and end as instants (ISO 8601, UTC). from=2026-03-08 (a date alone) is local midnight in that zone. rolling: a window in days ending at each point. Without from, the last 30 days, 26 weeks or 12 months. ${FILTER_HELP}`,
      querystring: insightQuery({
        ...FILTERS,
        interval: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { default: 'week' })),
        rolling: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'e.g. 30 or 90' })),
        format: CsvFormat,
      }),
      response: withErrors({ 200: TrendReply }),
    },
  }, async (request, reply) => {
    const q = request.query as Query & { interval?: Interval; rolling?: number };
    const { cols, filter } = await load(request.principal.workspaceId, q);
    const interval = q.interval ?? 'week';
    const to = filter.to ?? Date.now();
    const span = { day: 30, week: 26 * 7, month: 365 }[interval] * 86_400_000;
    const from = filter.from ?? to - span;
    const buckets = (to - from) / ({ day: 1, week: 7, month: 28 }[interval] * 86_400_000);
    if (buckets > 5000) throw new AppError('invalid', `from: ${Math.round(buckets)} ${interval}s is too many points; use a longer interval or a shorter range`, { field: 'from' });
    // from and to place the points; a rolling window reaches back before from.
    const points = trend(cols, { ...filter, from: undefined, to: undefined }, interval, { from, to }, q.rolling);
    if (wantsCsv(request, q.format as string | undefined)) {
      return sendCsv(reply, `nps-${interval}`, points.map((p) => ({
        start: p.start, end: p.end, answers: p.n, nps: round(p.nps, 1), low: round(p.adjusted.low, 1), high: round(p.adjusted.high, 1), low_sample: p.lowSample,
      })));
    }
    const annotations = (await annotationsBetween(opts.store.db, request.principal.workspaceId, from, to)).map(annotationView);
    return { interval, rolling: q.rolling ?? null, points, annotations, window: figureWindow(from, to), filters: filtersEcho({ ...filter, from, to }) };
  });

  app.get('/api/v1/metrics/benchmarks', {
    preValidation: secret,
    schema: {
      tags, security, summary: 'The workspace NPS (with its interval) against published industry figures, each with its source, year and region, and against its own previous period',
      description: `industry: ${INDUSTRIES.join(', ')}; without it, the workspace's industry (PUT /api/v1/settings/workspace), and every published figure when it has none; industry= (empty) asks for every figure. published lists every figure either way, for a picker. From and to default to the last 90 days. ${FILTER_HELP}`,
      querystring: insightQuery({ ...FILTERS, industry: Type.Optional(Type.String({ maxLength: 100 })) }),
      response: withErrors({ 200: BenchmarksReply }),
    },
  }, async (request) => {
    const q = request.query as Query & { industry?: string };
    const asked = q.industry?.trim().toLowerCase();
    if (asked && !INDUSTRIES.includes(asked)) throw new AppError('invalid', `industry: "${q.industry}" has no published figure here; one of ${INDUSTRIES.join(', ')}`, { field: 'industry' });
    // Chosen once in settings, so every page and API caller compares with the same industry by default.
    const industry = asked ?? (await preferencesOf(opts.store.db, request.principal.workspaceId)).industry ?? null;
    const { cols, filter } = await load(request.principal.workspaceId, q);
    filter.to ??= Date.now();
    filter.from ??= filter.to - 90 * 86_400_000;
    const workspace = overview(cols, filter);
    const previous = overview(cols, { ...filter, ...previousPeriod(cols, filter.from, filter.to) });
    const published = BENCHMARKS.map((b) => ({
      ...b, id: benchmarkId(b), position: workspace.adjusted.low == null ? null : compareToBenchmark(workspace.adjusted.low, workspace.adjusted.high!, b),
    })).sort((a, b) => a.industry.localeCompare(b.industry));
    const benchmarks = published.filter((b) => !industry || b.industry === industry);
    return { workspace, previous, change: npsDifference(workspace, previous), industry: industry || null, benchmarks, published, window: figureWindow(filter.from, filter.to), filters: filtersEcho(filter) };
  });

  app.post('/api/v1/annotations', {
    preValidation: secret,
    schema: {
      tags, security, summary: 'Mark a campaign, release or note on trend charts (track events named Campaign Sent or Release Deployed make them too)',
      body: Type.Object({
        at: IsoTime, kind: Type.Union([Type.Literal('campaign'), Type.Literal('release'), Type.Literal('note')]), label: Type.String({ minLength: 1, maxLength: 200 }),
      }, { additionalProperties: false }),
      response: withErrors({ 201: Type.Object({ annotation: AnnotationView }) }),
    },
  }, async (request, reply) => {
    const b = request.body as { at: string; kind: 'campaign' | 'release' | 'note'; label: string };
    const at = parseEventTime(b.at, 'body.at')!;
    reply.status(201);
    return { annotation: annotationView(await addAnnotation(opts.store.db, request.principal.workspaceId, { at, kind: b.kind, label: b.label.trim(), source: 'api' })) };
  });

  app.get('/api/v1/annotations', {
    preValidation: secret,
    schema: {
      tags, security, summary: 'Annotations in a time range (default: the last year)',
      querystring: Type.Object({ from: Type.Optional(IsoTime), to: Type.Optional(IsoTime) }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({ items: Type.Array(AnnotationView) }) }),
    },
  }, async (request) => {
    const q = request.query as { from?: string; to?: string };
    // The zone alone: catching up the workspace's answers is not needed to list its annotations.
    const zone = await timeZoneOfWorkspace(opts.store.db, request.principal.workspaceId);
    const to = parseTimeParam(q.to, 'to', zone) ?? Date.now() + 1;
    const from = parseTimeParam(q.from, 'from', zone) ?? to - 366 * 86_400_000;
    return { items: (await annotationsBetween(opts.store.db, request.principal.workspaceId, from, to)).map(annotationView) };
  });

  app.delete('/api/v1/annotations/:id', {
    preValidation: secret,
    schema: { tags, security, summary: 'Remove an annotation', params: Type.Object({ id: Type.String({ maxLength: 100 }) }), response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await deleteAnnotation(opts.store.db, request.principal.workspaceId, id))) throw new AppError('not_found', `No annotation ${id} in this workspace`);
    reply.status(204);
  });

  app.get('/api/v1/metrics/dimensions', {
    preValidation: secret,
    schema: {
      tags, security, summary: 'What answers can be broken down and filtered by, with the values seen for each',
      response: withErrors({ 200: DimensionList }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const [cols, taxonomy] = await Promise.all([engine.answers(ws), workspaceTaxonomy(opts.store.db, ws)]);
    // Themes are the workspace's current ones: a removed theme's id lingers in the engine's labels.
    const themeIds = taxonomy.themes.map((t) => t.id);
    const items = DIMENSIONS.filter((d) => !d.includes('<')).map((name) => ({
      name, values: name === THEME ? themeIds : dimension(cols, name).labels.filter((l): l is string => l != null).slice(0, 500),
    }));
    return { items };
  });
}
