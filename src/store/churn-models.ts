import type { ChurnMetrics, ChurnModel, Factor, ProfileRisk } from '../domain/churn-model.ts';
import type { ChurnDefinition } from '../domain/churn.ts';
import { newId } from '../domain/ids.ts';
import { fromJson, toJson, type Db } from './db.ts';

/** The metrics stored with a model: the fit's, plus how long training took and how many were scored. */
export type StoredMetrics = ChurnMetrics & { trainingMs: number; scored: number };

export interface StoredChurnModel {
  id: string;
  workspaceId: string;
  trainedAt: number;
  definition: ChurnDefinition;
  metrics: StoredMetrics;
  model: ChurnModel;
}

export interface ScoredProfile {
  profileId: string;
  risk: number;
  factors: Factor[];
  scoredAt: number;
  traits: Record<string, unknown>;
}

// Rows per insert: 6 parameters each, far below either backend's limit on bound parameters.
const INSERT_SLICE = 500;
/** Older models are kept for their metrics (accuracy over time), up to this many per workspace. */
const MODELS_KEPT = 20;

const toModel = (r: { id: string; workspace_id: string; trained_at: number; definition: string; metrics: string; model: string }): StoredChurnModel => ({
  id: r.id,
  workspaceId: r.workspace_id,
  trainedAt: Number(r.trained_at),
  definition: fromJson<ChurnDefinition>(r.definition, { inactiveDays: 90, event: null }),
  metrics: fromJson<StoredMetrics>(r.metrics, {} as StoredMetrics),
  model: fromJson<ChurnModel>(r.model, {} as ChurnModel),
});

/**
 * Stores a trained model and its scores, then makes it current. The scores go in first and the model
 * row last, so readers (who follow the newest model row) never see a half-scored model. A training
 * that started earlier but finishes later (two processes) is stored and then cleaned away as old:
 * the newest id wins, and only scores of models older than the current one are deleted, never
 * those of a newer model still being written.
 */
export async function saveChurnModel(db: Db, workspaceId: string, startedAt: number, m: Omit<StoredChurnModel, 'id' | 'workspaceId'>, scores: ProfileRisk[]): Promise<StoredChurnModel> {
  const id = newId('chm', startedAt);
  for (let i = 0; i < scores.length; i += INSERT_SLICE) {
    await db.insertInto('churn_scores').values(scores.slice(i, i + INSERT_SLICE).map((s) => ({
      model_id: id, profile_id: s.profileId, workspace_id: workspaceId, risk: s.risk, factors: toJson(s.factors), scored_at: m.trainedAt,
    }))).execute();
  }
  await db.insertInto('churn_models').values({
    id, workspace_id: workspaceId, trained_at: m.trainedAt, definition: toJson(m.definition), metrics: toJson(m.metrics), model: toJson(m.model),
  }).execute();
  const current = await latestModelId(db, workspaceId);
  if (current) {
    await db.deleteFrom('churn_scores').where('workspace_id', '=', workspaceId).where('model_id', '<', current).execute();
    const keep = await db.selectFrom('churn_models').select('id').where('workspace_id', '=', workspaceId).orderBy('id', 'desc').offset(MODELS_KEPT - 1).limit(1).executeTakeFirst();
    if (keep) await db.deleteFrom('churn_models').where('workspace_id', '=', workspaceId).where('id', '<', keep.id).execute();
  }
  return { id, workspaceId, ...m };
}

export async function latestModelId(db: Db, workspaceId: string): Promise<string | null> {
  const row = await db.selectFrom('churn_models').select('id').where('workspace_id', '=', workspaceId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row?.id ?? null;
}

export async function latestChurnModel(db: Db, workspaceId: string): Promise<StoredChurnModel | null> {
  const row = await db.selectFrom('churn_models').selectAll().where('workspace_id', '=', workspaceId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? toModel(row) : null;
}

/** Earlier models' metrics, newest first: how accuracy moved from one training to the next. */
export async function churnModelHistory(db: Db, workspaceId: string, limit: number): Promise<Array<{ id: string; trainedAt: number; metrics: StoredMetrics }>> {
  const rows = await db.selectFrom('churn_models').select(['id', 'trained_at', 'metrics']).where('workspace_id', '=', workspaceId).orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, trainedAt: Number(r.trained_at), metrics: fromJson<StoredMetrics>(r.metrics, {} as StoredMetrics) }));
}

export interface AtRiskQuery {
  limit: number;
  minRisk?: number;
  /** Continue after this (risk, profile id) */
  after?: { risk: number; profileId: string };
}

/**
 * One model's scores, riskiest first (ties by profile id, descending, so the index is read in one
 * direction), for people still live: a profile merged away since scoring is left out.
 */
export async function atRisk(db: Db, workspaceId: string, modelId: string, q: AtRiskQuery): Promise<ScoredProfile[]> {
  let query = db.selectFrom('churn_scores')
    .innerJoin('profiles', 'profiles.id', 'churn_scores.profile_id')
    .select(['churn_scores.profile_id', 'churn_scores.risk', 'churn_scores.factors', 'churn_scores.scored_at', 'profiles.traits'])
    .where('churn_scores.model_id', '=', modelId)
    .where('profiles.workspace_id', '=', workspaceId)
    .where('profiles.merged_into', 'is', null);
  if (q.minRisk != null) query = query.where('churn_scores.risk', '>=', q.minRisk);
  if (q.after) {
    const a = q.after;
    query = query.where((eb) => eb.or([
      eb('churn_scores.risk', '<', a.risk),
      eb.and([eb('churn_scores.risk', '=', a.risk), eb('churn_scores.profile_id', '<', a.profileId)]),
    ]));
  }
  const rows = await query.orderBy('churn_scores.risk', 'desc').orderBy('churn_scores.profile_id', 'desc').limit(q.limit).execute();
  return rows.map((r) => ({
    profileId: r.profile_id, risk: Number(r.risk), factors: fromJson<Factor[]>(r.factors, []), scoredAt: Number(r.scored_at),
    traits: fromJson<Record<string, unknown>>(r.traits, {}),
  }));
}

export async function scoreOf(db: Db, workspaceId: string, modelId: string, profileId: string): Promise<{ risk: number; factors: Factor[]; scoredAt: number } | null> {
  const row = await db.selectFrom('churn_scores').select(['risk', 'factors', 'scored_at'])
    .where('model_id', '=', modelId).where('profile_id', '=', profileId).where('workspace_id', '=', workspaceId).executeTakeFirst();
  return row ? { risk: Number(row.risk), factors: fromJson<Factor[]>(row.factors, []), scoredAt: Number(row.scored_at) } : null;
}
