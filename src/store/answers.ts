import { eventPropertiesOf } from './batches.ts';
import { categoryOf } from '../domain/category.ts';
import type { AnswerPatch } from '../domain/commands.ts';
import { decodeCursor, encodeCursor } from '../domain/cursor.ts';
import { sql } from 'kysely';
import { fromJson, writeTransaction, type Db, type Tx } from './db.ts';
import { appendWorkspaceFacts } from './facts.ts';
import { forgetAnswerTexts } from './answer-texts.ts';
import { recomputeLatestNps } from './projector.ts';
import type { AnswerTable } from './schema.ts';

export function answerView(a: AnswerTable) {
  return {
    id: a.id,
    profileId: a.profile_id,
    eventId: a.event_id,
    messageId: a.message_id,
    score: a.score,
    category: a.category,
    comment: a.comment,
    channel: a.channel,
    surveyId: a.survey_id,
    surveyVersion: a.survey_version,
    csat: a.csat ?? null,
    ces: a.ces ?? null,
    contactId: a.contact_id ?? null,
    properties: fromJson<Record<string, unknown>>(a.properties, {}),
    context: {
      journeyStage: a.stage,
      daysSinceLastOrder: a.days_since_last_order,
      daysSinceFirstSeen: a.days_since_first_seen,
      campaign: a.campaign,
      utmSource: a.utm_source,
      device: a.device,
    },
    answeredAt: new Date(a.answered_at).toISOString(),
    createdAt: new Date(a.created_at).toISOString(),
    updatedAt: new Date(a.updated_at).toISOString(),
  };
}
export type AnswerView = ReturnType<typeof answerView>;

export async function getAnswer(db: Db, workspaceId: string, id: string): Promise<AnswerTable | null> {
  return (await db.selectFrom('answers').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()) ?? null;
}

/** The answers of these ids in this workspace, in the order given (those that exist). */
export async function answersWithIds(db: Db, workspaceId: string, ids: string[]): Promise<AnswerTable[]> {
  const byId = new Map<string, AnswerTable>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of await db.selectFrom('answers').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', ids.slice(i, i + 500)).execute()) byId.set(r.id, r);
  }
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * Changes an answer after the fact (a comment added, a second click on another score in an email).
 * The answer's `NPS Survey Responded` event follows so both tell the same story, and the profile's
 * latest score is worked out again when the score moved. The writer's command (writer.apply).
 */
export async function updateAnswer(db: Db, workspaceId: string, id: string, patch: AnswerPatch, now = Date.now()): Promise<AnswerTable | null> {
  return writeTransaction(db, async (tx) => {
    const a = await tx.selectFrom('answers').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
    if (!a) return null;
    const next: AnswerTable = { ...a, updated_at: now };
    if (patch.score !== undefined) Object.assign(next, { score: patch.score, category: categoryOf(patch.score) });
    if (patch.comment !== undefined) next.comment = patch.comment;
    if (patch.csat !== undefined) next.csat = patch.csat;
    if (patch.ces !== undefined) next.ces = patch.ces;
    await tx.updateTable('answers').set({ score: next.score, category: next.category, comment: next.comment, csat: next.csat, ces: next.ces, updated_at: now }).where('id', '=', id).execute();
    const ev = await tx.selectFrom('events').select(['properties', 'batch_id', 'batch_position']).where('id', '=', a.event_id).executeTakeFirst();
    if (ev) {
      // The edited properties are the row's own from now on; the accepted message stays as it came.
      const props = (await eventPropertiesOf(tx, ev)) ?? {};
      for (const [key, value] of [['score', next.score], ['comment', next.comment], ['csat', next.csat], ['ces', next.ces]] as const) {
        if (value == null) delete props[key];
        else props[key] = value;
      }
      await tx.updateTable('events').set({ properties: JSON.stringify(props) }).where('id', '=', a.event_id).execute();
    }
    if (next.score !== a.score) await recomputeLatestNps(tx, a.profile_id);
    // The analysis was of the words before: its themes and offsets do not fit the new ones. Without
    // it until the text consumer has read the comment again (answer.changed), not with the wrong one.
    if (next.comment !== a.comment) await forgetAnswerTexts(tx, [id]);
    await appendWorkspaceFacts(tx, workspaceId, [
      { type: 'answer.changed', answerId: id, profileId: a.profile_id },
      ...(next.score !== a.score ? [{ type: 'profile.changed' as const, profileId: a.profile_id }] : []),
    ], now);
    return next;
  });
}

export async function answerByMessageId(db: Db, workspaceId: string, messageId: string): Promise<AnswerTable | null> {
  return (await db.selectFrom('answers').selectAll().where('workspace_id', '=', workspaceId).where('message_id', '=', messageId).executeTakeFirst()) ?? null;
}

