import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_CONTACT_POLICY } from '../domain/fatigue.ts';
import { LIMITS } from '../domain/limits.ts';
import type { Store } from '../store/db.ts';
import { getProfileRow } from '../store/profiles.ts';
import { createSurvey, getSurvey, listSurveys, setSurveyStatus, surveyVersions, updateSurvey, type Survey } from '../store/surveys.ts';
import { updateSettings, settingsOf, workspaceName } from '../store/workspaces.ts';
import { SurveyDefinitionInput } from '../domain/survey-definition.ts';
import { definitionProblem, renderSurvey } from '../surveys/definition.ts';
import { checkEligibility, forgetContactPolicy, resolvePerson } from '../surveys/eligibility.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError } from '../domain/errors.ts';
import { mustExist } from './must-exist.ts';
import { secretSecurity, withErrors } from './schemas.ts';
import { ContactPolicy, SurveyDetail, SurveyList, SurveyReply } from '../api-types/surveys.ts';

export function surveyView(s: Survey) {
  return { id: s.id, name: s.name, status: s.status, version: s.version, definition: s.definition as unknown as Record<string, unknown>, createdAt: new Date(s.createdAt).toISOString(), updatedAt: new Date(s.updatedAt).toISOString() };
}

const EligibilityView = Type.Object({
  ask: Type.Boolean(),
  code: Type.Optional(Type.String()),
  reason: Type.String(),
  nextEligibleAt: Type.Union([Type.String(), Type.Null()]),
  profileId: Type.Union([Type.String(), Type.Null()]),
});

