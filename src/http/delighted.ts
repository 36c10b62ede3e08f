/**
 * A Delighted-compatible API under /v1, so that teams whose Delighted account closed can point the
 * official clients (host, port, scheme, base '/v1') at Advocate and keep their code. The API key is
 * an Advocate secret key sent as the HTTP Basic username; every path also answers with `.json`.
 *
 * Delighted has one implicit survey per account (per project): here that is the workspace's oldest
 * active survey, or a survey named "NPS" created on first use. A Delighted person is an Advocate
 * profile (`id` is the profile id, a string); properties are traits; a survey response is an answer.
 *
 * Errors have Delighted's shape, `{ status, message, errors? }`: 401 for a key that cannot use this
 * API (unknown, revoked, or a public write key), 404 for an unknown person, 422 with `errors` per
 * field for invalid input (schema errors included, through this plugin's own error handler), 429
 * with Retry-After when ingestion is too far behind.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InsightEngine } from '../analytics/engine.ts';
import { countsAt, countDim } from '../analytics/query.ts';
import { decodeCursor, encodeCursor } from '../domain/cursor.ts';
import { newId } from '../domain/ids.ts';
import type { IngestEvent } from '../domain/event.ts';
import { normaliseEmail, normalisePhone } from '../domain/identifiers.ts';
import { answersPage, getAnswer, type AnswerFilter } from '../store/answers.ts';
import { addSuppression, cancelScheduled, insertContact, isErasedAddress, listSuppressions, sentContactAt, surveyDates } from '../store/contacts.ts';
import { fromJson, type Store } from '../store/db.ts';
import { erasePerson } from '../store/erase.ts';
import {
  addressesOf, findProfileId, getProfileRow, identifiersOf, listPeople, ownersOfAddresses, profilesByIds,
} from '../store/profiles.ts';
import type { AnswerTable, ProfileTable, SuppressionTable } from '../store/schema.ts';
import { createSurvey, listSurveys, surveyExists, type Survey } from '../store/surveys.ts';
import { projectedItems, type EventWriter } from '../store/writer.ts';
import { publicBase, scheduleSends, type DeliveryContext } from '../surveys/delivery.ts';
import { answerEvents } from './answers.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError } from '../domain/errors.ts';
import { DATABASE_UNAVAILABLE, databaseUnavailable, statusOf } from './errors.ts';
import { timeProblem } from '../domain/limits.ts';
import { useStrictJson } from './request-text.ts';

export interface DelightedOptions {
  store: Store;
  writer: EventWriter;
  keys: KeyCache;
  delivery: DeliveryContext;
  engine: InsightEngine;
}

// ---------------------------------------------------------------------------------------------
// Errors in Delighted's shape

/** 422 with messages per field, as Delighted answers invalid input. */
class Unprocessable extends Error {
  constructor(readonly errors: Record<string, string[]>) {
    super('Unprocessable Entity');
  }
}
function invalid(field: string, message: string): never {
  throw new Unprocessable({ [field]: [message] });
}

interface AjvError {
  keyword: string;
  instancePath: string;
  params?: Record<string, unknown>;
  message?: string;
}

function describe(v: AjvError): string {
  const p = v.params ?? {};
  switch (v.keyword) {
    case 'maximum': return `must be less than or equal to ${p.limit}`;
    case 'minimum': return `must be greater than or equal to ${p.limit}`;
    case 'maxLength': return `is too long (maximum is ${p.limit} characters)`;
    case 'minLength': return `is too short (minimum is ${p.limit} characters)`;
    case 'enum': return `is not included in the list (${(p.allowedValues as unknown[] | undefined)?.join(', ') ?? ''})`;
    case 'type': return p.type === 'integer' ? 'must be an integer' : `must be ${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${p.type}`;
    case 'anyOf': return 'is invalid';
    default: return v.message ?? 'is invalid';
  }
}

/** Fastify's schema errors as Delighted's `errors`: one message per field. */
function validationErrors(err: FastifyError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const seen = new Map<string, AjvError[]>();
  for (const v of (err.validation ?? []) as AjvError[]) {
    const missing = v.params?.missingProperty as string | undefined;
    const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const field = [path, missing].filter(Boolean).join('.') || err.validationContext || 'base';
    if (missing) (out[field] ??= []).push("can't be blank");
    else seen.set(field, [...(seen.get(field) ?? []), v]);
  }
  for (const [field, list] of seen) {
    if (out[field]) continue;
    // A union reports every branch: that the value fits none of them is what matters.
    const union = list.find((v) => v.keyword === 'anyOf');
    out[field] = [describe(union ?? list[0])];
  }
  return out;
}

