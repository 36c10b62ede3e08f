import { PermanentJobError, type Job, type Outbox } from '../automation/outbox.ts';
import type { FieldCondition } from '../domain/conditions.ts';
import { newId, randomBase62 } from '../domain/ids.ts';
import { SEND_JOB } from '../domain/jobs.ts';
import type { IngestEvent } from '../domain/event.ts';
import { normaliseEmail, normalisePhone } from '../domain/identifiers.ts';
import { claimContact } from '../store/contact-claims.ts';
import { addContact, addSuppression, getContact, updateContact } from '../store/contacts.ts';
import type { Db } from '../store/db.ts';
import type { ContactTable } from '../store/schema.ts';
import { getSurvey, type Survey } from '../store/surveys.ts';
import { settingsOf, workspaceName } from '../store/workspaces.ts';
import type { EventWriter } from '../store/writer.ts';
import { emailSubjectOf, pickLanguage, renderSurvey } from './definition.ts';
import { checkEligibility, resolvePerson, type Person } from './eligibility.ts';
import { renderSurveyEmail } from './email-message.ts';
import { sendEmail, type DeliveryResult } from './mailer.ts';
import { renderSurveySms, sendSms } from './sms.ts';
import { contactTokenOf, signContactToken } from './tokens.ts';

export interface Recipient {
  userId?: string;
  email?: string;
  phone?: string;
  name?: string;
  language?: string;
  properties?: Record<string, unknown>;
}

export interface SendPlan {
  channel: 'email' | 'sms';
  delaySeconds?: number;
  /** Why this send happened, kept on the contact (api, trigger:Order Delivered, schedule, delighted). */
  reason?: string;
}

export interface SendOutcome {
  index: number;
  contactId: string | null;
  profileId: string | null;
  status: 'scheduled' | 'skipped';
  reason: string | null;
  scheduledAt: string | null;
}

export interface DeliveryContext {
  db: Db;
  writer: EventWriter;
  outbox: Outbox | null;
  /** Base of links in messages when the workspace sets none, e.g. http://localhost:3000 */
  publicUrl: string;
}

/**
 * The base of every absolute link for a workspace (messages, survey links, QR codes, permalinks):
 * its own public URL setting, else the server's. Never taken from a request's Host or
 * X-Forwarded-Host, which any client can set.
 */
export function linkBase(settings: { publicUrl?: string }, serverUrl: string): string {
  return (settings.publicUrl ?? serverUrl).replace(/\/+$/, '');
}

export async function publicBase(ctx: Pick<DeliveryContext, 'db' | 'publicUrl'>, workspaceId: string): Promise<string> {
  return linkBase(await settingsOf(ctx.db, workspaceId), ctx.publicUrl);
}

/**
 * Schedules a survey to people by email or SMS. Each recipient becomes (or is found as) a profile,
 * is checked against the fatigue policy now (and again at send time), and gets a contact row and a
 * send job in the outbox; a recipient who may not be asked is recorded as skipped, with the reason.
 */
export async function scheduleSends(ctx: DeliveryContext, workspaceId: string, survey: Survey, recipients: Recipient[], plan: SendPlan, now = Date.now()): Promise<SendOutcome[]> {
  const contactIds = recipients.map(() => newId('con', now));
  // People are created or updated first, so the contact has a profile and the fatigue policy a history.
  const identifies: IngestEvent[] = [];
  recipients.forEach((r, i) => {
    const email = normaliseEmail(r.email);
    const phone = normalisePhone(r.phone);
    const traits = { ...(r.properties ?? {}), ...(r.name ? { name: r.name } : {}), ...(email ? { email } : {}), ...(phone ? { phone } : {}) };
    identifies.push({
      messageId: `${contactIds[i]}-identify`, type: 'identify', name: null, userId: r.userId ?? null, anonymousId: null, email, phone,
      previousId: null, groupId: null, properties: null, traits, context: { channel: plan.channel }, timestamp: now, receivedAt: now, answer: null,
    });
  });
  const written = identifies.length ? await ctx.writer.write(workspaceId, identifies) : { items: [] };

  const out: SendOutcome[] = [];
  const runAt = now + Math.max(0, plan.delaySeconds ?? 0) * 1000;
  for (let i = 0; i < recipients.length; i++) {
    const r = recipients[i];
    const person = await resolvePerson(ctx.db, workspaceId, { profileId: written.items[i]?.profileId || null, userId: r.userId, email: normaliseEmail(r.email), phone: normalisePhone(r.phone) });
    const result = await scheduleContact(ctx, workspaceId, survey, person, {
      ...plan, contactId: contactIds[i], runAt, properties: r.language ? { language: r.language } : {}, recordSkipped: true,
    }, now);
    out.push({ index: i, ...result.outcome });
  }
  if (out.some((o) => o.status === 'scheduled')) ctx.outbox?.kick();
  return out;
}