export async function surveyRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache }) {
  const db = opts.store.db;
  const secret = authenticate(opts.keys, 'secret');
  const tags = ['surveys'];
  const security = secretSecurity;
  const params = Type.Object({ id: Type.String() });

  function validDefinition(body: unknown): SurveyDefinitionInput {
    const problem = definitionProblem(body as SurveyDefinitionInput);
    if (problem) throw new AppError('invalid', problem.message, { field: problem.field });
    return body as SurveyDefinitionInput;
  }

  async function mustGet(ws: string, id: string) {
    const s = await getSurvey(db, ws, id);
    if (!s) throw new AppError('not_found', `No survey ${id} in this workspace`);
    return s;
  }

  app.post('/api/v1/surveys', {
    preValidation: secret,
    schema: { tags, security, summary: 'Create a survey (every field but name has a default)', body: SurveyDefinitionInput, response: withErrors({ 201: SurveyReply }) },
  }, async (request, reply) => {
    const survey = await createSurvey(db, request.principal.workspaceId, validDefinition(request.body));
    reply.status(201);
    return { survey: surveyView(survey) };
  });

  app.get('/api/v1/surveys', {
    preValidation: secret,
    schema: { tags, security, summary: 'Surveys, newest first', querystring: Type.Object({ archived: Type.Optional(Type.Boolean({ description: 'Include archived surveys' })) }), response: withErrors({ 200: SurveyList }) },
  }, async (request) => {
    const { archived } = request.query as { archived?: boolean };
    return { items: (await listSurveys(db, request.principal.workspaceId, archived)).map(surveyView) };
  });

  app.get('/api/v1/surveys/:id', {
    preValidation: secret,
    schema: {
      tags, security, summary: 'One survey with its version history; `?version=` for an older definition',
      params, querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.int32 })) }),
      response: withErrors({ 200: SurveyDetail }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const { id } = request.params as { id: string };
    const { version } = request.query as { version?: number };
    const s = await getSurvey(db, ws, id, version);
    if (!s) throw new AppError('not_found', version ? `Survey ${id} has no version ${version}` : `No survey ${id} in this workspace`);
    return { survey: surveyView(s), versions: await surveyVersions(db, ws, id) };
  });

  app.put('/api/v1/surveys/:id', {
    preValidation: secret,
    schema: { tags, security, summary: 'Replace a survey definition; a changed definition becomes a new version', params, body: SurveyDefinitionInput, response: withErrors({ 200: SurveyReply }) },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const s = await updateSurvey(db, request.principal.workspaceId, id, validDefinition(request.body));
    if (!s) throw new AppError('not_found', `No survey ${id} in this workspace`);
    return { survey: surveyView(s) };
  });

  app.delete('/api/v1/surveys/:id', {
    preValidation: secret,
    schema: { tags, security, summary: 'Archive a survey (its answers stay; it asks no one any more)', params, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await setSurveyStatus(db, request.principal.workspaceId, id, 'archived'))) throw new AppError('not_found', `No survey ${id} in this workspace`);
    reply.status(204);
  });

  app.get('/api/v1/surveys/:id/preview', {
    preValidation: secret,
    schema: {
      tags, security, summary: 'The survey as a respondent sees it, in one language',
      params, querystring: Type.Object({ language: Type.Optional(Type.String({ maxLength: 20 })) }),
      response: withErrors({ 200: Type.Object({ survey: Type.Record(Type.String(), Type.Unknown()) }) }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const s = await mustGet(ws, (request.params as { id: string }).id);
    return { survey: renderSurvey(s.id, s.version, s.definition, (request.query as { language?: string }).language, (await workspaceName(db, ws)) ?? '') as unknown as Record<string, unknown> };
  });

  app.get('/api/v1/eligibility', {
    preValidation: secret,
    schema: {
      tags, security,
      summary: 'Would this person be asked this survey on this channel now? If not, why (e.g. "not asked: answered 12 days ago via email")',
      querystring: Type.Object({
        surveyId: Type.String(),
        channel: Type.Union(['web', 'email', 'sms', 'link', 'kiosk', 'app'].map((c) => Type.Literal(c))),
        profileId: Type.Optional(Type.String()),
        userId: Type.Optional(Type.String()),
        anonymousId: Type.Optional(Type.String()),
        email: Type.Optional(Type.String()),
        phone: Type.Optional(Type.String()),
        url: Type.Optional(Type.String()),
        event: Type.Optional(Type.String()),
      }),
      response: withErrors({ 200: EligibilityView }),
    },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const q = request.query as Record<string, string | undefined>;
    if (!q.profileId && !q.userId && !q.anonymousId && !q.email && !q.phone) throw new AppError('invalid', 'querystring: give one of profileId, userId, anonymousId, email, phone', { field: 'querystring' });
    const survey = await getSurvey(db, ws, q.surveyId!);
    mustExist(survey, { kind: 'survey', id: q.surveyId!, field: 'surveyId', error: 'not_found' });
    // Asked about one person by id, the answer must be about that person, not whoever else the other identifiers find.
    if (q.profileId) mustExist(await getProfileRow(db, ws, q.profileId), { kind: 'profile', id: q.profileId, field: 'profileId', error: 'not_found' });
    const person = await resolvePerson(db, ws, q);
    const e = await checkEligibility(db, ws, person, survey, { channel: q.channel!, url: q.url, event: q.event });
    if (e.ask) return { ask: true, reason: 'asked: eligible now', nextEligibleAt: null, profileId: e.profileId };
    return { ask: false, code: e.code, reason: e.reason, nextEligibleAt: e.nextEligibleAt == null ? null : new Date(e.nextEligibleAt).toISOString(), profileId: person.profile?.id ?? null };
  });

  app.get('/api/v1/settings/contact-policy', {
    preValidation: secret,
    schema: { tags, security, summary: 'The fatigue policy: at most maxSurveys surveys per perDays days per person, whatever the channel', response: withErrors({ 200: ContactPolicy }) },
  }, async (request) => (await settingsOf(db, request.principal.workspaceId)).contactPolicy ?? DEFAULT_CONTACT_POLICY);

  app.put('/api/v1/settings/contact-policy', {
    preValidation: authenticate(opts.keys, 'secret', { role: 'admin' }),
    schema: { tags, security, summary: 'Set the fatigue policy', body: ContactPolicy, response: withErrors({ 200: ContactPolicy }) },
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const next = await updateSettings(db, ws, { contactPolicy: request.body as { maxSurveys: number; perDays: number } });
    forgetContactPolicy(ws);
    return next.contactPolicy!;
  });
}