function delightedErrors(err: FastifyError & { field?: string; headers?: Record<string, string> }, request: FastifyRequest, reply: FastifyReply) {
  let status = statusOf(err);
  let message = err.message;
  let errors: Record<string, string[]> | undefined;
  if (err instanceof Unprocessable) {
    status = 422;
    errors = err.errors;
  } else if (err.validation) {
    status = 422;
    message = 'Unprocessable Entity';
    errors = validationErrors(err);
  } else if (err instanceof AppError) {
    // A public write key is not a Delighted API key: the client's AuthenticationError is a 401
    // (Delighted's 403 means "not on your plan").
    if (status === 403) status = 401;
    if (status === 400 && err.field) {
      status = 422;
      const text = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
      errors = { [err.field]: [text] };
      message = 'Unprocessable Entity';
    }
  } else if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
    status = 400;
    message = `Malformed JSON body: ${err.message}`;
  } else if (status >= 500 && databaseUnavailable(err)) {
    status = 503;
    message = DATABASE_UNAVAILABLE;
    reply.header('retry-after', '1');
  } else if (status >= 500 && !(err as { expose?: boolean }).expose) {
    status = 500;
    message = 'Internal error; it has been logged';
  }
  if (err.headers) reply.headers(err.headers);
  reply.status(status).send({ status, message, ...(errors ? { errors } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Schemas (for validation and the OpenAPI document)

const tags = ['delighted'];
const security: Array<Record<string, string[]>> = [{ basicAuth: [] }];
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
// Past 8.64e12 seconds a number is no longer a date (JavaScript's range): refused by the schema.
const UnixTime = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000, description: 'Unix timestamp in seconds' });

/** Unix seconds of something that happened, as epoch ms inside the accepted window (domain/limits.ts), else 422 naming the field. */
function eventSeconds(value: number, field: string, now = Date.now()): number {
  const ms = value * 1000;
  const problem = timeProblem(ms, now);
  if (problem) invalid(field, `${Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : value} ${problem}`);
  return ms;
}
const PerPage = Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20, description: 'Items per page, default 20; more than 100 is read as 100' }));
const Page = Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1, description: 'Page number, from 1 (at most 1,000,000)' }));
const StringList = Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]));
const Properties = Type.Record(Type.String(), Type.Unknown());
const Ok = Type.Object({ ok: Type.Boolean() });
const ErrorBody = Type.Object({
  status: Type.Integer(),
  message: Type.String(),
  errors: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()), { description: 'Messages per field (422)' })),
});
const responses = (ok: Record<number, TSchema>) => ({ ...ok, '4xx': ErrorBody });

const PersonView = Type.Object({
  id: Type.String({ description: 'The Advocate profile id' }),
  email: Nullable(Type.String()),
  name: Nullable(Type.String()),
  phone_number: Nullable(Type.String()),
  created_at: Type.Integer(),
  last_sent_at: Nullable(Type.Integer()),
  last_responded_at: Nullable(Type.Integer()),
  next_survey_scheduled_at: Nullable(Type.Integer()),
  properties: Properties,
});
type PersonView = {
  id: string; email: string | null; name: string | null; phone_number: string | null; created_at: number;
  last_sent_at: number | null; last_responded_at: number | null; next_survey_scheduled_at: number | null; properties: Record<string, unknown>;
};

const PersonCreated = Type.Object({
  id: Type.String(),
  email: Nullable(Type.String()),
  name: Nullable(Type.String()),
  phone_number: Nullable(Type.String()),
  created_at: Type.Integer(),
  survey_scheduled_at: Nullable(Type.Integer({ description: 'When the survey goes out; null when not sent (send=false, or the fatigue policy said no)' })),
  properties: Properties,
});

const CreatePerson = Type.Object({
  email: Type.Optional(Type.String({ maxLength: 320 })),
  phone_number: Type.Optional(Type.String({ maxLength: 32, description: 'E.164, e.g. +17132746524' })),
  name: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
  channel: Type.Optional(Type.Unsafe<'email' | 'sms'>({ type: 'string', enum: ['email', 'sms'], default: 'email' })),
  delay: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 * 86_400, description: 'Seconds to wait before sending' })),
  send: Type.Optional(Type.Boolean({ default: true, description: 'false: create or update the person without scheduling a survey' })),
  last_sent_at: Type.Optional(Type.Integer({ minimum: 0, description: 'Unix time the person was last surveyed elsewhere; counts for the fatigue policy' })),
  properties: Type.Optional(Properties),
  email_update: Type.Optional(Type.String({ maxLength: 320, description: 'New email address for the person identified by email (or phone_number)' })),
});
interface CreatePersonBody {
  email?: string; phone_number?: string; name?: string | null; channel?: 'email' | 'sms'; delay?: number; send?: boolean;
  last_sent_at?: number; properties?: Record<string, unknown>; email_update?: string;
}

