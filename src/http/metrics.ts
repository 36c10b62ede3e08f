import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { npsMetrics } from '../analytics/nps-metrics.ts';
import type { Store } from '../store/db.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { HttpError } from './errors.ts';
import { IsoTime, listParam, ListQuery, parseTimeParam, secretSecurity, withErrors } from './schemas.ts';

const Interval = Type.Object({ se: Type.Union([Type.Number(), Type.Null()]), low: Type.Union([Type.Number(), Type.Null()]), high: Type.Union([Type.Number(), Type.Null()]) });
const Nullable = Type.Union([Type.Number(), Type.Null()]);
export const NpsFigure = Type.Object({
  n: Type.Integer(), promoters: Type.Integer(), passives: Type.Integer(), detractors: Type.Integer(),
  promoterShare: Nullable, passiveShare: Nullable, detractorShare: Nullable,
  nps: Type.Union([Type.Number(), Type.Null()], { description: 'Points, −100..100, unrounded' }),
  wald: Interval,
  adjusted: Type.Object({ nps: Nullable, se: Nullable, low: Nullable, high: Nullable }, { description: 'Adjusted-Wald 95% interval (recommended; STATS.md)' }),
  lowSample: Type.Boolean({ description: 'True when the interval is wider than ±10 points' }),
  margin: Nullable,
});

export async function metricsRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache }) {
  app.get('/api/v1/metrics/nps', {
    preHandler: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['metrics'],
      summary: 'NPS with its 95% interval, counts and shares for a time range',
      description: 'Filters: from (inclusive), to (exclusive), channel, surveyId, stage (journey stage at answer time); lists may be repeated or comma-separated.',
      security: secretSecurity,
      querystring: Type.Object({ from: Type.Optional(IsoTime), to: Type.Optional(IsoTime), channel: ListQuery, surveyId: ListQuery, stage: ListQuery }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Composite([NpsFigure, Type.Object({ from: Type.Union([Type.String(), Type.Null()]), to: Type.Union([Type.String(), Type.Null()]), filters: Type.Record(Type.String(), Type.Unknown()) })]) }),
    },
  }, async (request) => {
    const q = request.query as Record<string, string | string[] | undefined>;
    const from = parseTimeParam(q.from as string | undefined, 'from');
    const to = parseTimeParam(q.to as string | undefined, 'to');
    if (from != null && to != null && from >= to) throw new HttpError(400, 'to: must be after from', 'to');
    return npsMetrics(opts.store.db, request.principal.workspaceId, {
      from, to, channel: listParam(q.channel), surveyId: listParam(q.surveyId), stage: listParam(q.stage),
    });
  });
}
