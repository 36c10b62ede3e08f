import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { drivers, rowsWithTheme } from '../analytics/drivers.ts';
import type { InsightEngine } from '../analytics/engine.ts';
import { matchingRows } from '../analytics/query.ts';
import type { SegmentMembers } from '../analytics/segments.ts';
import type { TraitColumns } from '../analytics/traits.ts';
import { dimensionValueLabel } from '../domain/dimension-labels.ts';
import { answerComments, answersWithIds } from '../store/answers.ts';
import type { Store } from '../store/db.ts';
import { representativeQuotes } from '../text/quotes.ts';
import { themeNamer, workspaceTaxonomy } from '../text/taxonomies.ts';
import { DriversReply } from '../api-types/drivers.ts';
import { namedAnswers } from './answer-views.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { CsvFormat, round, sendCsv, wantsCsv } from './csv.ts';
import { figureWindow } from './figures.ts';
import { FILTER_HELP, FILTERS, filtersEcho, insightLoader, insightQuery, type Query } from './insight-filter.ts';
import { secretSecurity, withErrors } from './schemas.ts';

/** Comments considered per theme for its quotes: the newest. */
const QUOTE_CANDIDATES = 200;

/** Why they score what they score: each theme's impact on NPS, with quotes. */
export async function driverRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache; engine: InsightEngine; members: SegmentMembers; traits: TraitColumns }) {
  const load = insightLoader(opts);
  const db = opts.store.db;

  app.get('/api/v1/metrics/drivers', {
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['insight'], security: secretSecurity,
      summary: 'Themes of the comments ranked by what they cost or earn in NPS points, each with its 95% interval, net sentiment, weekly trend, channel and stage split, and the most representative quotes',
      description: `Impact = NPS of all answers − NPS of the answers not mentioning the theme (docs/STATS.md, "Driver analysis"); pointsLost and pointsGained split 100 − NPS and NPS + 100 among the themes by regression, so the parts add up. An answer counts once per theme its comment mentions. weeks: trend length (default 12). quotes: per theme (0–10, default 3). format=csv: one row per theme. ${FILTER_HELP}`,
      querystring: insightQuery({
        ...FILTERS,
        weeks: Type.Optional(Type.Integer({ minimum: 1, maximum: 104, default: 12 })),
        quotes: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, default: 3 })),
        format: CsvFormat,
      }),
      response: withErrors({ 200: DriversReply }),
    },
  }, async (request, reply) => {
    const q = request.query as Query & { weeks?: number; quotes?: number };
    const ws = request.principal.workspaceId;
    const { cols, filter } = await load(ws, q);
    const result = drivers(cols, filter, { weeks: q.weeks });
    const themeName = themeNamer(await workspaceTaxonomy(db, ws));
    if (wantsCsv(request, q.format as string | undefined)) {
      return sendCsv(reply, 'nps-drivers', result.themes.map((t) => ({
        theme: themeName(t.id), theme_id: t.id, mentions: t.mentions, share: round(t.share, 4),
        nps_with: round(t.with.nps, 1), nps_without: round(t.without.nps, 1), difference: round(t.difference.diff, 1), p_value: round(t.difference.p, 4),
        impact: round(t.impact, 2), impact_low: round(t.impactLow, 2), impact_high: round(t.impactHigh, 2), readable: t.readable, why: t.why ?? '',
        positive: t.positive, negative: t.negative, net_sentiment: round(t.netSentiment, 1),
        points_lost: round(t.pointsLost, 2), points_gained: round(t.pointsGained, 2), coefficient: round(t.coefficient, 4),
      })));
    }
    const perQuote = q.quotes ?? 3;
    const quotes = new Map<string, string[]>();
    if (perQuote > 0) {
      const kept = matchingRows(cols, filter);
      const candidates = new Map(result.themes.map((t) => [t.id, rowsWithTheme(cols, kept, t.id, QUOTE_CANDIDATES).map((row) => cols.ids[row])]));
      const comments = await answerComments(db, ws, [...new Set([...candidates.values()].flat())]);
      for (const [id, answerIds] of candidates) {
        const texts = answerIds.flatMap((a) => (comments.get(a) ? [{ id: a, text: comments.get(a)! }] : []));
        quotes.set(id, representativeQuotes(texts, perQuote));
      }
    }
    const shown = new Map((await namedAnswers(db, ws, await answersWithIds(db, ws, [...new Set([...quotes.values()].flat())]))).map((a) => [a.id, a]));
    const label = (dimension: string) => (v: { value: string | null; n: number; nps: number | null }) => ({ ...v, label: dimensionValueLabel(dimension, v.value) });
    return {
      ...result,
      themes: result.themes.map((t) => ({
        ...t, name: themeName(t.id),
        byChannel: t.byChannel.map(label('channel')), byStage: t.byStage.map(label('stage')),
        quotes: (quotes.get(t.id) ?? []).flatMap((id) => shown.get(id) ?? []),
      })),
      window: figureWindow(filter.from, filter.to),
      filters: filtersEcho(filter),
    };
  });
}