const SurveyResponseView = Type.Object({
  id: Type.String(),
  person: Type.Union([Type.String(), PersonView], { description: 'The person id, or the person with expand[]=person' }),
  survey_type: Type.String(),
  score: Type.Integer(),
  comment: Nullable(Type.String()),
  permalink: Type.String(),
  created_at: Type.Integer(),
  updated_at: Nullable(Type.Integer()),
  person_properties: Nullable(Properties),
  notes: Type.Array(Type.Unknown()),
  tags: Type.Array(Type.String()),
  additional_answers: Type.Array(Type.Unknown()),
});

const CreateResponse = Type.Object({
  person: Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Integer()], { description: 'The id of the person responding' }),
  score: Type.Integer({ minimum: 0, maximum: 10 }),
  comment: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
  properties: Type.Optional(Properties),
  person_properties: Type.Optional(Properties),
  created_at: Type.Optional(Type.Integer({ minimum: 0, description: 'Unix time the response was collected; now when left out' })),
});
interface CreateResponseBody {
  person: string | number; score: number; comment?: string | null; properties?: Record<string, unknown>;
  person_properties?: Record<string, unknown>; created_at?: number;
}

const Metrics = Type.Object({
  nps: Nullable(Type.Integer({ description: 'Rounded to an integer; null without responses' })),
  promoter_count: Type.Integer(),
  promoter_percent: Type.Number(),
  passive_count: Type.Integer(),
  passive_percent: Type.Number(),
  detractor_count: Type.Integer(),
  detractor_percent: Type.Number(),
  response_count: Type.Integer(),
});

const SuppressionView = (at: 'unsubscribed_at' | 'bounced_at') => Type.Object({
  person_id: Nullable(Type.String()),
  email: Nullable(Type.String()),
  phone_number: Nullable(Type.String()),
  name: Nullable(Type.String()),
  [at]: Type.Integer(),
});

const PersonRef = Type.Object({ id: Type.String({ description: 'A person id, email:<address> or phone_number:<E.164>' }) });

// ---------------------------------------------------------------------------------------------
// Helpers

const seconds = (ms: number | null | undefined) => (ms == null ? null : Math.floor(Number(ms) / 1000));
const list = (v: string | string[] | undefined) => (v == null ? [] : (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean));

/** Rounds half away from zero, as Delighted (Ruby) does: -12.5 is -13. */
const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));
const percent = (count: number, n: number) => (n ? Math.round((count * 1000) / n) / 10 : 0);

/** `since`/`until` are inclusive, to the second. */
function timeRange(since?: number, until?: number): { from?: number; to?: number } {
  return { from: since != null ? since * 1000 : undefined, to: until != null ? (until + 1) * 1000 : undefined };
}

/** page_info: the created time and id of the last answer on the previous page. */
function pageInfo(value: string): { createdAt: number; id: string } {
  const c = decodeCursor(value);
  if (!c || !Number.isInteger(c.n)) invalid('page_info', 'is invalid: use the link in the Link header of the previous page');
  return { createdAt: c.n, id: c.id };
}

/** Form bodies (curl -d, older clients): bracketed keys nest, and the numbers and booleans Delighted takes are read as such. */
function parseForm(text: string): Record<string, unknown> {
  const out: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const m = /^([^[\]]+)\[([^[\]]*)\]$/.exec(key);
    if ([key, m?.[1], m?.[2]].some((k) => k === '__proto__' || k === 'constructor' || k === 'prototype')) continue;
    if (m && m[2] === '') (out[m[1]] = Array.isArray(out[m[1]]) ? out[m[1]] : []).push(value);
    else if (m) (out[m[1]] = typeof out[m[1]] === 'object' && out[m[1]] !== null ? out[m[1]] : {})[m[2]] = value;
    else out[key] = value;
  }
  for (const k of ['score', 'delay', 'last_sent_at', 'created_at']) if (typeof out[k] === 'string' && /^\d+$/.test(out[k])) out[k] = Number(out[k]);
  if (out.send === 'true' || out.send === 'false') out.send = out.send === 'true';
  return out;
}

// ---------------------------------------------------------------------------------------------

