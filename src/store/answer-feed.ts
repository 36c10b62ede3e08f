import { workspaceColumn, type Db } from './db.ts';

/** The answer columns the insight engine keeps in memory. */
export interface AnswerFact {
  id: string;
  profile_id: string;
  score: number;
  channel: string;
  survey_id: string | null;
  stage: string | null;
  campaign: string | null;
  utm_source: string | null;
  device: string | null;
  days_since_last_order: number | null;
  days_since_first_seen: number | null;
  properties: string;
  answered_at: number;
  updated_at: number;
}

const COLUMNS = ['id', 'profile_id', 'score', 'channel', 'survey_id', 'stage', 'campaign', 'utm_source', 'device', 'days_since_last_order', 'days_since_first_seen', 'properties', 'answered_at', 'updated_at'] as const;

/** Every answer of a workspace, a page at a time in id order (the first load). */
export async function answersAfter(db: Db, workspaceId: string, afterId: string | null, limit: number): Promise<AnswerFact[]> {
  let q = db.selectFrom('answers').select(COLUMNS).where(workspaceColumn(db), '=', workspaceId);
  if (afterId) q = q.where('id', '>', afterId);
  return (await q.orderBy('id').limit(limit).execute()) as AnswerFact[];
}

/**
 * Answers created or changed at or after `since` (ms), in (updated_at, id) order; `after` continues
 * a page (a projection slice stamps all its answers with one time, so time alone cannot page).
 */
export async function answersChangedSince(db: Db, workspaceId: string, since: number, after: { at: number; id: string } | null, limit: number): Promise<AnswerFact[]> {
  let q = db.selectFrom('answers').select(COLUMNS).where('workspace_id', '=', workspaceId);
  q = after
    ? q.where((eb) => eb.or([eb('updated_at', '>', after.at), eb.and([eb('updated_at', '=', after.at), eb('id', '>', after.id)])]))
    : q.where('updated_at', '>=', since);
  return (await q.orderBy('updated_at').orderBy('id').limit(limit).execute()) as AnswerFact[];
}

/** The latest change time of any answer in the workspace (where the first load's feed starts). */
export async function lastAnswerChange(db: Db, workspaceId: string): Promise<number> {
  const row = await db.selectFrom('answers').select((eb) => eb.fn.max('updated_at').as('t')).where('workspace_id', '=', workspaceId).executeTakeFirst();
  return Number(row?.t ?? 0);
}

export async function answerDeletionsSince(db: Db, workspaceId: string, since: number): Promise<Array<{ answer_id: string; deleted_at: number }>> {
  return db.selectFrom('answer_deletions').select(['answer_id', 'deleted_at']).where('workspace_id', '=', workspaceId).where('deleted_at', '>=', since).execute();
}
