import type { ExpressionBuilder } from 'kysely';
import { workspaceColumn, type Db } from './db.ts';
import type { Schema } from './schema.ts';

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
export async function answersChangedSince(db: Db, workspaceId: string, since: number, after: FeedPosition | null, limit: number): Promise<AnswerFact[]> {
  const q = db.selectFrom('answers').select(COLUMNS).where('workspace_id', '=', workspaceId).where(changedAfter(since, after));
  return (await q.orderBy('updated_at').orderBy('id').limit(limit).execute()) as AnswerFact[];
}

/** A place in the feed: the change time and id of the last answer read. */
export interface FeedPosition {
  at: number;
  id: string;
}

function changedAfter(since: number, after: FeedPosition | null) {
  return (eb: ExpressionBuilder<Schema, 'answers'>) => after
    ? eb.or([eb('answers.updated_at', '>', after.at), eb.and([eb('answers.updated_at', '=', after.at), eb('answers.id', '>', after.id)])])
    : eb('answers.updated_at', '>=', since);
}

/** What the live feed shows of an answer: the answer and who gave it. */
export interface LiveAnswerRow {
  id: string;
  profile_id: string;
  score: number;
  category: string;
  comment: string | null;
  channel: string;
  survey_id: string | null;
  answered_at: number;
  updated_at: number;
  /** The person's traits (JSON), for their name, email and phone */
  traits: string | null;
  user_id: string | null;
  /** The name of the survey answered, when it names one of the workspace's */
  survey_title: string | null;
}

/** The same feed as answersChangedSince, with what a person watching answers arrive wants to see. */
export async function liveAnswersChangedSince(db: Db, workspaceId: string, since: number, after: FeedPosition | null, limit: number): Promise<LiveAnswerRow[]> {
  return db
    .selectFrom('answers')
    .leftJoin('profiles', (j) => j.onRef('profiles.id', '=', 'answers.profile_id').on('profiles.workspace_id', '=', workspaceId))
    .leftJoin('surveys', (j) => j.onRef('surveys.id', '=', 'answers.survey_id').on('surveys.workspace_id', '=', workspaceId))
    .select([
      'answers.id', 'answers.profile_id', 'answers.score', 'answers.category', 'answers.comment', 'answers.channel', 'answers.survey_id', 'answers.answered_at', 'answers.updated_at',
      'profiles.traits', 'profiles.user_id', 'surveys.name as survey_title',
    ])
    .where('answers.workspace_id', '=', workspaceId)
    .where(changedAfter(since, after))
    .orderBy('answers.updated_at')
    .orderBy('answers.id')
    .limit(limit)
    .execute();
}

/** The latest change time of any answer in the workspace (where the first load's feed starts). */
export async function lastAnswerChange(db: Db, workspaceId: string): Promise<number> {
  const row = await db.selectFrom('answers').select((eb) => eb.fn.max('updated_at').as('t')).where('workspace_id', '=', workspaceId).executeTakeFirst();
  return Number(row?.t ?? 0);
}

export async function answerDeletionsSince(db: Db, workspaceId: string, since: number): Promise<Array<{ answer_id: string; deleted_at: number }>> {
  return db.selectFrom('answer_deletions').select(['answer_id', 'deleted_at']).where('workspace_id', '=', workspaceId).where('deleted_at', '>=', since).execute();
}
