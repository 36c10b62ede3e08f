import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { listJobs, retryJob } from '../store/jobs.ts';
import { listContacts } from '../store/contacts.ts';
import type { ContactTable } from '../store/schema.ts';
import { getSurvey, surveyExists } from '../store/surveys.ts';
import { settingsOf, updateSettings, type WorkspaceSettings } from '../store/workspaces.ts';
import { scheduleSends, type DeliveryContext, type Recipient } from '../surveys/delivery.ts';
import { runView, startRun } from '../surveys/audience.ts';
import { Condition } from '../domain/survey-definition.ts';
import { cancelRun, getRun, listRuns } from '../store/survey-runs.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError } from '../domain/errors.ts';
import { mustExist } from './must-exist.ts';
import { Cursor, Limit, secretSecurity, withErrors } from './schemas.ts';
import { RunList, RunView } from '../api-types/surveys.ts';
import { DeliveryView } from '../api-types/workspace.ts';
import { isoOrNull } from '../domain/time.ts';

const Recipient = Type.Object({
  userId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
  phone: Type.Optional(Type.String({ minLength: 4, maxLength: 32 })),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  language: Type.Optional(Type.String({ maxLength: 20 })),
  properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
}, { additionalProperties: false });

const Outcome = Type.Object({
  index: Type.Integer(), contactId: Type.Union([Type.String(), Type.Null()]), profileId: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(), reason: Type.Union([Type.String(), Type.Null()]), scheduledAt: Type.Union([Type.String(), Type.Null()]),
});

export function contactView(c: ContactTable) {
  return {
    id: c.id, surveyId: c.survey_id, surveyVersion: c.survey_version, profileId: c.profile_id, channel: c.channel, status: c.status,
    reason: c.reason, error: c.error, attempts: Number(c.attempts), email: c.email, phone: c.phone,
    scheduledAt: isoOrNull(c.scheduled_at), contactedAt: isoOrNull(c.contacted_at), answeredAt: isoOrNull(c.answered_at), answerId: c.answer_id, createdAt: isoOrNull(c.created_at)!,
  };
}
const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);
const ContactView = Type.Object({
  id: Type.String(), surveyId: Type.String(), surveyVersion: Type.Integer(), profileId: Nullable(Type.String()), channel: Type.String(), status: Type.String(),
  reason: Nullable(Type.String()), error: Nullable(Type.String()), attempts: Type.Integer(), email: Nullable(Type.String()), phone: Nullable(Type.String()),
  scheduledAt: Nullable(Type.String()), contactedAt: Nullable(Type.String()), answeredAt: Nullable(Type.String()), answerId: Nullable(Type.String()), createdAt: Type.String(),
});

const Smtp = Type.Object({
  host: Type.String({ minLength: 1, maxLength: 255 }), port: Type.Integer({ minimum: 1, maximum: 65535 }), secure: Type.Optional(Type.Boolean()),
  user: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
  pass: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()], { description: 'Left out: the stored password is kept (it is never shown); null: none' })),
  from: Type.String({ minLength: 3, maxLength: 320, description: 'Sender, e.g. "Acme" <nps@acme.example>' }),
}, { additionalProperties: false });
const Sms = Type.Object({
  url: Type.String({ pattern: '^https?://', maxLength: 500, description: 'Base URL of a Twilio-compatible API, e.g. https://api.twilio.com' }),
  accountSid: Type.String({ minLength: 1, maxLength: 100 }), from: Type.String({ minLength: 2, maxLength: 40 }),
  authToken: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Left out: the stored token is kept (it is never shown); needed the first time' })),
}, { additionalProperties: false });
const Delivery = Type.Object({
  smtp: Type.Optional(Type.Union([Smtp, Type.Null()])),
  sms: Type.Optional(Type.Union([Sms, Type.Null()])),
  publicUrl: Type.Optional(Type.Union([Type.String({ pattern: '^https?://', maxLength: 500 }), Type.Null()])),
}, { additionalProperties: false });

/** Secrets are write-only: reading the settings shows that a password is set, not what it is. */
function deliveryView(s: WorkspaceSettings) {
  return {
    smtp: s.smtp ? { ...s.smtp, pass: s.smtp.pass ? '••••••' : null } : null,
    sms: s.sms ? { ...s.sms, authToken: '••••••' } : null,
    publicUrl: s.publicUrl ?? null,
  };
}