/** Which answers: all of these that are given must hold. Times are [from, to). */
export interface AnswerFilter {
  profileId?: string;
  /** When it was answered */
  from?: number;
  to?: number;
  /** When it last changed (a comment added, a score corrected) */
  updatedFrom?: number;
  updatedTo?: number;
  channel?: string;
  surveyId?: string;
  stage?: string;
  /** A theme its comment mentions (answer_themes), and the comment's sentiment (answer_texts). */
  theme?: string;
  sentiment?: 'negative' | 'neutral' | 'positive';
  /** Words its comment contains, in any case. */
  search?: string;
}

export interface AnswerListFilter extends AnswerFilter {
  limit: number;
  cursor?: string;
}

function answersWhere(db: Db, workspaceId: string, f: AnswerFilter) {
  let q = db.selectFrom('answers').selectAll().where('workspace_id', '=', workspaceId);
  if (f.profileId) q = q.where('profile_id', '=', f.profileId);
  if (f.from != null) q = q.where('answered_at', '>=', f.from);
  if (f.to != null) q = q.where('answered_at', '<', f.to);
  if (f.updatedFrom != null) q = q.where('updated_at', '>=', f.updatedFrom);
  if (f.updatedTo != null) q = q.where('updated_at', '<', f.updatedTo);
  if (f.channel) q = q.where('channel', '=', f.channel);
  if (f.surveyId) q = q.where('survey_id', '=', f.surveyId);
  if (f.stage) q = q.where('stage', '=', f.stage);
  const theme = f.theme;
  if (theme) q = q.where('id', 'in', (qb) => qb.selectFrom('answer_themes').select('answer_id').where('workspace_id', '=', workspaceId).where('theme_id', '=', theme));
  const sentiment = f.sentiment;
  if (sentiment) q = q.where('id', 'in', (qb) => qb.selectFrom('answer_texts').select('answer_id').where('workspace_id', '=', workspaceId).where('sentiment', '=', sentiment));
  if (f.search?.trim()) {
    // The words as typed: % and _ match themselves, not any characters.
    const pattern = `%${f.search.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<boolean>`lower(comment) like ${pattern} escape '\\'`);
  }
  return q;
}

/**
 * Newest answered first (imports and late deliveries are stored long after they were given, so
 * storage order is not time order), paged by (answered_at, id). Null when the cursor is not one
 * this function made.
 */
export async function listAnswers(db: Db, workspaceId: string, f: AnswerListFilter) {
  let q = answersWhere(db, workspaceId, f);
  if (f.cursor) {
    const c = decodeCursor(f.cursor);
    if (!c) return null;
    q = q.where((eb) => eb.or([eb('answered_at', '<', c.n), eb.and([eb('answered_at', '=', c.n), eb('id', '<', c.id)])]));
  }
  const rows = await q.orderBy('answered_at', 'desc').orderBy('id', 'desc').limit(f.limit + 1).execute();
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return { items: page.map(answerView), nextCursor: rows.length > f.limit ? encodeCursor(Number(last.answered_at), last.id) : null };
}

/** Page `page` (from 1) of `perPage` answers, by when they were answered or last changed, then id, in either direction (Delighted's list). */
export async function answersPage(
  db: Db, workspaceId: string, f: AnswerFilter, order: { by: 'answered_at' | 'updated_at'; direction: 'asc' | 'desc' }, page: number, perPage: number,
): Promise<AnswerTable[]> {
  return answersWhere(db, workspaceId, f).orderBy(order.by, order.direction).orderBy('id', order.direction).limit(perPage).offset((page - 1) * perPage).execute();
}

/** The newest answers with a comment, up to `limit`: what a workspace's sentiment model learns from. */
export async function commentedAnswers(db: Db, workspaceId: string, limit: number): Promise<Array<{ id: string; comment: string; score: number }>> {
  const rows = await db.selectFrom('answers').select(['id', 'comment', 'score'])
    .where('workspace_id', '=', workspaceId).where('comment', 'is not', null).where('comment', '<>', '')
    .orderBy('answered_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, comment: r.comment!, score: Number(r.score) }));
}

/** The comments of these answers (null: no comment, or the answer is gone). */
export async function answerComments(db: Db | Tx, workspaceId: string, ids: string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('answers').select(['id', 'comment']).where('workspace_id', '=', workspaceId).where('id', 'in', ids.slice(i, i + 500)).execute();
    for (const r of rows) out.set(r.id, r.comment?.trim() ? r.comment : null);
  }
  return out;
}

/** Commented answers per NPS category (detractor, passive, promoter). */
export async function commentCounts(db: Db, workspaceId: string): Promise<Record<string, number>> {
  const rows = await db.selectFrom('answers').select(['category', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', workspaceId).where('comment', 'is not', null).where('comment', '<>', '')
    .groupBy('category').execute();
  return Object.fromEntries(rows.map((r) => [r.category, Number(r.n)]));
}
