import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { newId } from '../domain/ids.ts';
import type { Store } from '../store/db.ts';
import { activeSurveys } from '../store/surveys.ts';
import type { EventWriter } from '../store/writer.ts';
import { renderSurvey } from '../surveys/definition.ts';
import { checkEligibility, resolvePerson } from '../surveys/eligibility.ts';
import { recordSurveyEvent, respond } from '../surveys/respond.ts';
import { LINK_CONTACT, signContactToken, verifyContactToken, type ContactToken } from '../surveys/tokens.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { openToAnyOrigin } from './cors.ts';
import { AppError } from '../domain/errors.ts';
import { secretSecurity, withErrors } from './schemas.ts';
import { workspaceName } from '../store/workspaces.ts';

// Token routes need no key: the signed token in the path is the credential.
const tokenOnly: Array<Record<string, string[]>> = [];

/** How long a widget or in-app survey, once offered, can be answered. */
const OFFER_TOKEN_HOURS = 24;

const ResponseBody = Type.Object(
  {
    score: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
    comment: Type.Optional(Type.Union([Type.String({ maxLength: 10_000 }), Type.Null()])),
    csat: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    ces: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 })),
  },
  { additionalProperties: false },
);

const ResponseView = Type.Object({
  answerId: Type.String(),
  score: Type.Integer(),
  category: Type.String(),
  followUp: Type.String(),
  thankYou: Type.String(),
  promoterLink: Type.Union([Type.Null(), Type.Object({ url: Type.String(), label: Type.String() })]),
});

export async function verifiedToken(store: Store, token: string): Promise<ContactToken> {
  const t = await verifyContactToken(store.db, token);
  // A kiosk or open link mints a contact token per answer; it is never one person's token itself.
  if (t.c === LINK_CONTACT) throw new AppError('unauthorized', 'token: this is a kiosk or open link, not a survey response token', { field: 'token' });
  return t;
}

/**
 * What browsers call from customers' sites and hosted survey pages: the widget's "should I ask?",
 * and answering through a survey token. Open to any origin (the token or the public write key is
 * the credential, and neither reads anything back), and JSON is accepted as text/plain so a
 * browser sends it without a preflight.
 */
