/**
 * The hosted survey surfaces: the link page (GET/POST /s/:token), unsubscribing (/u/:token), SMS
 * short links (/r/:code), kiosks (/k/:token) and open links (/o/:token), and for survey owners
 * the links and QR codes that lead to the last two. Pages are HTML (errors too, since a person
 * reads them); the routes under /api/ answer JSON like the rest of the API.
 *
 * Kiosk and open links are signed like contact tokens but name no person (contact id LINK, no
 * expiry worth the name). Each respondent gets a fresh contact token minted from one, so each
 * answer is its own anonymous visitor and a link can be printed and used for years.
 */
import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { categoryOf } from '../domain/category.ts';
import { newId } from '../domain/ids.ts';
import { addSuppression, contactByShortCode, getContact } from '../store/contacts.ts';
import type { Store } from '../store/db.ts';
import { getSurvey, type Survey } from '../store/surveys.ts';
import type { EventWriter } from '../store/writer.ts';
import type { SurveyDefinition } from '../domain/survey-definition.ts';
import { pickLanguage, renderSurvey } from '../surveys/definition.ts';
import { publicBase, type DeliveryContext } from '../surveys/delivery.ts';
import { messagePage, surveyPage, thankYouPage, unsubscribePage } from '../surveys/pages.ts';
import { qrPng, qrSvg } from '../surveys/qr.ts';
import { respond, type ResponseInput } from '../surveys/respond.ts';
import { LINK_CONTACT, signContactToken, verifyContactToken, type ContactToken } from '../surveys/tokens.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError, isAppError, type ErrorKind } from '../domain/errors.ts';
import { errorHandler, statusOf } from './errors.ts';
import { secretSecurity, withErrors } from './schemas.ts';
import { SurveyLink } from '../api-types/surveys.ts';
import { workspaceName } from '../store/workspaces.ts';

/** Kiosk and open links do not expire (they are printed and mounted). */
const LINK_EXPIRES = Date.UTC(2100, 0, 1) / 1000;
/** A kiosk or open-link respondent has a day to finish; nobody is sent the token. */
const VISIT_SECONDS = 86_400;

type LinkKind = 'kiosk' | 'open';
const CHANNEL: Record<LinkKind, 'kiosk' | 'link'> = { kiosk: 'kiosk', open: 'link' };
const PATH: Record<LinkKind, string> = { kiosk: 'k', open: 'o' };

/** An error a person sees as a page: a short title and what happened. */
const pageError = (kind: ErrorKind, title: string, message: string) => new AppError(kind, message, { details: { title } });

const TITLES: Record<number, string> = { 400: 'Something in this request is not right', 404: 'Not found', 413: 'That was too long to send' };