export interface ContactPlan extends SendPlan {
  /** A derived id makes scheduling idempotent: the same id twice schedules once. */
  contactId: string;
  runAt: number;
  properties?: Record<string, unknown>;
  /** Keep a contact row for a person not asked, with the reason (an audience run only counts them). */
  recordSkipped: boolean;
  conditions?: FieldCondition[];
}

/**
 * Checks one person against the fatigue policy and, if they may be asked, stores the contact and its
 * send job in one transaction. The person's own addresses are used when the request named none.
 * This check claims nothing: the send checks again and claims the person (sendHandler says why).
 */
export async function scheduleContact(ctx: DeliveryContext, workspaceId: string, survey: Survey, person: Person, plan: ContactPlan, now = Date.now()) {
  const decision = await checkEligibility(ctx.db, workspaceId, person, survey, { channel: plan.channel, now, conditions: plan.conditions });
  const outcome: Omit<SendOutcome, 'index'> = {
    contactId: plan.contactId, profileId: person.profile?.id ?? null, status: decision.ask ? 'scheduled' : 'skipped',
    reason: decision.ask ? null : decision.reason, scheduledAt: decision.ask ? new Date(plan.runAt).toISOString() : null,
  };
  if (!decision.ask && !plan.recordSkipped) return { decision, outcome: { ...outcome, contactId: null }, created: false };
  const row: ContactTable = {
    id: plan.contactId, workspace_id: workspaceId, survey_id: survey.id, survey_version: survey.version, profile_id: person.profile?.id ?? null,
    channel: plan.channel, status: decision.ask ? 'scheduled' : 'skipped', reason: decision.ask ? (plan.reason ?? 'api') : decision.reason,
    user_id: person.ref.userId ?? person.profile?.user_id ?? null, anonymous_id: null,
    email: person.ref.email ?? person.emails[0] ?? null, phone: person.ref.phone ?? person.phones[0] ?? null,
    short_code: plan.channel === 'sms' && decision.ask ? randomBase62(10) : null,
    properties: JSON.stringify({ ...(plan.properties ?? {}), ...(plan.reason ? { trigger: plan.reason } : {}) }),
    scheduled_at: decision.ask ? plan.runAt : null, contacted_at: null, answered_at: null, answer_id: null, error: null, attempts: 0, created_at: now, updated_at: now,
  };
  const send = decision.ask ? { kind: SEND_JOB, workspaceId, payload: { contactId: row.id }, runAt: plan.runAt, dedupeKey: `send:${row.id}` } : null;
  const created = await addContact(ctx.db, row, send, now);
  return { decision, outcome, created };
}

function failureText(r: Extract<DeliveryResult, { ok: false }>) {
  return r.error.slice(0, 500);
}

/** Contact statuses a send job may still act on; 'sending' is this job's own claim (see below). */
const WAITING: ContactTable['status'][] = ['scheduled', 'failed', 'sending'];

/**
 * The outbox job that sends one contact's email or SMS.
 *
 * The fatigue check that counts is this one, made while claiming the person (claimContact): the
 * check, and marking the contact 'sending' so that it counts as asked, commit together, serialised
 * per person (see contact-claims.ts), so two sends to one person at the same moment (two runs, two
 * processes) cannot both pass. The check at scheduling only spares a job and tells the caller early; it claims nothing,
 * because scheduling asks nobody: a send may wait days (a trigger's delay), be cancelled or fail,
 * and a claim held all that time would turn away surveys that would in fact have been the only one.
 * The message goes out after the claim commits (no network I/O holds the lock); a failed attempt
 * gives the claim back, so a failure never uses up the person's budget.
 */