export async function responseRoutes(app: FastifyInstance, opts: { store: Store; writer: EventWriter; keys: KeyCache }) {
  const { store, writer } = opts;
  const db = store.db;
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch (err) {
      done(new AppError('invalid', `Malformed JSON body: ${(err as Error).message}`), undefined);
    }
  });
  const preflight = openToAnyOrigin(app, 'content-type, authorization');
  const tags = ['responses'];

  async function rendered(t: ContactToken) {
    const surveys = await activeSurveys(db, t.w);
    const s = surveys.find((x) => x.id === t.s);
    return s ? renderSurvey(s.id, t.v, s.definition, null, (await workspaceName(db, t.w)) ?? '') : null;
  }

  type Visitor = { userId?: string; anonymousId?: string; url?: string; screen?: string; language?: string; event?: string };

  /**
   * The first active survey this person may be asked here and now, with a token to answer it, or
   * the reason for not asking. The widget asks this for web pages, apps for their screens.
   */
  async function offer(ws: string, channel: 'web' | 'app', b: Visitor) {
    if (!b.userId && !b.anonymousId) throw new AppError('invalid', 'body: userId or anonymousId is required', { field: 'body.anonymousId' });
    const now = Date.now();
    const surveys = (await activeSurveys(db, ws, now)).filter((s) => s.definition.channels[channel].enabled);
    if (!surveys.length) return { show: false, reason: `not asked: no active survey is set up for ${channel === 'web' ? 'the web' : 'apps'}` };
    const person = await resolvePerson(db, ws, { userId: b.userId, anonymousId: b.anonymousId });
    let firstReason = '';
    for (const survey of surveys) {
      const e = await checkEligibility(db, ws, person, survey, { channel, url: b.url, screen: b.screen, event: b.event, now });
      if (!e.ask) {
        firstReason ||= e.reason;
        continue;
      }
      const token = await signContactToken(db, {
        w: ws, c: newId('con', now), s: survey.id, v: survey.version, ch: channel,
        ...(b.userId ? { u: b.userId } : {}), ...(b.anonymousId ? { a: b.anonymousId } : {}),
        x: Math.floor(now / 1000) + OFFER_TOKEN_HOURS * 3600,
      });
      return {
        show: true, token, delayMs: channel === 'web' ? survey.definition.channels.web.delaySeconds * 1000 : 0,
        survey: renderSurvey(survey.id, survey.version, survey.definition, b.language, (await workspaceName(db, ws)) ?? '') as unknown as Record<string, unknown>,
      };
    }
    return { show: false, reason: firstReason };
  }

  const Offer = Type.Object({
    show: Type.Boolean(),
    reason: Type.Optional(Type.String()),
    token: Type.Optional(Type.String({ description: 'Answer with POST /api/v1/responses/{token}; report shown/dismissed at /api/v1/responses/{token}/events' })),
    delayMs: Type.Optional(Type.Integer()),
    survey: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The survey in the visitor\'s language: question, scale labels, follow-up and thank-you per category' })),
  });
  const Person = {
    writeKey: Type.Optional(Type.String()),
    userId: Type.Optional(Type.String({ maxLength: 256 })),
    anonymousId: Type.Optional(Type.String({ maxLength: 256 })),
    language: Type.Optional(Type.String({ maxLength: 20 })),
    event: Type.Optional(Type.String({ maxLength: 200, description: 'The event just tracked, for surveys shown right after one' })),
  };

  app.post('/api/v1/widget/check', {
    preValidation: authenticate(opts.keys, 'write'),
    schema: {
      tags: ['widget'],
      summary: 'Web widget: should this visitor be asked a survey on this page now? (public write key)',
      security: secretSecurity,
      body: Type.Object({ ...Person, url: Type.Optional(Type.String({ maxLength: 4000 })) }, { additionalProperties: false }),
      response: withErrors({ 200: Offer }),
    },
  }, async (request) => offer(request.principal.workspaceId, 'web', request.body as Visitor));

  app.post('/api/v1/in-app/check', {
    preValidation: authenticate(opts.keys, 'write'),
    schema: {
      tags: ['widget'],
      summary: 'In-app surveys: should this user be asked a survey on this app screen now? The app renders the survey natively and answers with the token (public write key)',
      security: secretSecurity,
      body: Type.Object({ ...Person, screen: Type.Optional(Type.String({ maxLength: 200, description: 'The screen the user is on, e.g. "Order confirmation"' })) }, { additionalProperties: false }),
      response: withErrors({ 200: Offer }),
    },
  }, async (request) => offer(request.principal.workspaceId, 'app', request.body as Visitor));
  app.options('/api/v1/widget/check', { schema: { tags: ['widget'], summary: 'CORS preflight', security: tokenOnly } }, preflight);

  app.post('/api/v1/responses/:token', {
    schema: {
      tags,
      summary: 'Answer through a survey token (widget, email, SMS, link, kiosk): the first call creates the answer and needs the score; later calls update it',
      security: tokenOnly,
      params: Type.Object({ token: Type.String({ maxLength: 2000 }) }),
      body: ResponseBody,
      response: withErrors({ 200: ResponseView, 201: ResponseView }),
    },
  }, async (request, reply) => {
    const t = await verifiedToken(store, (request.params as { token: string }).token);
    const result = await respond(db, writer, t, request.body as { score?: number; comment?: string | null; csat?: number; ces?: number });
    const survey = await rendered(t);
    reply.status(result.created ? 201 : 200);
    return {
      answerId: result.answerId,
      score: result.score,
      category: result.category,
      followUp: survey?.followUp[result.category] ?? '',
      thankYou: survey?.thankYou[result.category] ?? 'Thank you!',
      promoterLink: result.category === 'promoter' ? (survey?.promoterLink ?? null) : null,
    };
  });
  app.options('/api/v1/responses/:token', { schema: { tags, summary: 'CORS preflight', security: tokenOnly } }, preflight);

  app.post('/api/v1/responses/:token/events', {
    schema: {
      tags,
      summary: 'The widget reports that it showed the survey, or that it was closed unanswered',
      security: tokenOnly,
      params: Type.Object({ token: Type.String({ maxLength: 2000 }) }),
      body: Type.Object({ type: Type.Union([Type.Literal('shown'), Type.Literal('dismissed')]) }, { additionalProperties: false }),
      response: withErrors({ 204: Type.Null() }),
    },
  }, async (request, reply) => {
    const t = await verifiedToken(store, (request.params as { token: string }).token);
    await recordSurveyEvent(db, writer, t, (request.body as { type: 'shown' | 'dismissed' }).type);
    reply.status(204);
  });
  app.options('/api/v1/responses/:token/events', { schema: { tags, summary: 'CORS preflight', security: tokenOnly } }, preflight);
}