export async function delightedRoutes(app: FastifyInstance, opts: DelightedOptions) {
  const { store, writer, keys, delivery } = opts;
  const db = store.db;
  // Delighted's clients hold API keys; a dashboard session here would only widen what a forged
  // request could reach. Keys act as admins, so erasing people stays an admin's (or key's) right.
  const secret = authenticate(keys, 'secret', { sessions: 'never' });

  app.setErrorHandler(delightedErrors);
  // The client sends Content-Type: application/json on DELETE too, with no body: not an error here.
  useStrictJson(app, { emptyIsNothing: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, parseForm(String(body)));
  });

  /** Registers a route at its path and at the path with `.json`, as Delighted answers both. */
  function route(method: 'GET' | 'POST' | 'DELETE', path: string, schema: Record<string, unknown>, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) {
    for (const url of [path, `${path}.json`]) {
      app.route({ method, url, preValidation: secret, schema: { tags, security, ...schema }, handler });
    }
  }

  // --- the implicit survey -------------------------------------------------------------------

  const creating = new Map<string, Promise<Survey>>();
  /** The workspace's oldest active survey; else a paused "NPS" made here earlier (so pausing it stops sends); else a new "NPS". */
  async function implicitSurvey(ws: string): Promise<Survey> {
    const surveys = await listSurveys(db, ws);
    const active = surveys.filter((s) => s.status === 'active');
    if (active.length) return active[active.length - 1];
    const ours = surveys.find((s) => s.name === 'NPS');
    if (ours) return ours;
    let pending = creating.get(ws);
    if (!pending) {
      pending = createSurvey(db, ws, { name: 'NPS' }).finally(() => creating.delete(ws));
      creating.set(ws, pending);
    }
    return pending;
  }

  /** `trend` is read as a survey id: one of this account's, else 422. */
  async function mustBeSurvey(ws: string, id: string) {
    if (!(await surveyExists(db, ws, id))) invalid('trend', 'is not a survey of this account (Advocate reads trend as a survey id)');
  }

  // --- people --------------------------------------------------------------------------------

  /** A person reference from a path: an id, email:<address>, phone_number:<number>, or a bare email. */
  async function findPerson(ws: string, raw: string): Promise<ProfileTable | null> {
    let ref = raw.trim();
    if (ref.endsWith('.json')) ref = ref.slice(0, -5);
    let id: string | null;
    if (ref.startsWith('email:')) id = await findProfileId(db, ws, 'email', ref.slice(6));
    else if (ref.startsWith('phone_number:')) id = await findProfileId(db, ws, 'phone', ref.slice(13));
    else if (ref.includes('@')) id = await findProfileId(db, ws, 'email', ref);
    else id = ref;
    return id ? getProfileRow(db, ws, id) : null;
  }

  async function mustFindPerson(ws: string, raw: string): Promise<ProfileTable> {
    const p = await findPerson(ws, raw);
    if (!p) throw new AppError('not_found', `No person ${raw.replace(/\.json$/, '')} in this account`);
    return p;
  }

  /** Delighted person objects for profiles, with their addresses and survey dates, in a few queries. */
  async function peopleViews(ws: string, rows: ProfileTable[]): Promise<PersonView[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const [byKind, { lastSent, next }] = await Promise.all([addressesOf(db, ws, ids), surveyDates(db, ws, ids)]);
    return rows.map((p) => {
      const traits = fromJson<Record<string, unknown>>(p.traits, {});
      const { emails = [], phones = [] } = byKind.get(p.id) ?? {};
      const traitEmail = typeof traits.email === 'string' ? traits.email.toLowerCase() : null;
      const { email: _email, phone: _phone, name, ...properties } = traits;
      return {
        id: p.id,
        email: (traitEmail && emails.includes(traitEmail) ? traitEmail : emails[0]) ?? null,
        name: typeof name === 'string' ? name : null,
        phone_number: phones[0] ?? null,
        created_at: seconds(p.created_at)!,
        last_sent_at: seconds(lastSent.get(p.id)),
        last_responded_at: seconds(p.nps_answered_at),
        next_survey_scheduled_at: seconds(next.get(p.id)),
        properties,
      };
    });
  }

  async function identify(ws: string, person: { email: string | null; phone: string | null; name?: string | null; properties?: Record<string, unknown> }): Promise<string> {
    const now = Date.now();
    const traits = {
      ...(person.properties ?? {}), ...(person.name ? { name: person.name } : {}),
      ...(person.email ? { email: person.email } : {}), ...(person.phone ? { phone: person.phone } : {}),
    };
    const event: IngestEvent = {
      messageId: `${newId('dl', now)}-identify`, type: 'identify', name: null, userId: null, anonymousId: null, email: person.email, phone: person.phone,
      previousId: null, groupId: null, properties: null, traits, context: { source: 'delighted api' }, timestamp: now, receivedAt: now, answer: null,
    };
    const result = await writer.write(ws, [event]);
    return projectedItems(result)[0].profileId;
  }

  /** A survey sent elsewhere before (Delighted's last_sent_at) is a sent contact, so the fatigue policy counts it. */
  async function recordLastSent(ws: string, profileId: string, survey: Survey, channel: 'email' | 'sms', at: number, email: string | null, phone: string | null) {
    if (await sentContactAt(db, ws, profileId, at)) return;
    const now = Date.now();
    await insertContact(db, {
      id: newId('con', now), workspace_id: ws, survey_id: survey.id, survey_version: survey.version, profile_id: profileId, channel, status: 'sent',
      reason: 'last_sent_at given through the Delighted API', user_id: null, anonymous_id: null, email, phone, short_code: null,
      properties: JSON.stringify({ trigger: 'delighted last_sent_at' }), scheduled_at: at, contacted_at: at, answered_at: null, answer_id: null,
      error: null, attempts: 0, created_at: at, updated_at: now,
    });
  }

  /** email_update: the person found by email (or phone) gets the new address; it must not be someone else's. */
  async function updateEmail(ws: string, profileId: string, oldEmail: string | null, newEmail: string) {
    const owner = await findProfileId(db, ws, 'email', newEmail);
    if (owner && owner !== profileId) invalid('email_update', 'has already been taken');
    if (owner || !oldEmail) return; // already theirs, or added by the identify that follows
    await writer.apply(ws, { type: 'person.email', profileId, from: oldEmail, to: newEmail });
  }

  route('POST', '/v1/people', {
    summary: 'Delighted: create or update a person and schedule a survey by email or SMS (the fatigue policy applies)',
    description: 'Properties become traits. `survey_scheduled_at` is null when nothing was scheduled: send=false, or the fatigue policy refused (recently asked, unsubscribed, bounced). 201 for a new person, 200 for an existing one.',
    body: CreatePerson,
    response: responses({ 200: PersonCreated, 201: PersonCreated }),
  }, async (request, reply) => {
    const ws = request.principal.workspaceId;
    const b = (request.body ?? {}) as CreatePersonBody;
    const channel = b.channel ?? 'email';
    const send = b.send !== false;
    const errors: Record<string, string[]> = {};
    const add = (field: string, message: string) => (errors[field] ??= []).push(message);
    const email = b.email ? normaliseEmail(b.email) : null;
    if (b.email && !email) add('email', 'is invalid');
    const phone = b.phone_number ? normalisePhone(b.phone_number) : null;
    if (b.phone_number && (!phone || !phone.startsWith('+'))) add('phone_number', 'is invalid: use E.164, e.g. +17132746524');
    const newEmail = b.email_update ? normaliseEmail(b.email_update) : null;
    if (b.email_update && !newEmail) add('email_update', 'is invalid');
    if (!b.email && !b.phone_number) add(channel === 'sms' ? 'phone_number' : 'email', "can't be blank");
    else if (send && channel === 'email' && !b.email && !b.email_update) add('email', "can't be blank when sending by email");
    else if (send && channel === 'sms' && !b.phone_number) add('phone_number', "can't be blank when sending by SMS");
    if (Object.keys(errors).length) throw new Unprocessable(errors);
    // Checked before anything is written: a refused request must not leave the person behind.
    const lastSentAt = b.last_sent_at != null ? eventSeconds(b.last_sent_at, 'last_sent_at') : null;

    const existing = (email && (await findProfileId(db, ws, 'email', email))) || (phone && (await findProfileId(db, ws, 'phone', phone))) || null;
    let sendTo = email;
    if (newEmail) {
      if (!existing) throw new AppError('not_found', `No person with ${email ? `email ${email}` : `phone number ${phone}`} to give the new email address`);
      await updateEmail(ws, existing, email, newEmail);
      sendTo = newEmail;
    }
    const properties = b.properties ?? {};
    const person = { email: sendTo, phone, name: b.name ?? null, properties };

    let profileId: string | null = null;
    if (!send || lastSentAt != null) profileId = await identify(ws, person);
    if (lastSentAt != null) await recordLastSent(ws, profileId!, await implicitSurvey(ws), channel, lastSentAt, sendTo, phone);
    let scheduledAt: number | null = null;
    if (send) {
      const survey = await implicitSurvey(ws);
      const language = typeof properties.locale === 'string' ? properties.locale : undefined;
      const [outcome] = await scheduleSends(delivery, ws, survey, [{ email: sendTo ?? undefined, phone: phone ?? undefined, name: b.name ?? undefined, language, properties }], {
        channel, delaySeconds: b.delay ?? 0, reason: 'delighted',
      });
      profileId = outcome.profileId ?? profileId;
      scheduledAt = outcome.status === 'scheduled' && outcome.scheduledAt ? seconds(Date.parse(outcome.scheduledAt)) : null;
    }
    const row = profileId ? await getProfileRow(db, ws, profileId) : null;
    if (!row) throw new Error('person missing after it was written');
    const [view] = await peopleViews(ws, [row]);
    reply.status(existing ? 200 : 201);
    return {
      id: view.id, email: sendTo ?? view.email, name: view.name, phone_number: phone ?? view.phone_number, created_at: view.created_at,
      survey_scheduled_at: scheduledAt, properties,
    };
  });

  route('GET', '/v1/people', {
    summary: 'Delighted: list people in creation order, with cursor paging (Link header rel="next")',
    querystring: Type.Object({
      per_page: PerPage, since: Type.Optional(UnixTime), until: Type.Optional(UnixTime),
      email: Type.Optional(Type.String()), phone_number: Type.Optional(Type.String()), page_info: Type.Optional(Type.String({ maxLength: 400 })),
    }),
    response: responses({ 200: Type.Array(PersonView) }),
  }, async (request, reply) => {
    const ws = request.principal.workspaceId;
    const q = request.query as { per_page?: number; since?: number; until?: number; email?: string; phone_number?: string; page_info?: string };
    const perPage = Math.min(100, q.per_page ?? 20);
    if (q.email && q.phone_number) invalid('base', 'give either email or phone_number, not both');
    // People are the profiles a survey can reach: anonymous visitors without an address are left out.
    let profileId: string | undefined;
    if (q.email || q.phone_number) {
      const id = q.email ? await findProfileId(db, ws, 'email', q.email) : await findProfileId(db, ws, 'phone', q.phone_number!);
      if (!id) return [];
      profileId = id;
    }
    const after = q.page_info ? pageInfo(q.page_info) : undefined;
    const rows = await listPeople(db, ws, { profileId, ...timeRange(q.since, q.until), after, limit: perPage + 1 });
    const page = rows.slice(0, perPage);
    if (rows.length > perPage) {
      const last = page[page.length - 1];
      const next = new URL((await publicBase(delivery, ws)) + request.url);
      next.searchParams.set('page_info', encodeCursor(Number(last.created_at), last.id));
      reply.header('link', `<${next.href}>; rel="next"`);
    }
    return peopleViews(ws, page);
  });

  route('GET', '/v1/people/:id', {
    summary: 'Delighted: one person, by id, email:<address> or phone_number:<E.164>',
    params: PersonRef,
    response: responses({ 200: PersonView }),
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const [view] = await peopleViews(ws, [await mustFindPerson(ws, (request.params as { id: string }).id)]);
    return view;
  });

  route('DELETE', '/v1/people/:id', {
    summary: 'Delighted: delete a person and everything about them (GDPR); an unsubscribe is kept as a keyed hash of the address, so the opt-out survives',
    description: 'The same erasure as DELETE /api/v1/profiles/{id}: the person (and any profiles merged into it), identities, events, answers, trait history, merge records, group memberships, survey contacts with their sends, bounces, and ingestion errors naming them. See the README, "Privacy and erasure".',
    params: PersonRef,
    response: responses({ 202: Ok }),
  }, async (request, reply) => {
    const ws = request.principal.workspaceId;
    const ref = (request.params as { id: string }).id;
    // erasePerson lets accepted events land first, so they cannot bring the person back.
    const erased = await erasePerson(store, writer, ws, async () => (await findPerson(ws, ref))?.id ?? null);
    if (!erased) throw new AppError('not_found', `No person ${ref.replace(/\.json$/, '')} in this account`);
    reply.status(202);
    return { ok: true };
  });

  route('DELETE', '/v1/people/:email/survey_requests/pending', {
    summary: 'Delighted: cancel the surveys scheduled for a person and not yet sent',
    params: Type.Object({ email: Type.String({ description: 'The person\'s email (or email:<address>, phone_number:<E.164>, or an id)' }) }),
    response: responses({ 200: Ok }),
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const person = await mustFindPerson(ws, (request.params as { email: string }).email);
    await cancelScheduled(db, ws, person.id, 'cancelled through the API');
    return { ok: true };
  });

  // --- survey responses ----------------------------------------------------------------------

  async function responseViews(ws: string, request: FastifyRequest, rows: AnswerTable[], expandPerson: boolean) {
    const base = await publicBase(delivery, ws);
    let people = new Map<string, PersonView>();
    if (expandPerson && rows.length) {
      const ids = [...new Set(rows.map((r) => r.profile_id))];
      people = new Map((await peopleViews(ws, await profilesByIds(db, ws, ids))).map((p) => [p.id, p]));
    }
    return rows.map((a) => {
      const props = fromJson<Record<string, unknown>>(a.properties, {});
      return {
        id: a.id,
        person: people.get(a.profile_id) ?? a.profile_id,
        survey_type: 'nps',
        score: a.score,
        comment: a.comment,
        permalink: `${base}/api/v1/answers/${a.id}`,
        created_at: seconds(a.answered_at)!,
        updated_at: seconds(a.updated_at),
        person_properties: Object.keys(props).length ? props : null,
        notes: [],
        tags: [],
        additional_answers: [],
      };
    });
  }

  function expansions(q: { expand?: string | string[]; 'expand[]'?: string | string[] }) {
    const wanted = [...list(q['expand[]']), ...list(q.expand)];
    for (const e of wanted) if (e !== 'person' && e !== 'notes') invalid('expand', `"${e}" is not included in the list (person, notes)`);
    return { person: wanted.includes('person') };
  }

  route('POST', '/v1/survey_responses', {
    summary: 'Delighted: record a survey response (an NPS answer) for a person',
    description: '`person` is the id from POST /v1/people. `properties` and `person_properties` are kept on the answer and returned as person_properties.',
    body: CreateResponse,
    response: responses({ 201: SurveyResponseView }),
  }, async (request, reply) => {
    const ws = request.principal.workspaceId;
    const b = request.body as CreateResponseBody;
    const profile = await getProfileRow(db, ws, String(b.person));
    if (!profile) throw new AppError('not_found', `No person ${b.person} in this account`);
    // The answer reaches the profile through one of its identifiers, the most specific first.
    const ids = await identifiersOf(db, ws, profile.id);
    const pick = (kind: string) => ids.find((i) => i.kind === kind)?.value;
    const userId = pick('user');
    const email = userId ? undefined : pick('email');
    const phone = userId || email ? undefined : pick('phone');
    const anonymousId = userId || email || phone ? undefined : pick('anon');
    if (!userId && !email && !phone && !anonymousId) throw new AppError('not_found', `Person ${b.person} has no identifier left to answer with`);
    const survey = await implicitSurvey(ws);
    const events = answerEvents({
      person: { userId, email, phone, anonymousId },
      score: b.score,
      comment: b.comment ?? null,
      channel: 'api',
      surveyId: survey.id,
      surveyVersion: survey.version,
      properties: { ...(b.properties ?? {}), ...(b.person_properties ?? {}) },
      ...(b.created_at != null ? { timestamp: String(eventSeconds(b.created_at, 'created_at')) } : {}),
    }, Date.now());
    const result = await writer.write(ws, events);
    const items = projectedItems(result);
    const item = items[items.length - 1];
    const row = item.answerId ? await getAnswer(db, ws, item.answerId) : null;
    if (!row) throw new Error('answer missing after commit');
    reply.status(201);
    return (await responseViews(ws, request, [row], false))[0];
  });

  route('GET', '/v1/survey_responses', {
    summary: 'Delighted: list survey responses, oldest first, page by page',
    description: '`trend` is read as an Advocate survey id. Times are Unix seconds; since/until filter on when the response was given, updated_since/updated_until on its last change.',
    querystring: Type.Object({
      per_page: PerPage, page: Page,
      since: Type.Optional(UnixTime), until: Type.Optional(UnixTime), updated_since: Type.Optional(UnixTime), updated_until: Type.Optional(UnixTime),
      trend: Type.Optional(Type.String({ description: 'An Advocate survey id' })),
      person_id: Type.Optional(Type.String()), person_email: Type.Optional(Type.String()),
      order: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['asc', 'desc', 'asc:updated_at', 'desc:updated_at'], default: 'asc' })),
      'expand[]': StringList, expand: StringList,
    }),
    response: responses({ 200: Type.Array(SurveyResponseView) }),
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const q = request.query as {
      per_page?: number; page?: number; since?: number; until?: number; updated_since?: number; updated_until?: number; trend?: string;
      person_id?: string; person_email?: string; order?: string; expand?: string | string[]; 'expand[]'?: string | string[];
    };
    const expand = expansions(q);
    const perPage = Math.min(100, q.per_page ?? 20);
    const page = q.page ?? 1;
    const updated = timeRange(q.updated_since, q.updated_until);
    const filter: AnswerFilter = { ...timeRange(q.since, q.until), updatedFrom: updated.from, updatedTo: updated.to };
    if (q.trend) {
      await mustBeSurvey(ws, q.trend);
      filter.surveyId = q.trend;
    }
    const people: Array<string | null> = [];
    if (q.person_id) people.push((await getProfileRow(db, ws, q.person_id))?.id ?? null);
    if (q.person_email) people.push(await findProfileId(db, ws, 'email', q.person_email));
    if (people.length) {
      // Nobody by that id or email, or the two name different people: no answers.
      if (people.includes(null) || new Set(people).size > 1) return [];
      filter.profileId = people[0]!;
    }
    const [direction, column] = (q.order ?? 'asc').split(':') as ['asc' | 'desc', string | undefined];
    const rows = await answersPage(db, ws, filter, { by: column === 'updated_at' ? 'updated_at' : 'answered_at', direction }, page, perPage);
    return responseViews(ws, request, rows, expand.person);
  });

  route('GET', '/v1/survey_responses/:id', {
    summary: 'Delighted: one survey response',
    params: Type.Object({ id: Type.String() }),
    querystring: Type.Object({ 'expand[]': StringList, expand: StringList }),
    response: responses({ 200: SurveyResponseView }),
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const expand = expansions(request.query as { expand?: string | string[] });
    const id = (request.params as { id: string }).id.replace(/\.json$/, '');
    const row = await getAnswer(db, ws, id);
    if (!row) throw new AppError('not_found', `No survey response ${id} in this account`);
    return (await responseViews(ws, request, [row], expand.person))[0];
  });

  // --- metrics -------------------------------------------------------------------------------

  route('GET', '/v1/metrics', {
    summary: 'Delighted: NPS and the response breakdown (core metrics) for a time range',
    description: 'nps is rounded to an integer (null without responses), percents to one decimal. `trend` is read as an Advocate survey id; only the core metrics group exists. For the interval around the NPS, see GET /api/v1/metrics/nps.',
    querystring: Type.Object({
      since: Type.Optional(UnixTime), until: Type.Optional(UnixTime), trend: Type.Optional(Type.String()),
      'groups[]': StringList, groups: StringList,
    }),
    response: responses({ 200: Metrics }),
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const q = request.query as { since?: number; until?: number; trend?: string; groups?: string | string[]; 'groups[]'?: string | string[] };
    for (const g of [...list(q['groups[]']), ...list(q.groups)]) {
      if (g !== 'core') invalid('groups', `"${g}" is not available: only the core group (NPS and response counts) is`);
    }
    if (q.trend) await mustBeSurvey(ws, q.trend);
    // The same in-memory figures as /api/v1/metrics/nps, so the two APIs never disagree.
    const cols = await opts.engine.answers(ws);
    const c = countsAt(countDim(cols, { ...timeRange(q.since, q.until), where: q.trend ? { survey: [q.trend] } : undefined }, null).counts, 0);
    const n = c.promoters + c.passives + c.detractors;
    return {
      nps: n ? roundHalfAway(((c.promoters - c.detractors) * 100) / n) : null,
      promoter_count: c.promoters,
      promoter_percent: percent(c.promoters, n),
      passive_count: c.passives,
      passive_percent: percent(c.passives, n),
      detractor_count: c.detractors,
      detractor_percent: percent(c.detractors, n),
      response_count: n,
    };
  });

  // --- unsubscribes and bounces --------------------------------------------------------------

  route('POST', '/v1/unsubscribes', {
    summary: 'Delighted: unsubscribe an email address from surveys (on every channel, kept even if the person is deleted)',
    body: Type.Object({ person_email: Type.String({ maxLength: 320 }) }),
    response: responses({ 200: Ok }),
  }, async (request) => {
    const ws = request.principal.workspaceId;
    const raw = (request.body as { person_email: string }).person_email;
    const email = normaliseEmail(raw);
    if (!email) invalid('person_email', raw.trim() ? 'is invalid' : "can't be blank");
    const profileId = await findProfileId(db, ws, 'email', email);
    await addSuppression(db, ws, { kind: 'unsubscribe', channel: 'email', address: email, profileId, source: 'delighted api' });
    return { ok: true };
  });

  async function suppressionList(ws: string, kind: SuppressionTable['kind'], q: { per_page?: number; page?: number; since?: number; until?: number }) {
    const perPage = Math.min(100, q.per_page ?? 20);
    const rows = await listSuppressions(db, ws, kind, { ...timeRange(q.since, q.until), page: q.page ?? 1, perPage });
    // The person: the profile it was recorded for, else whoever has the address now.
    const ownerOf = await ownersOfAddresses(db, ws, rows.filter((r) => !r.profile_id && !isErasedAddress(r.address)).map((r) => r.address));
    const personOf = (r: SuppressionTable) => r.profile_id ?? ownerOf.get(r.address) ?? null;
    const profiles = await profilesByIds(db, ws, rows.map(personOf).filter((id): id is string => !!id));
    const byId = new Map(profiles.map((p) => [p.id, p]));
    return rows.map((r) => {
      const p = byId.get(personOf(r) ?? '');
      const name = p ? fromJson<Record<string, unknown>>(p.traits, {}).name : null;
      return {
        person_id: p ? (p.merged_into ?? p.id) : null,
        // An erased person's opt-out keeps only a hash of the address: there is none to show.
        email: r.channel === 'sms' || isErasedAddress(r.address) ? null : r.address,
        phone_number: r.channel === 'sms' && !isErasedAddress(r.address) ? r.address : null,
        name: typeof name === 'string' ? name : null,
        at: seconds(r.created_at)!,
      };
    });
  }

  const SuppressionQuery = Type.Object({ per_page: PerPage, page: Page, since: Type.Optional(UnixTime), until: Type.Optional(UnixTime) });

  route('GET', '/v1/unsubscribes', {
    summary: 'Delighted: people who unsubscribed, oldest first, page by page',
    querystring: SuppressionQuery,
    response: responses({ 200: Type.Array(SuppressionView('unsubscribed_at')) }),
  }, async (request) => {
    const rows = await suppressionList(request.principal.workspaceId, 'unsubscribe', request.query as Record<string, number>);
    return rows.map(({ at, ...r }) => ({ ...r, unsubscribed_at: at }));
  });

  route('GET', '/v1/bounces', {
    summary: 'Delighted: addresses whose survey emails bounced, oldest first, page by page',
    querystring: SuppressionQuery,
    response: responses({ 200: Type.Array(SuppressionView('bounced_at')) }),
  }, async (request) => {
    const rows = await suppressionList(request.principal.workspaceId, 'bounce', request.query as Record<string, number>);
    return rows.map(({ at, ...r }) => ({ ...r, bounced_at: at }));
  });
}
