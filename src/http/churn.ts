import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { NotEnoughHistory, plainName } from '../analytics/churn-model.ts';
import type { Factor } from '../domain/churn-model.ts';
import { effectText, reasonText } from '../analytics/churn-reasons.ts';
import { retrainChurnModel, sameDefinition } from '../analytics/churn-training.ts';
import type { InsightEngine } from '../analytics/engine.ts';
import { decodeCursor, encodeCursor } from '../domain/cursor.ts';
import { atRisk, churnModelHistory, latestChurnModel, scoreOf, type StoredChurnModel } from '../store/churn-models.ts';
import type { Preferences } from '../domain/preferences.ts';
import type { Store } from '../store/db.ts';
import { getProfileRow } from '../store/profiles.ts';
import { churnDefinitionOf, preferencesOf } from '../store/workspaces.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { CsvFormat, round, sendCsv, wantsCsv } from './csv.ts';
import { AppError } from '../domain/errors.ts';
import { Cursor, secretSecurity, withErrors } from './schemas.ts';
import { AtRiskPage, ChurnModelReply, ChurnRisk, ModelView } from '../api-types/churn.ts';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

function modelView(m: StoredChurnModel, current: { inactiveDays: number; event: string | null }) {
  const coefficients = m.model.features.map((feature, j) => ({
    feature, name: plainName(feature), effect: effectText(feature, m.model.coefficients[j]), coefficient: m.model.coefficients[j], oddsRatio: Math.exp(m.model.coefficients[j]),
    mean: m.model.means[j], sd: m.model.sds[j],
  })).sort((a, b) => Math.abs(b.coefficient) - Math.abs(a.coefficient));
  const x = m.metrics;
  return {
    id: m.id, trainedAt: iso(m.trainedAt), definition: { inactiveDays: m.definition.inactiveDays, event: m.definition.event ?? null },
    definitionChanged: !sameDefinition(m.definition, current),
    auc: x.auc, aucInterval: x.aucInterval, folds: x.folds, baseRate: x.baseRate, customers: x.customers, churned: x.churned,
    cutoff: iso(x.cutoff), scored: x.scored, trainingMs: x.trainingMs, converged: x.converged, intercept: m.model.intercept, coefficients,
  };
}

const modelRef = (m: StoredChurnModel) => ({ id: m.id, trainedAt: iso(m.trainedAt), auc: m.metrics.auc });

/**
 * A person's stored reasons, worded now: in the workspace's currency and with "last week" counted
 * from today, split into what raises the risk and what lowers it. Reasons stored before their
 * facts were kept keep their stored words.
 */
function reasons(stored: Factor[], prefs: Preferences, scoredAt: number, now: number) {
  const elapsedDays = Math.max(0, (now - scoredAt) / DAY);
  const worded = stored.flatMap((f) => {
    const text = f.facts ? reasonText(f.feature, f.facts, prefs, elapsedDays) : f.text;
    return text ? [{ text, feature: f.feature, contribution: f.contribution }] : [];
  });
  return { factors: worded.filter((f) => f.contribution > 0), lowering: worded.filter((f) => f.contribution < 0) };
}

/** A trait shown beside a person: only text, and not much of it (traits are whatever was sent). */
function traitText(traits: Record<string, unknown>, key: string): string | null {
  const v = traits[key];
  return typeof v === 'string' && v ? v.slice(0, 200) : null;
}

function parseCursor(cursor: string | undefined): { risk: number; profileId: string } | undefined {
  if (!cursor) return undefined;
  const c = decodeCursor(cursor);
  if (!c) throw new AppError('invalid', 'cursor: pass back nextCursor from the previous page', { field: 'cursor' });
  return { risk: c.n, profileId: c.id };
}

const NO_MODEL = 'No churn model yet in this workspace: POST /api/v1/churn/model trains one (the clock also trains one each day once there are orders)';