// Survey and kiosk pages may be framed: their URL is the credential, so a framing site must
// already hold it, and apps show survey links in webviews and iframes of their own.
// Unsubscribing, an action with no reason to be embedded, and error pages may not be framed.
function sendPage(reply: FastifyReply, status: number, render: (nonce: string) => string, frameAncestors = "'none'") {
  const nonce = randomBytes(16).toString('base64');
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors ${frameAncestors}`)
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(render(nonce));
}

/** The first of the candidate languages the survey has wording for (a contact's, then the browser's by q). */
function chooseLanguage(def: SurveyDefinition, candidates: Array<string | null | undefined>, acceptLanguage: string | undefined): string | null {
  const accepted = (acceptLanguage ?? '').split(',').map((part, i) => {
    const [tag, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { tag: tag.trim(), q: q ? Number(q.slice(2)) : 1, i };
  }).filter((a) => a.q > 0 && /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(a.tag)).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const tag of [...candidates, ...accepted.map((a) => a.tag)]) {
    if (tag && pickLanguage(def, tag).split('-')[0] === tag.split('-')[0].toLowerCase()) return tag;
  }
  return null;
}

/** A whole number from a query or form field, or a 400 page naming the field and the value. */
function wholeNumber(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'string' && /^\s*\d{1,3}\s*$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw pageError('invalid', 'This answer could not be saved', `${field}: "${String(value).slice(0, 20)}" is not a whole number from ${min} to ${max}`);
  return n;
}

export async function pageRoutes(app: FastifyInstance, opts: { store: Store; writer: EventWriter; keys: KeyCache; delivery: Pick<DeliveryContext, 'db' | 'publicUrl'> }) {
  const db = opts.store.db;
  const secret = authenticate(opts.keys, 'secret');
  const tokenOnly: Array<Record<string, string[]>> = [];
  const token = Type.Object({ token: Type.String({ maxLength: 2000 }) });

  // HTML forms post urlencoded; RFC 8058 one-click unsubscribes post urlencoded or multipart,
  // and for those only the POST itself matters, not its content.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, _body, done) => done(null, {}));

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (request.url.startsWith('/api/')) return errorHandler(err, request, reply);
    let status = statusOf(err);
    let title = err instanceof AppError && typeof err.details?.title === 'string' ? err.details.title : (TITLES[status] ?? 'Something went wrong');
    let message = err.message;
    if (err.validation) {
      status = 400;
      title = TITLES[400];
      message = `${err.validationContext ?? 'request'}${err.validation[0]?.instancePath.replace(/\//g, '.') ?? ''}: ${err.validation[0]?.message ?? 'is invalid'}`;
    } else if (status >= 500) {
      title = 'Something went wrong';
      message = 'Please try again in a moment.';
    }
    return sendPage(reply, status, (nonce) => messagePage({ status, title, message, nonce }));
  });

  async function verify(raw: string, ignoreExpiry = false): Promise<ContactToken> {
    try {
      // Unsubscribe links must keep working after the survey link expired: now = 0 skips expiry.
      return await verifyContactToken(db, raw, ignoreExpiry ? 0 : Date.now());
    } catch (err) {
      if (!isAppError(err) || err.field !== 'token') throw err;
      if (err.kind === 'gone') throw pageError('gone', 'This survey link has expired', `${err.message.replace(/^token: t/, 'T')}. Thank you all the same.`);
      throw pageError('unauthorized', 'This link is not valid', 'It may have been cut off or changed on the way. Please open it again from the original message.');
    }
  }

  /** A token for one person's answer; a kiosk or open link token is refused here. */
  async function personToken(raw: string, ignoreExpiry = false): Promise<ContactToken> {
    const t = await verify(raw, ignoreExpiry);
    if (t.c === LINK_CONTACT) throw pageError('unauthorized', 'This link is not valid', 'This is a kiosk or open link, not a survey link of one person.');
    return t;
  }

  async function presented(survey: Survey | null, request: FastifyRequest, contactLanguage?: string | null) {
    if (!survey) throw pageError('not_found', 'This survey no longer exists', 'The survey this link leads to was deleted.');
    const name = (await workspaceName(db, survey.workspaceId)) ?? '';
    const language = chooseLanguage(survey.definition, [contactLanguage], request.headers['accept-language']);
    return { rendered: renderSurvey(survey.id, survey.version, survey.definition, language, name), company: survey.definition.companyName ?? name };
  }

  async function contactOf(t: ContactToken) {
    const contact = await getContact(db, t.w, t.c);
    const language = contact ? (JSON.parse(contact.properties || '{}') as { language?: string }).language : null;
    return { contact, language: typeof language === 'string' ? language : null };
  }

  async function answer(t: ContactToken, input: ResponseInput) {
    try {
      return await respond(db, opts.writer, t, input);
    } catch (err) {
      if (isAppError(err, 'invalid')) throw pageError('invalid', 'This answer could not be saved', err.message);
      throw err;
    }
  }

  // --- The link page ---------------------------------------------------------------------------

  app.get('/s/:token', {
    schema: {
      tags: ['pages'], summary: 'Survey page of one contact (emailed, texted and in-app links); ?score=N records a one-click score from the email and asks why',
      params: token, querystring: Type.Object({ score: Type.Optional(Type.String({ maxLength: 20, description: 'Score 0–10, recorded at once' })) }),
    },
  }, async (request, reply) => {
    const raw = (request.params as { token: string }).token;
    const t = await personToken(raw);
    const score = wholeNumber((request.query as { score?: string }).score, 'score', 0, 10) ?? null;
    const { language } = await contactOf(t);
    const { rendered, company } = await presented(await getSurvey(db, t.w, t.s, t.v), request, language);
    // Link checkers and previews often send HEAD: only a real visit records a score.
    if (score != null && request.method !== 'HEAD') await answer(t, { score });
    return sendPage(reply, 200, (nonce) => surveyPage({ survey: rendered, company, nonce, mode: 'link', token: raw, score }), '*');
  });

  app.post('/s/:token', {
    schema: {
      tags: ['pages'], summary: 'The survey page\'s form without JavaScript: comment, CSAT and CES (urlencoded); shows the thank-you',
      consumes: ['application/x-www-form-urlencoded'], params: token,
      body: Type.Object({
        score: Type.Optional(Type.String({ maxLength: 20 })), comment: Type.Optional(Type.String({ maxLength: 10_000 })),
        csat: Type.Optional(Type.String({ maxLength: 20 })), ces: Type.Optional(Type.String({ maxLength: 20 })),
      }),
    },
  }, async (request, reply) => {
    const t = await personToken((request.params as { token: string }).token);
    const b = request.body as Record<string, string | undefined>;
    const input: ResponseInput = {
      score: wholeNumber(b.score, 'score', 0, 10), csat: wholeNumber(b.csat, 'csat', 1, 5), ces: wholeNumber(b.ces, 'ces', 1, 7),
      ...(b.comment !== undefined ? { comment: b.comment } : {}),
    };
    const { language } = await contactOf(t);
    const { rendered, company } = await presented(await getSurvey(db, t.w, t.s, t.v), request, language);
    const result = await answer(t, input);
    return sendPage(reply, 200, (nonce) => thankYouPage({ survey: rendered, company, nonce, category: categoryOf(result.score) }), '*');
  });

  // --- Unsubscribing ---------------------------------------------------------------------------

  async function unsubscribeTarget(raw: string) {
    const t = await personToken(raw, true);
    const address = t.em ?? t.ph;
    if (!address) throw pageError('invalid', 'Nothing to unsubscribe', 'This link was not sent to an email address or phone number.');
    const survey = await getSurvey(db, t.w, t.s, t.v);
    return { t, address, company: survey?.definition.companyName ?? (await workspaceName(db, t.w)) ?? '', brandColor: survey?.definition.brandColor };
  }

  app.get('/u/:token', {
    schema: { tags: ['pages'], summary: 'Unsubscribe page of an emailed or texted survey link: asks to confirm (a GET never unsubscribes)', params: token },
  }, async (request, reply) => {
    const raw = (request.params as { token: string }).token;
    const u = await unsubscribeTarget(raw);
    return sendPage(reply, 200, (nonce) => unsubscribePage({ company: u.company, address: u.address, brandColor: u.brandColor, action: `/u/${encodeURIComponent(raw)}`, done: false, nonce }));
  });

  app.post('/u/:token', {
    schema: { tags: ['pages'], summary: 'Unsubscribe: the confirmation form, and RFC 8058 one-click (List-Unsubscribe=One-Click); works after the survey link expired', params: token },
  }, async (request, reply) => {
    const raw = (request.params as { token: string }).token;
    const u = await unsubscribeTarget(raw);
    const { contact } = await contactOf(u.t);
    await addSuppression(db, u.t.w, {
      kind: 'unsubscribe', channel: u.t.ch, address: u.address, profileId: contact?.profile_id ?? null,
      source: u.t.ch === 'sms' ? 'sms link' : 'email link',
    });
    return sendPage(reply, 200, (nonce) => unsubscribePage({ company: u.company, address: u.address, brandColor: u.brandColor, action: '', done: true, nonce }));
  });

  // --- SMS short links -------------------------------------------------------------------------

  app.get('/r/:code', {
    schema: { tags: ['pages'], summary: 'Short link in a survey text message: redirects to the survey page of that contact', params: Type.Object({ code: Type.String({ maxLength: 64 }) }) },
  }, async (request, reply) => {
    const contact = await contactByShortCode(db, (request.params as { code: string }).code);
    if (!contact) throw pageError('not_found', 'This link is unknown', 'Please check that the whole link from the message was opened.');
    const survey = await getSurvey(db, contact.workspace_id, contact.survey_id, contact.survey_version);
    if (!survey) throw pageError('not_found', 'This survey no longer exists', 'The survey this link leads to was deleted.');
    // Valid for tokenTtlDays from the text message, as the long link in it would have been.
    const expires = Math.floor((contact.contacted_at ?? contact.created_at) / 1000) + survey.definition.tokenTtlDays * 86_400;
    if (expires * 1000 < Date.now()) throw pageError('gone', 'This survey link has expired', `This survey link expired on ${new Date(expires * 1000).toISOString().slice(0, 10)}. Thank you all the same.`);
    const minted = await signContactToken(db, {
      w: contact.workspace_id, c: contact.id, s: contact.survey_id, v: contact.survey_version, ch: contact.channel,
      ...(contact.user_id ? { u: contact.user_id } : {}), ...(contact.anonymous_id ? { a: contact.anonymous_id } : {}),
      ...(contact.email ? { em: contact.email } : {}), ...(contact.phone ? { ph: contact.phone } : {}),
      x: expires,
    });
    return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(`/s/${minted}`, 302);
  });

  // --- Kiosk and open links --------------------------------------------------------------------

  /**
   * The survey behind a kiosk or open link, as it is now: a link lives for years, so its latest
   * version, status and channel switches apply, not those of the day it was made.
   */
  async function linkTarget(raw: string, kind: LinkKind) {
    const t = await verify(raw);
    if (t.c !== LINK_CONTACT || t.ch !== CHANNEL[kind]) throw pageError('unauthorized', 'This link is not valid', `This is not ${kind === 'kiosk' ? 'a kiosk' : 'an open survey'} link.`);
    const survey = await getSurvey(db, t.w, t.s);
    if (!survey) throw pageError('not_found', 'This survey no longer exists', 'The survey this link leads to was deleted.');
    // 410 rather than 404: the link is genuine, the survey just takes no answers this way (now).
    if (survey.status !== 'active') throw pageError('gone', 'This survey is closed', 'It is not taking answers at the moment. Thank you for stopping by.');
    if (!survey.definition.channels[CHANNEL[kind]].enabled) {
      throw pageError('gone', 'This survey is closed here', `It is not taking answers through ${kind === 'kiosk' ? 'this kiosk' : 'this link'} at the moment. Thank you for stopping by.`);
    }
    return { t, survey };
  }

  /** A fresh contact for one respondent: no person identifiers, so respond() makes an anonymous visitor. */
  function visitToken(t: ContactToken, survey: Survey): Promise<string> {
    return signContactToken(db, {
      w: t.w, c: newId('con'), s: survey.id, v: survey.version, ch: t.ch, ...(t.loc ? { loc: t.loc } : {}),
      x: Math.floor(Date.now() / 1000) + VISIT_SECONDS,
    });
  }

  app.get('/k/:token', {
    schema: { tags: ['pages'], summary: 'Kiosk: the survey full screen, starting over for the next person after each answer', params: token },
  }, async (request, reply) => {
    const raw = (request.params as { token: string }).token;
    const { survey } = await linkTarget(raw, 'kiosk');
    const { rendered, company } = await presented(survey, request);
    return sendPage(reply, 200, (nonce) => surveyPage({
      survey: rendered, company, nonce, mode: 'kiosk', token: raw, score: null, resetSeconds: survey.definition.channels.kiosk.resetSeconds,
    }), '*');
  });

  app.post('/api/v1/kiosk/:token/start', {
    schema: {
      tags: ['kiosk'], summary: 'Kiosk: a fresh survey token for the next respondent (the kiosk link token is the credential)', security: tokenOnly,
      params: token, response: withErrors({ 200: Type.Object({ token: Type.String() }) }),
    },
  }, async (request) => {
    const { t, survey } = await linkTarget((request.params as { token: string }).token, 'kiosk');
    return { token: await visitToken(t, survey) };
  });

  app.get('/o/:token', {
    schema: { tags: ['pages'], summary: 'Open link (receipts, posters, QR codes): redirects each visitor to a survey page of their own', params: token },
  }, async (request, reply) => {
    const { t, survey } = await linkTarget((request.params as { token: string }).token, 'open');
    return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(`/s/${await visitToken(t, survey)}`, 302);
  });

  // --- Links and QR codes for survey owners ----------------------------------------------------

  const LinkKindSchema = Type.Union([Type.Literal('kiosk'), Type.Literal('open')]);
  const Location = Type.String({ minLength: 1, maxLength: 100, description: 'Where the kiosk stands or the code is printed; recorded on each answer as properties.location' });
  const surveyParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

  async function surveyLink(request: FastifyRequest, id: string, kind: LinkKind, location?: string) {
    const ws = request.principal.workspaceId;
    const survey = await getSurvey(db, ws, id);
    if (!survey) throw new AppError('not_found', `No survey ${id} in this workspace`);
    const loc = location?.trim() || undefined;
    const linkToken = await signContactToken(db, { w: ws, c: LINK_CONTACT, s: survey.id, v: survey.version, ch: CHANNEL[kind], x: LINK_EXPIRES, ...(loc ? { loc } : {}) });
    return { url: `${await publicBase(opts.delivery, ws)}/${PATH[kind]}/${linkToken}`, kind, location: loc ?? null };
  }

  app.post('/api/v1/surveys/:id/links', {
    preValidation: secret,
    schema: {
      tags: ['surveys'], security: secretSecurity,
      summary: 'A kiosk link or an open link (for receipts, posters, QR codes) to a survey; it does not expire, every use is a new anonymous respondent',
      params: surveyParams, body: Type.Object({ kind: LinkKindSchema, location: Type.Optional(Location) }, { additionalProperties: false }),
      response: withErrors({ 201: SurveyLink }),
    },
  }, async (request, reply) => {
    const body = request.body as { kind: LinkKind; location?: string };
    reply.status(201);
    return surveyLink(request, (request.params as { id: string }).id, body.kind, body.location);
  });

  app.get('/api/v1/surveys/:id/qr', {
    preValidation: secret,
    schema: {
      tags: ['surveys'], security: secretSecurity,
      summary: 'QR code (SVG or PNG) of a survey\'s open or kiosk link; the link itself is in the X-Survey-Url header',
      params: surveyParams,
      querystring: Type.Object({
        kind: Type.Optional(LinkKindSchema), location: Type.Optional(Location),
        format: Type.Optional(Type.Union([Type.Literal('svg'), Type.Literal('png')])),
        size: Type.Optional(Type.Integer({ minimum: 128, maximum: 2048, description: 'Width and height in pixels; default 512' })),
      }),
      response: withErrors({}),
    },
  }, async (request, reply) => {
    const q = request.query as { kind?: LinkKind; location?: string; format?: 'svg' | 'png'; size?: number };
    const link = await surveyLink(request, (request.params as { id: string }).id, q.kind ?? 'open', q.location);
    const size = q.size ?? 512;
    const format = q.format ?? 'svg';
    reply.header('x-survey-url', link.url).header('cache-control', 'no-store')
      .header('content-disposition', `inline; filename="survey-${link.kind}.${format}"`)
      .type(format === 'svg' ? 'image/svg+xml' : 'image/png');
    return format === 'svg' ? qrSvg(link.url, size) : qrPng(link.url, size);
  });
}
