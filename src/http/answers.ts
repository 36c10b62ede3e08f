import { Type, type Static } from '@sinclair/typebox';
import { LIMITS } from '../domain/limits.ts';
import type { FastifyInstance } from 'fastify';
import { newId } from '../domain/ids.ts';
import { NPS_RESPONDED, type IngestEvent } from '../domain/event.ts';
import { normaliseEmail, normalisePhone } from '../domain/identifiers.ts';
import { answerFromProperties } from '../ingest/segment-spec.ts';
import { getAnswer, listAnswers } from '../store/answers.ts';
import type { Store } from '../store/db.ts';
import { signToken, timeZoneOfWorkspace, verifyToken } from '../store/workspaces.ts';
import { projectedItems, type EventWriter as Writer } from '../store/writer.ts';
import { namedAnswers } from './answer-views.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError, isAppError } from '../domain/errors.ts';
import { mustExistSurvey } from './must-exist.ts';
import { Answer, AnswerPage } from '../api-types/answers.ts';
import { Cursor, IsoTime, Limit, parseEventTime, parseTimeParam, secretSecurity, withErrors } from './schemas.ts';

export const Person = Type.Object(
  {
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.identifier })),
    anonymousId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.identifier })),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: LIMITS.email })),
    phone: Type.Optional(Type.String({ minLength: 4, maxLength: 32 })),
    traits: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, description: 'Who answered: at least one identifier. A person not seen before is created.' },
);

const CreateAnswer = Type.Object(
  {
    person: Person,
    score: Type.Integer({ minimum: 0, maximum: 10 }),
    comment: Type.Optional(Type.Union([Type.String({ maxLength: 10_000 }), Type.Null()])),
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 40, default: 'api', examples: ['web', 'email', 'sms', 'app', 'store'] })),
    surveyId: Type.Optional(Type.String({ maxLength: LIMITS.identifier, description: 'A survey of this workspace (422 naming surveyId otherwise)' })),
    surveyVersion: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.int32, description: 'A version of that survey (needs surveyId)' })),
    csat: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'Customer satisfaction, 1–5, reported beside NPS' })),
    ces: Type.Optional(Type.Integer({ minimum: 1, maximum: 7, description: 'Customer effort, 1–7, reported beside NPS' })),
    properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    timestamp: Type.Optional(IsoTime),
    messageId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.identifier, description: 'Idempotency key: sending the same messageId again returns the first answer' })),
    context: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
type CreateAnswerBody = Static<typeof CreateAnswer>;

/** The events one answer request becomes: an identify when traits come along, then the answer itself. */
export function answerEvents(body: CreateAnswerBody, now: number): IngestEvent[] {
  const p = body.person;
  const email = p.email != null ? normaliseEmail(p.email) : null;
  if (p.email != null && !email) throw new AppError('invalid', `person.email: "${p.email}" is not an email address`, { field: 'person.email' });
  const phone = p.phone != null ? normalisePhone(p.phone) : null;
  if (p.phone != null && !phone) throw new AppError('invalid', `person.phone: "${p.phone}" is not a phone number`, { field: 'person.phone' });
  if (!p.userId && !p.anonymousId && !email && !phone) {
    throw new AppError('invalid', 'person: give at least one of userId, anonymousId, email, phone', { field: 'person' });
  }
  const timestamp = parseEventTime(body.timestamp, 'timestamp', now) ?? now;
  const messageId = body.messageId ?? `ans-${newId('m', now)}`;
  const base = {
    userId: p.userId ?? null, anonymousId: p.anonymousId ?? null, email, phone, previousId: null, groupId: null,
    context: body.context ?? null, timestamp, receivedAt: now,
  };
  const properties: Record<string, unknown> = {
    ...(body.properties ?? {}),
    score: body.score,
    ...(body.comment != null ? { comment: body.comment } : {}),
    channel: body.channel ?? 'api',
    ...(body.surveyId ? { survey_id: body.surveyId } : {}),
    ...(body.surveyVersion ? { survey_version: body.surveyVersion } : {}),
    ...(body.csat != null ? { csat: body.csat } : {}),
    ...(body.ces != null ? { ces: body.ces } : {}),
  };
  let answer;
  try {
    answer = answerFromProperties(properties, 'body');
  } catch (err) {
    if (isAppError(err, 'invalid') && err.field) throw new AppError('invalid', err.message.replace(/^body\./, ''), { field: err.field.replace(/^body\./, '') });
    throw err;
  }
  const events: IngestEvent[] = [];
  const traits = { ...(p.traits ?? {}), ...(email ? { email } : {}), ...(phone ? { phone } : {}) };
  if (Object.keys(traits).length) {
    events.push({ ...base, messageId: `${messageId}:identify`, type: 'identify', name: null, properties: null, traits, answer: null });
  }
  events.push({ ...base, messageId, type: 'track', name: NPS_RESPONDED, properties, traits: null, answer });
  return events;
}