export function sendHandler(ctx: DeliveryContext) {
  return async (job: Job) => {
    const { db } = ctx;
    const ws = job.workspaceId!;
    const contact = await getContact(db, ws, String(job.payload.contactId));
    // Cancelled, skipped, or already sent by an earlier attempt whose outcome was recorded.
    if (!contact || !WAITING.includes(contact.status)) return;
    const survey = await getSurvey(db, ws, contact.survey_id, contact.survey_version);
    const current = await getSurvey(db, ws, contact.survey_id);
    if (!survey || !current || current.status !== 'active') {
      await updateContact(db, ws, contact.id, { status: 'cancelled', reason: 'the survey is no longer active', contacted_at: null }, WAITING);
      return;
    }
    // A contact already 'sending' was claimed by an attempt that died before recording its outcome
    // (its job's lease ran out): the claim was granted, so this attempt sends under it.
    if (contact.status !== 'sending') {
      const person = await resolvePerson(db, ws, { profileId: contact.profile_id, email: contact.email, phone: contact.phone, userId: contact.user_id });
      const personKey = person.profile?.id ?? contact.email ?? contact.phone ?? contact.id;
      const claim = await claimContact(db, ws, contact.id, personKey, async (tx, now) => {
        const decision = await checkEligibility(tx, ws, person, { ...survey, status: current.status }, { channel: contact.channel, now });
        return decision.ask ? null : decision.reason;
      });
      if (!claim.claimed) return;
    }
    try {
      await deliver(ctx, job, contact, survey);
    } catch (err) {
      // Not sent: the person's budget is free again until the next attempt claims it anew.
      await updateContact(db, ws, contact.id, { status: 'scheduled', contacted_at: null }, ['sending']);
      throw err;
    }
  };
}

async function deliver(ctx: DeliveryContext, job: Job, contact: ContactTable, survey: Survey) {
  const { db } = ctx;
  const ws = contact.workspace_id;
  const now = Date.now();
  const settings = await settingsOf(db, ws);
  const wsName = (await workspaceName(db, ws)) ?? '';
  const base = linkBase(settings, ctx.publicUrl);
  const props = JSON.parse(contact.properties || '{}') as { language?: string };
  const rendered = renderSurvey(survey.id, survey.version, survey.definition, props.language, wsName);
  const token = await signContactToken(db, contactTokenOf(contact, now + survey.definition.tokenTtlDays * 86_400_000));
  const company = survey.definition.companyName ?? wsName;

  let result: DeliveryResult;
  if (contact.channel === 'email') {
    if (!settings.smtp) throw new PermanentJobError('email is not set up for this workspace: PUT /api/v1/settings/delivery with smtp settings');
    if (!contact.email) throw new PermanentJobError('no email address for this contact');
    const mail = renderSurveyEmail({
      survey: rendered, scoreUrl: (n) => `${base}/s/${token}?score=${n}`, surveyUrl: `${base}/s/${token}`, unsubscribeUrl: `${base}/u/${token}`,
      companyName: company, subject: emailSubjectOf(survey.definition, pickLanguage(survey.definition, props.language), wsName),
    });
    result = await sendEmail(settings.smtp, { to: contact.email, ...mail, messageId: `${contact.id}@advocate` });
  } else {
    if (!settings.sms) throw new PermanentJobError('SMS is not set up for this workspace: PUT /api/v1/settings/delivery with sms settings');
    if (!contact.phone) throw new PermanentJobError('no phone number for this contact');
    const link = contact.short_code ? `${base}/r/${contact.short_code}` : `${base}/s/${token}`;
    result = await sendSms(settings.sms, { to: contact.phone, body: renderSurveySms(rendered, link, company), idempotencyKey: contact.id });
  }

  if (result.ok) {
    // Only from 'sending': a recipient quick enough to answer first keeps 'answered'.
    await updateContact(db, ws, contact.id, { status: 'sent', contacted_at: Date.now(), attempts: job.attempts, error: null }, ['sending']);
    return;
  }
  const address = contact.channel === 'email' ? contact.email! : contact.phone!;
  if (result.bounce) await addSuppression(db, ws, { kind: 'bounce', channel: contact.channel, address, profileId: contact.profile_id, source: `${contact.channel} delivery`, detail: failureText(result) });
  if (result.unsubscribed) await addSuppression(db, ws, { kind: 'unsubscribe', channel: contact.channel, address, profileId: contact.profile_id, source: 'replied STOP', detail: failureText(result) });
  await updateContact(db, ws, contact.id, { attempts: job.attempts, error: failureText(result) });
  if (result.permanent) throw new PermanentJobError(failureText(result));
  throw new Error(failureText(result));
}

/** After the last attempt the contact shows as failed, with the last error. */
export function sendFailed(ctx: DeliveryContext) {
  return async (job: Job, error: string) => {
    if (!job.workspaceId) return;
    await updateContact(ctx.db, job.workspaceId, String(job.payload.contactId), { status: 'failed', error: error.slice(0, 500), attempts: job.attempts, contacted_at: null }, WAITING);
  };
}
