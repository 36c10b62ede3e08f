import { newId } from '../domain/ids.ts';
import { fromJson, toJson, type Db } from './db.ts';

/** Older models stay for their held-out accuracy (how the model moved), up to this many per workspace. */
const MODELS_KEPT = 5;

/** What the store needs to know of a model (src/text/model.ts SentimentModel); the rest is kept as it is. */
export interface TextModelShape {
  trainedAt: number;
  examples: number;
  evaluation: unknown;
}

/** Stores a trained model and makes it current (the newest id is), keeping the last few. */
export async function saveTextModel<M extends TextModelShape>(db: Db, workspaceId: string, model: M): Promise<{ id: string; model: M }> {
  const id = newId('txm', model.trainedAt);
  await db.insertInto('text_models').values({
    id, workspace_id: workspaceId, trained_at: model.trainedAt, examples: model.examples,
    evaluation: model.evaluation ? toJson(model.evaluation) : null, model: toJson(model),
  }).execute();
  const keep = await db.selectFrom('text_models').select('id').where('workspace_id', '=', workspaceId).orderBy('id', 'desc').offset(MODELS_KEPT - 1).limit(1).executeTakeFirst();
  if (keep) await db.deleteFrom('text_models').where('workspace_id', '=', workspaceId).where('id', '<', keep.id).execute();
  return { id, model };
}

export async function latestTextModelId(db: Db, workspaceId: string): Promise<string | null> {
  return (await latestTextModel(db, workspaceId))?.id ?? null;
}

/** The current model's id and when it was trained, without the model itself. */
export async function latestTextModel(db: Db, workspaceId: string): Promise<{ id: string; trainedAt: number } | null> {
  const row = await db.selectFrom('text_models').select(['id', 'trained_at']).where('workspace_id', '=', workspaceId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? { id: row.id, trainedAt: Number(row.trained_at) } : null;
}

export async function textModelById<M extends TextModelShape>(db: Db, workspaceId: string, id: string): Promise<M | null> {
  const row = await db.selectFrom('text_models').select('model').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  return row ? fromJson<M | null>(row.model, null) : null;
}