export async function answerRoutes(app: FastifyInstance, opts: { store: Store; writer: Writer; keys: KeyCache }) {
  const { store, writer, keys } = opts;
  const db = store.db;
  // A signed-in analyst may record an answer or edit a comment as a secret key would.
  const write = authenticate(keys, 'write', { sessions: 'also' });
  const secret = authenticate(keys, 'secret');

  app.post('/api/v1/answers', {
    preValidation: write,
    schema: {
      tags: ['answers'],
      summary: 'Record an NPS answer (public write key or secret key). The answer is committed before the reply.',
      description: 'Also stored as an `NPS Survey Responded` event on the person, with the context at answer time. Returns an updateToken that lets a public-key client add the comment later.',
      security: secretSecurity,
      body: CreateAnswer,
      response: withErrors({ 200: Type.Object({ answer: Answer, updateToken: Type.String(), duplicate: Type.Boolean() }), 201: Type.Object({ answer: Answer, updateToken: Type.String(), duplicate: Type.Boolean() }) }),
    },
  }, async (request, reply) => {
    const ws = request.principal.workspaceId;
    const body = request.body as CreateAnswerBody;
    const events = answerEvents(body, Date.now());
    await mustExistSurvey(db, ws, body.surveyId, body.surveyVersion);
    const result = await writer.write(ws, events);
    const items = projectedItems(result);
    const item = items[items.length - 1];
    if (!item.answerId) throw new AppError('conflict', `messageId "${item.messageId}" was already used by an event that is not an answer`, { field: 'messageId' });
    const row = await getAnswer(db, ws, item.answerId);
    if (!row) throw new Error(`answer ${item.answerId} missing after commit`);
    reply.status(item.status === 'stored' ? 201 : 200);
    const [answer] = await namedAnswers(db, ws, [row]);
    return { answer, updateToken: await signToken(db, ws, 'answer-update', row.id), duplicate: item.status === 'duplicate' };
  });

  app.patch('/api/v1/answers/:id', {
    preValidation: write,
    schema: {
      tags: ['answers'],
      summary: 'Add or edit the comment of an answer: secret key, or the public key with the updateToken the answer came with',
      security: secretSecurity,
      params: Type.Object({ id: Type.String() }),
      body: Type.Object({ comment: Type.Union([Type.String({ maxLength: 10_000 }), Type.Null()]), updateToken: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({ answer: Answer }) }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const body = request.body as { comment: string | null; updateToken?: string };
    if (request.principal.kind !== 'secret') {
      if (!body.updateToken) throw new AppError('forbidden', 'updateToken: required with a public write key (it came with the answer)', { field: 'updateToken' });
      if (!(await verifyToken(db, ws, 'answer-update', id, body.updateToken))) throw new AppError('forbidden', 'updateToken: does not match this answer', { field: 'updateToken' });
    }
    const comment = body.comment != null && body.comment.trim() !== '' ? body.comment : null;
    const row = await writer.apply(ws, { type: 'answer.edit', answerId: id, patch: { comment }, at: Date.now() });
    if (!row) throw new AppError('not_found', `No answer ${id} in this workspace`);
    return { answer: (await namedAnswers(db, ws, [row]))[0] };
  });

  app.get('/api/v1/answers/:id', {
    preValidation: secret,
    schema: { tags: ['answers'], summary: 'One answer', security: secretSecurity, params: Type.Object({ id: Type.String() }), response: withErrors({ 200: Type.Object({ answer: Answer }) }) },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const row = await getAnswer(db, request.principal.workspaceId, id);
    if (!row) throw new AppError('not_found', `No answer ${id} in this workspace`);
    return { answer: (await namedAnswers(db, request.principal.workspaceId, [row]))[0] };
  });

  app.get('/api/v1/answers', {
    preValidation: secret,
    schema: {
      tags: ['answers'],
      summary: 'Answers, most recently answered first, with cursor paging; each names who answered and the survey',
      security: secretSecurity,
      querystring: Type.Object({
        profileId: Type.Optional(Type.String()), channel: Type.Optional(Type.String()), surveyId: Type.Optional(Type.String()), stage: Type.Optional(Type.String()),
        theme: Type.Optional(Type.String({ description: 'Answers whose comment mentions this theme (its id, e.g. delivery)' })),
        sentiment: Type.Optional(Type.Union([Type.Literal('negative'), Type.Literal('neutral'), Type.Literal('positive')], { description: 'Answers whose comment reads so' })),
        q: Type.Optional(Type.String({ maxLength: 200, description: 'Answers whose comment contains these words (any case)' })),
        from: Type.Optional(IsoTime), to: Type.Optional(IsoTime), limit: Limit, cursor: Cursor,
      }, { additionalProperties: false }),
      response: withErrors({ 200: AnswerPage }),
    },
  }, async (request) => {
    const q = request.query as Record<string, string | undefined> & { limit?: number };
    const zone = q.from || q.to ? await timeZoneOfWorkspace(db, request.principal.workspaceId) : undefined;
    const page = await listAnswers(db, request.principal.workspaceId, {
      profileId: q.profileId, channel: q.channel, surveyId: q.surveyId, stage: q.stage,
      theme: q.theme, sentiment: q.sentiment as 'negative' | 'neutral' | 'positive' | undefined, search: q.q,
      from: parseTimeParam(q.from, 'from', zone), to: parseTimeParam(q.to, 'to', zone), limit: q.limit ?? 50, cursor: q.cursor,
    });
    if (!page) throw new AppError('invalid', 'cursor: not a cursor from this list; start again without it', { field: 'cursor' });
    return { items: await namedAnswers(db, request.principal.workspaceId, page.items), nextCursor: page.nextCursor };
  });
}