export async function sendRoutes(app: FastifyInstance, opts: { keys: KeyCache; delivery: DeliveryContext }) {
  const { delivery } = opts;
  const db = delivery.db;
  const secret = authenticate(opts.keys, 'secret');
  const security = secretSecurity;

  app.post('/api/v1/surveys/:id/send', {
    preValidation: secret,
    schema: {
      tags: ['surveys'], security,
      summary: 'Send a survey by email or SMS to up to 1,000 people now or after a delay; each person is checked against the fatigue policy',
      params: Type.Object({ id: Type.String() }),
      body: Type.Object({
        channel: Type.Union([Type.Literal('email'), Type.Literal('sms')]),
        delaySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 * 86_400 })),
        people: Type.Array(Recipient, { minItems: 1, maxItems: 1000 }),
      }, { additionalProperties: false }),
      response: withErrors({ 202: Type.Object({ results: Type.Array(Outcome) }) }),
    },
  }, async (request, reply) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const body = request.body as { channel: 'email' | 'sms'; delaySeconds?: number; people: Recipient[] };
    body.people.forEach((p, i) => {
      if (body.channel === 'email' && !p.email && !p.userId) throw new AppError('invalid', `people[${i}].email: required to send by email`, { field: `people[${i}].email` });
      if (body.channel === 'sms' && !p.phone && !p.userId) throw new AppError('invalid', `people[${i}].phone: required to send by SMS`, { field: `people[${i}].phone` });
    });
    const survey = await getSurvey(db, ws, id);
    if (!survey) throw new AppError('not_found', `No survey ${id} in this workspace`);
    if (survey.status !== 'active') throw new AppError('conflict', `Survey ${id} is ${survey.status}: activate it before sending`);
    reply.status(202);
    return { results: await scheduleSends(delivery, ws, survey, body.people, { channel: body.channel, delaySeconds: body.delaySeconds, reason: 'api' }) };
  });

  const runParams = Type.Object({ id: Type.String(), runId: Type.String() });

  app.post('/api/v1/surveys/:id/runs', {
    preValidation: secret,
    schema: {
      tags: ['surveys'], security,
      summary: 'Send a survey to everyone who matches its targeting and these conditions (within its sample and the fatigue policy); runs in the background, see its progress',
      params: Type.Object({ id: Type.String() }),
      body: Type.Object({
        channel: Type.Union([Type.Literal('email'), Type.Literal('sms')]),
        conditions: Type.Optional(Type.Array(Condition, { maxItems: 50, description: 'On top of the survey\'s targeting, e.g. [{ field: "orderCount", op: "gte", value: 1 }]' })),
        delaySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 * 86_400 })),
      }, { additionalProperties: false }),
      response: withErrors({ 202: Type.Object({ run: RunView }) }),
    },
  }, async (request, reply) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const body = request.body as { channel: 'email' | 'sms'; conditions?: Condition[]; delaySeconds?: number };
    const survey = await getSurvey(db, ws, id);
    if (!survey) throw new AppError('not_found', `No survey ${id} in this workspace`);
    if (survey.status !== 'active') throw new AppError('conflict', `Survey ${id} is ${survey.status}: activate it before sending`);
    const { run } = await startRun(delivery, ws, survey, { kind: 'audience', channel: body.channel, conditions: body.conditions, delaySeconds: body.delaySeconds });
    reply.status(202);
    return { run: runView(run) };
  });

  app.get('/api/v1/surveys/:id/runs', {
    preValidation: secret,
    schema: {
      tags: ['surveys'], security, summary: 'Audience and scheduled runs of a survey, newest first, with progress and who was skipped why',
      params: Type.Object({ id: Type.String() }), querystring: Type.Object({ limit: Limit }),
      response: withErrors({ 200: RunList }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    mustExist(await surveyExists(db, ws, id), { kind: 'survey', id });
    return { items: (await listRuns(db, ws, id, (request.query as { limit?: number }).limit ?? 50)).map(runView) };
  });

  app.get('/api/v1/surveys/:id/runs/:runId', {
    preValidation: secret,
    schema: { tags: ['surveys'], security, summary: 'One run and its progress', params: runParams, response: withErrors({ 200: Type.Object({ run: RunView }) }) },
  }, async (request) => {
    const { id, runId } = request.params as { id: string; runId: string };
    const run = await getRun(db, request.principal.workspaceId, runId);
    if (!run || run.survey_id !== id) throw new AppError('not_found', `No run ${runId} of survey ${id} in this workspace`);
    return { run: runView(run) };
  });

  app.delete('/api/v1/surveys/:id/runs/:runId', {
    preValidation: secret,
    schema: { tags: ['surveys'], security, summary: 'Stop a run: no further people are scheduled (sends already scheduled stay; cancel them per person)', params: runParams, response: withErrors({ 200: Type.Object({ run: RunView }) }) },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id, runId } = request.params as { id: string; runId: string };
    const run = await getRun(db, ws, runId);
    if (!run || run.survey_id !== id) throw new AppError('not_found', `No run ${runId} of survey ${id} in this workspace`);
    if (run.status !== 'running') throw new AppError('conflict', `Run ${runId} is already ${run.status}`);
    await cancelRun(db, ws, runId);
    return { run: runView((await getRun(db, ws, runId))!) };
  });

  app.get('/api/v1/contacts', {
    preValidation: secret,
    schema: {
      tags: ['surveys'], security, summary: 'Who was asked what, when and how it went (sent, skipped with the reason, failed with the error, answered)',
      querystring: Type.Object({ surveyId: Type.Optional(Type.String()), profileId: Type.Optional(Type.String()), status: Type.Optional(Type.String()), limit: Limit, cursor: Cursor }),
      response: withErrors({ 200: Type.Object({ items: Type.Array(ContactView), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }),
    },
  }, async (request) => {
    const q = request.query as { surveyId?: string; profileId?: string; status?: string; limit?: number; cursor?: string };
    const limit = q.limit ?? 50;
    const rows = await listContacts(db, request.principal.workspaceId, { ...q, limit });
    return { items: rows.map(contactView), nextCursor: rows.length === limit ? rows[rows.length - 1].id : null };
  });

  app.get('/api/v1/settings/delivery', {
    preValidation: secret,
    schema: { tags: ['surveys'], security, summary: 'SMTP and SMS provider settings and the public URL used in links (secrets masked)', response: withErrors({ 200: DeliveryView }) },
  }, async (request) => deliveryView(await settingsOf(db, request.principal.workspaceId)));

  app.put('/api/v1/settings/delivery', {
    preValidation: authenticate(opts.keys, 'secret', { role: 'admin' }),
    schema: { tags: ['surveys'], security, summary: 'Set SMTP and SMS provider settings (null removes one)', body: Delivery, response: withErrors({ 200: DeliveryView }) },
  }, async (request) => {
    type SmsBody = Omit<NonNullable<WorkspaceSettings['sms']>, 'authToken'> & { authToken?: string };
    const b = request.body as { smtp?: WorkspaceSettings['smtp'] | null; sms?: SmsBody | null; publicUrl?: string | null };
    // Secrets are never shown, so a form that edits the rest sends them only when they change.
    const current = await settingsOf(db, request.principal.workspaceId);
    const patch: Partial<WorkspaceSettings> = {};
    if (b.smtp !== undefined) patch.smtp = b.smtp ? { ...b.smtp, pass: b.smtp.pass === undefined ? current.smtp?.pass ?? null : b.smtp.pass } : undefined;
    if (b.sms !== undefined) {
      const authToken = b.sms?.authToken ?? current.sms?.authToken;
      if (b.sms && !authToken) throw new AppError('invalid', 'body.sms.authToken: the provider\'s auth token is needed the first time', { field: 'body.sms.authToken' });
      patch.sms = b.sms ? { ...b.sms, authToken: authToken! } : undefined;
    }
    if (b.publicUrl !== undefined) patch.publicUrl = b.publicUrl ?? undefined;
    return deliveryView(await updateSettings(db, request.principal.workspaceId, patch));
  });

  app.get('/api/v1/jobs', {
    preValidation: secret,
    schema: {
      tags: ['surveys'], security, summary: 'Outbox jobs (sends, webhooks); status=failed is the dead-letter list',
      querystring: Type.Object({ status: Type.Optional(Type.Union(['pending', 'running', 'done', 'failed'].map((s) => Type.Literal(s)))), limit: Limit }),
      response: withErrors({ 200: Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) }),
    },
  }, async (request) => {
    const q = request.query as { status?: 'pending' | 'running' | 'done' | 'failed'; limit?: number };
    return { items: await listJobs(db, request.principal.workspaceId, q.status, q.limit ?? 50) };
  });

  app.post('/api/v1/jobs/:id/retry', {
    preValidation: secret,
    schema: { tags: ['surveys'], security, summary: 'Replay a failed job from its first attempt', params: Type.Object({ id: Type.String() }), response: withErrors({ 202: Type.Object({ retried: Type.Boolean() }) }) },
  }, async (request, reply) => {
    if (!(await retryJob(db, request.principal.workspaceId, (request.params as { id: string }).id))) throw new AppError('not_found', 'No failed job with that id in this workspace');
    delivery.outbox?.kick();
    reply.status(202);
    return { retried: true };
  });
}