export async function churnRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache; engine: InsightEngine }) {
  const db = opts.store.db;
  const secret = authenticate(opts.keys, 'secret');
  const tags = ['churn'];
  const security = secretSecurity;

  // No model yet is a state of the workspace, not a missing resource: each read answers 200 with
  // model null and the reason, so a dashboard shows it without an error.
  const current = (workspaceId: string) => latestChurnModel(db, workspaceId);

  app.post('/api/v1/churn/model', {
    preValidation: [secret, async (request) => {
      // The usual call has no body; it means the same as {} and is validated as that.
      request.body ??= {};
    }],
    schema: {
      tags, security,
      summary: 'Retrain the churn-risk model now on this workspace\'s history and score every active customer; answers with its cross-validated accuracy (409 when there is too little history)',
      body: Type.Object({}, { additionalProperties: false, description: 'Nothing to send: the workspace\'s churn definition (PUT /api/v1/settings/churn) is used' }),
      response: withErrors({ 201: Type.Object({ model: ModelView }) }),
    },
  }, async (request, reply) => {
    const ws = request.principal.workspaceId;
    try {
      const m = await retrainChurnModel(db, opts.engine, ws);
      reply.status(201);
      return { model: modelView(m, m.definition) };
    } catch (err) {
      if (err instanceof NotEnoughHistory) throw new AppError('conflict', err.message);
      throw err;
    }
  });

  app.get('/api/v1/churn/model', {
    preValidation: secret,
    schema: {
      tags, security,
      summary: 'The current churn-risk model: held-out AUC, base rate, counts, the churn definition it learnt, its coefficients, and earlier models\' accuracy',
      response: withErrors({ 200: ChurnModelReply }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const m = await current(ws);
    if (!m) return { model: null, reason: NO_MODEL, history: [] };
    const history = await churnModelHistory(db, ws, 20);
    return {
      model: modelView(m, await churnDefinitionOf(db, ws)),
      history: history.map((h) => ({ id: h.id, trainedAt: iso(h.trainedAt), auc: h.metrics.auc, baseRate: h.metrics.baseRate, customers: h.metrics.customers })),
    };
  });

  app.get('/api/v1/churn/at-risk', {
    preValidation: secret,
    schema: {
      tags, security,
      summary: 'Active customers by churn risk, highest first, each with the top reasons in words; JSON or CSV',
      querystring: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 50 })),
        minRisk: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Only risks at or above this (0–1)' })),
        cursor: Cursor,
        format: CsvFormat,
      }, { additionalProperties: false }),
      response: withErrors({ 200: AtRiskPage }),
    },
  }, async (request, reply) => {
    const ws = request.principal.workspaceId;
    const q = request.query as { limit: number; minRisk?: number; cursor?: string; format?: 'json' | 'csv' };
    const after = parseCursor(q.cursor);
    const m = await current(ws);
    const rows = m ? await atRisk(db, ws, m.id, { limit: q.limit + 1, minRisk: q.minRisk, after }) : [];
    const page = rows.slice(0, q.limit);
    const prefs = await preferencesOf(db, ws);
    const now = Date.now();
    const items = page.map((r) => ({
      profileId: r.profileId, email: traitText(r.traits, 'email'), name: traitText(r.traits, 'name'), risk: r.risk,
      ...reasons(r.factors, prefs, r.scoredAt, now), scoredAt: iso(r.scoredAt),
    }));
    const last = page[page.length - 1];
    const nextCursor = rows.length > q.limit ? encodeCursor(last.risk, last.profileId) : null;
    if (wantsCsv(request, q.format)) {
      return sendCsv(reply, 'churn-at-risk', items.map((i) => ({
        profile_id: i.profileId, email: i.email, name: i.name, risk: round(i.risk, 4),
        reason_1: i.factors[0]?.text ?? '', reason_2: i.factors[1]?.text ?? '', reason_3: i.factors[2]?.text ?? '', scored_at: i.scoredAt,
      })));
    }
    return m ? { model: modelRef(m), items, nextCursor } : { model: null, reason: NO_MODEL, items: [], nextCursor: null };
  });

  app.get('/api/v1/profiles/:id/churn-risk', {
    preValidation: secret,
    schema: {
      tags: ['churn', 'profiles'], security,
      summary: 'One person\'s churn risk from the current model with its top reasons, or why they have none (not a customer yet, already churned)',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
      response: withErrors({ 200: ChurnRisk }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const profile = await getProfileRow(db, ws, id);
    if (!profile) throw new AppError('not_found', `No profile ${id} in this workspace`);
    const m = await current(ws);
    if (!m) return { profileId: profile.id, model: null, risk: null, factors: [], lowering: [], scoredAt: null, status: 'not-scored' as const, reason: NO_MODEL };
    const score = await scoreOf(db, ws, m.id, profile.id);
    const base = { profileId: profile.id, model: modelRef(m), scoredAt: iso(m.trainedAt) };
    if (score) {
      return { ...base, risk: score.risk, ...reasons(score.factors, await preferencesOf(db, ws), score.scoredAt, Date.now()), status: 'scored' as const, reason: null };
    }
    return { ...base, risk: null, factors: [], lowering: [], status: 'not-scored' as const, reason: unscoredReason(profile, m) };
  });
}

/** Why the model gave someone no risk, from what their profile says now. */
function unscoredReason(p: { first_seen_at: number; last_order_at: number | null }, m: StoredChurnModel): string {
  const days = m.definition.inactiveDays;
  if (Number(p.first_seen_at) >= m.trainedAt) return 'first seen after the model was trained; the next training scores them';
  if (p.last_order_at == null) return 'no order yet: only customers are scored';
  const lastOrder = Number(p.last_order_at);
  if (lastOrder >= m.trainedAt) return 'ordered again after the model was trained; the next training scores them';
  if (m.trainedAt - lastOrder >= days * DAY) return `already churned when the model was trained: no order for ${Math.floor((m.trainedAt - lastOrder) / DAY)} days (the definition is ${days})`;
  return m.definition.event ? `already churned when the model was trained: "${m.definition.event}" since their last order` : 'not active when the model was trained';
}
