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
  /** The comment's analysis (text consumer), null before it is made or without a comment. */
  sentiment?: 'negative' | 'neutral' | 'positive' | null;
  /** JSON: [{ id, mentions: [{ start, end, sentiment: { label } }] }] */
  themes?: string | null;
  analyzed_at?: number | null;
}

const COLUMNS = [
  'answers.id', 'answers.profile_id', 'answers.score', 'answers.channel', 'answers.survey_id', 'answers.stage', 'answers.campaign', 'answers.utm_source', 'answers.device',
  'answers.days_since_last_order', 'answers.days_since_first_seen', 'answers.properties', 'answers.answered_at', 'answers.updated_at',
  'answer_texts.sentiment', 'answer_texts.themes', 'answer_texts.analyzed_at',
] as const;
// Ids go into `in (…)` in slices, well under both backends' limits on bound parameters.
const SLICE = 500;

/** Every answer of a workspace, a page at a time in id order (the first load). */
export async function answersAfter(db: Db, workspaceId: string, afterId: string | null, limit: number): Promise<AnswerFact[]> {
  let q = db.selectFrom('answers').leftJoin('answer_texts', 'answer_texts.answer_id', 'answers.id').select(COLUMNS).where(workspaceColumn(db, 'answers'), '=', workspaceId);
  if (afterId) q = q.where('answers.id', '>', afterId);
  return (await q.orderBy('answers.id').limit(limit).execute()) as AnswerFact[];
}

/** The answers of these ids that exist (the bus said they were created or changed). */
export async function answersByIds(db: Db, workspaceId: string, ids: string[]): Promise<AnswerFact[]> {
  const out: AnswerFact[] = [];
  for (let i = 0; i < ids.length; i += SLICE) {
    // By id alone, so that SQLite walks the primary key rather than the workspace's answers.
    const rows = await db.selectFrom('answers').leftJoin('answer_texts', 'answer_texts.answer_id', 'answers.id')
      .select([...COLUMNS, 'answers.workspace_id']).where('answers.id', 'in', ids.slice(i, i + SLICE)).execute();
    for (const { workspace_id, ...r } of rows) if (workspace_id === workspaceId) out.push(r as AnswerFact);
  }
  return out;
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

/** The answers of these ids that exist, with what a person watching answers arrive wants to see. */
export async function liveAnswersByIds(db: Db, workspaceId: string, ids: string[]): Promise<LiveAnswerRow[]> {
  const out: LiveAnswerRow[] = [];
  for (let i = 0; i < ids.length; i += SLICE) {
    out.push(...(await db
      .selectFrom('answers')
      .leftJoin('profiles', (j) => j.onRef('profiles.id', '=', 'answers.profile_id').on('profiles.workspace_id', '=', workspaceId))
      .leftJoin('surveys', (j) => j.onRef('surveys.id', '=', 'answers.survey_id').on('surveys.workspace_id', '=', workspaceId))
      .select([
        'answers.id', 'answers.profile_id', 'answers.score', 'answers.category', 'answers.comment', 'answers.channel', 'answers.survey_id', 'answers.answered_at', 'answers.updated_at',
        'profiles.traits', 'profiles.user_id', 'surveys.name as survey_title',
      ])
      .select('answers.workspace_id')
      // By id alone (the primary key), the workspace checked on each row, as in answersByIds.
      .where('answers.id', 'in', ids.slice(i, i + SLICE))
      .execute()).flatMap(({ workspace_id, ...r }) => (workspace_id === workspaceId ? [r] : [])));
  }
  return out;
}

/**
 * Of these answers, those that exist and last changed at `since` (ms) or later, with their
 * comments: the answers whose analysis the live feed passes on.
 */
export async function commentsChangedSince(db: Db, workspaceId: string, ids: string[], since: number): Promise<Array<{ id: string; comment: string | null; updated_at: number }>> {
  const out: Array<{ id: string; comment: string | null; updated_at: number }> = [];
  for (let i = 0; i < ids.length; i += SLICE) {
    const rows = await db.selectFrom('answers').select(['answers.id', 'answers.comment', 'answers.updated_at', 'answers.workspace_id'])
      // By id (the primary key), the workspace checked on each row, as in answersByIds.
      .where('answers.id', 'in', ids.slice(i, i + SLICE)).where('answers.updated_at', '>=', since)
      .execute();
    for (const { workspace_id, ...r } of rows) if (workspace_id === workspaceId) out.push({ ...r, updated_at: Number(r.updated_at) });
  }
  return out;
}
