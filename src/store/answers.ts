import { fromJson, type Db } from './db.ts';
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

/** Sets or replaces the comment; the answer's `NPS Survey Responded` event follows so both tell the same story. */
export async function updateAnswerComment(db: Db, workspaceId: string, id: string, comment: string | null, now = Date.now()): Promise<AnswerTable | null> {
  return db.transaction().execute(async (tx) => {
    const a = await tx.selectFrom('answers').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
    if (!a) return null;
    await tx.updateTable('answers').set({ comment, updated_at: now }).where('id', '=', id).execute();
    const ev = await tx.selectFrom('events').select('properties').where('id', '=', a.event_id).executeTakeFirst();
    if (ev) {
      const props = fromJson<Record<string, unknown>>(ev.properties, {});
      if (comment == null) delete props.comment;
      else props.comment = comment;
      await tx.updateTable('events').set({ properties: JSON.stringify(props) }).where('id', '=', a.event_id).execute();
    }
    return { ...a, comment, updated_at: now };
  });
}

export interface AnswerListFilter {
  profileId?: string;
  from?: number;
  to?: number;
  channel?: string;
  limit: number;
  cursor?: string;
}

/** Newest first; the cursor is the id of the last item (ids sort by creation). */
export async function listAnswers(db: Db, workspaceId: string, f: AnswerListFilter) {
  let q = db.selectFrom('answers').selectAll().where('workspace_id', '=', workspaceId);
  if (f.profileId) q = q.where('profile_id', '=', f.profileId);
  if (f.from != null) q = q.where('answered_at', '>=', f.from);
  if (f.to != null) q = q.where('answered_at', '<', f.to);
  if (f.channel) q = q.where('channel', '=', f.channel);
  if (f.cursor) q = q.where('id', '<', f.cursor);
  const rows = await q.orderBy('id', 'desc').limit(f.limit + 1).execute();
  const page = rows.slice(0, f.limit);
  return { items: page.map(answerView), nextCursor: rows.length > f.limit ? page[page.length - 1].id : null };
}
