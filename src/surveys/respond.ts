import { categoryOf, type Category } from '../domain/category.ts';
import { invalid } from '../domain/errors.ts';
import { NPS_RESPONDED, type IngestEvent } from '../domain/event.ts';
import { answerFromProperties } from '../ingest/segment-spec.ts';
import type { AnswerPatch } from '../domain/commands.ts';
import { answerByMessageId } from '../store/answers.ts';
import { getContact, insertContact, updateContact } from '../store/contacts.ts';
import type { Db } from '../store/db.ts';
import type { ContactTable } from '../store/schema.ts';
import { projectedItems, type EventWriter } from '../store/writer.ts';
import type { ContactToken } from './tokens.ts';

export interface ResponseInput {
  score?: number;
  comment?: string | null;
  csat?: number;
  ces?: number;
  properties?: Record<string, unknown>;
}

export interface ResponseResult {
  created: boolean;
  answerId: string;
  profileId: string;
  score: number;
  category: Category;
}

/** The answer of a contact has a fixed messageId, so however often a link is used there is one answer. */
export const contactMessageId = (contactId: string) => `contact-${contactId}`;

function identifiers(t: ContactToken) {
  // A kiosk or open link knows nobody: each contact is its own anonymous visitor.
  const anonymousId = t.a ?? (!t.u && !t.em && !t.ph ? `${t.ch}-${t.c}` : null);
  return { userId: t.u ?? null, anonymousId, email: t.em ?? null, phone: t.ph ?? null };
}

function baseEvent(t: ContactToken, messageId: string, now: number): Omit<IngestEvent, 'type' | 'name' | 'properties' | 'answer'> {
  return { messageId, ...identifiers(t), previousId: null, groupId: null, traits: null, context: { channel: t.ch }, timestamp: now, receivedAt: now };
}

/** Creates the contact row a token stands for, if sending it did not already (widget, kiosk, open links). */
async function ensureContact(db: Db, t: ContactToken, profileId: string, status: ContactTable['status'], now: number) {
  const ids = identifiers(t);
  await insertContact(db, {
    id: t.c, workspace_id: t.w, survey_id: t.s, survey_version: t.v, profile_id: profileId, channel: t.ch, status, reason: null,
    user_id: ids.userId, anonymous_id: ids.anonymousId, email: ids.email, phone: ids.phone, short_code: null,
    properties: JSON.stringify(t.loc ? { location: t.loc } : {}), scheduled_at: null, contacted_at: now, answered_at: null, answer_id: null,
    error: null, attempts: 0, created_at: now, updated_at: now,
  });
}

/**
 * Records what a person answered through a survey token: the first response creates the answer
 * (it must carry the score), every later one updates that same answer.
 */
export async function respond(db: Db, writer: EventWriter, t: ContactToken, input: ResponseInput, now = Date.now()): Promise<ResponseResult> {
  const messageId = contactMessageId(t.c);
  const patch: AnswerPatch = {};
  if (input.score !== undefined) patch.score = input.score;
  if (input.comment !== undefined) patch.comment = input.comment != null && input.comment.trim() !== '' ? input.comment : null;
  if (input.csat !== undefined) patch.csat = input.csat;
  if (input.ces !== undefined) patch.ces = input.ces;

  let existing = await answerByMessageId(db, t.w, messageId);
  let created = false;
  if (!existing) {
    if (input.score === undefined) throw invalid('score', 'required with the first response (0 to 10)');
    const properties: Record<string, unknown> = {
      ...(input.properties ?? {}),
      score: input.score,
      channel: t.ch,
      survey_id: t.s,
      survey_version: t.v,
      contact_id: t.c,
      ...(patch.comment ? { comment: patch.comment } : {}),
      ...(input.csat !== undefined ? { csat: input.csat } : {}),
      ...(input.ces !== undefined ? { ces: input.ces } : {}),
      ...(t.loc ? { location: t.loc } : {}),
    };
    const event: IngestEvent = { ...baseEvent(t, messageId, now), type: 'track', name: NPS_RESPONDED, properties, answer: answerFromProperties(properties, 'body') };
    const result = await writer.write(t.w, [event]);
    const item = projectedItems(result)[0];
    existing = item.answerId ? await answerByMessageId(db, t.w, messageId) : null;
    if (!existing) throw new Error(`answer for contact ${t.c} missing after commit`);
    // Two first clicks racing: the one that lost updates what the other stored.
    created = item.status === 'stored';
    if (!created) existing = (await writer.apply(t.w, { type: 'answer.edit', answerId: existing.id, patch, at: now })) ?? existing;
  } else {
    existing = (await writer.apply(t.w, { type: 'answer.edit', answerId: existing.id, patch, at: now })) ?? existing;
  }
  await ensureContact(db, t, existing.profile_id, 'answered', now);
  await updateContact(db, t.w, t.c, { status: 'answered', answered_at: existing.answered_at, answer_id: existing.id, profile_id: existing.profile_id, updated_at: now });
  return { created, answerId: existing.id, profileId: existing.profile_id, score: existing.score, category: categoryOf(existing.score) };
}

/** The widget reports when it showed a survey and when it was closed unanswered. */
export async function recordSurveyEvent(db: Db, writer: EventWriter, t: ContactToken, type: 'shown' | 'dismissed', now = Date.now()): Promise<void> {
  const name = type === 'shown' ? 'NPS Survey Shown' : 'NPS Survey Dismissed';
  const event: IngestEvent = {
    ...baseEvent(t, `${contactMessageId(t.c)}-${type}`, now), type: 'track', name,
    properties: { survey_id: t.s, survey_version: t.v, channel: t.ch, contact_id: t.c }, answer: null,
  };
  const result = await writer.write(t.w, [event]);
  const profileId = result.items[0]?.profileId;
  if (type === 'shown') {
    if (profileId) await ensureContact(db, t, profileId, 'shown', now);
    return;
  }
  const contact = await getContact(db, t.w, t.c);
  if (!contact && profileId) await ensureContact(db, t, profileId, 'dismissed', now);
  else await updateContact(db, t.w, t.c, { status: 'dismissed' }, ['shown', 'sent']);
}
