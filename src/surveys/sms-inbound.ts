/**
 * Two-way SMS: what a person texts back to a workspace's number. Opt-out and opt-in keywords
 * keep the suppression list in step with the provider's own block list; a score answers the survey
 * last texted to that number, and the text after it becomes the answer's comment. The reply, if
 * any, is TwiML, which the provider sends back as a text.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { categoryOf } from '../domain/category.ts';
import { isAppError } from '../domain/errors.ts';
import { normalisePhone } from '../domain/identifiers.ts';
import { answerByMessageId } from '../store/answers.ts';
import { addSuppression, removeSuppression, smsContactsTo, updateContact } from '../store/contacts.ts';
import type { Db } from '../store/db.ts';
import { findProfileId } from '../store/profiles.ts';
import type { ContactTable } from '../store/schema.ts';
import { getSurvey, type Survey } from '../store/surveys.ts';
import { workspaceName } from '../store/workspaces.ts';
import type { EventWriter } from '../store/writer.ts';
import { renderSurvey } from './definition.ts';
import { escapeHtml } from './email-message.ts';
import { contactMessageId, respond } from './respond.ts';
import { contactTokenOf } from './tokens.ts';

const DAY = 86_400_000;
/** A text after a score is its comment for this long; after that it is just a text. */
export const COMMENT_WINDOW_MS = DAY;
/** The longest tokenTtlDays a survey may set: no older contact can still take a score. */
const MAX_TTL_DAYS = 365;
/** As long as a comment may be through the answers API. */
const MAX_COMMENT = 10_000;

// ---------------------------------------------------------------------------------------------
// Reading a text

export type Keyword = 'stop' | 'start' | 'help';

// Twilio's default keywords for long codes (REVOKE and OPTOUT joined the opt-out set in 2025);
// Twilio acts on these itself, so a suppression here mirrors a block that already exists there.
const KEYWORDS: Record<string, Keyword> = {
  STOP: 'stop', STOPALL: 'stop', UNSUBSCRIBE: 'stop', CANCEL: 'stop', END: 'stop', QUIT: 'stop', REVOKE: 'stop', OPTOUT: 'stop',
  START: 'start', UNSTOP: 'start', YES: 'start',
  HELP: 'help', INFO: 'help',
};

/** The keyword a whole text is (case-insensitive, trimmed), or null. */
export function keywordOf(body: string): Keyword | null {
  return KEYWORDS[body.trim().toUpperCase()] ?? null;
}

/** The score a text is, 0–10 ("9", " 10 ", "7."), or null. */
export function scoreOf(body: string): number | null {
  const m = /^\s*(\d{1,2})\s*\.?\s*$/.exec(body);
  if (!m) return null;
  const n = Number(m[1]);
  return n <= 10 ? n : null;
}

// ---------------------------------------------------------------------------------------------
// Twilio's request signature

export type FormParams = Record<string, string | string[]>;

/** A form body as Twilio signs it: a name given more than once keeps every value. */
export function parseForm(body: string): FormParams {
  const out: FormParams = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const had = out[name];
    out[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return out;
}

/** base64(HMAC-SHA1(authToken, url + each param name and value, by name; repeated values sorted)). */
export function twilioSignature(authToken: string, url: string, params: FormParams): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    for (const v of Array.isArray(value) ? [...new Set(value)].sort() : [value]) data += name + v;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/**
 * The URL with and without its scheme's default port: Twilio signs whichever form it was given,
 * and its own validators accept both for that reason.
 */
function urlForms(url: string): string[] {
  const parsed = new URL(url);
  const withoutPort = new URL(url);
  withoutPort.port = '';
  const forms = new Set([parsed.toString(), withoutPort.toString()]);
  if (!parsed.port) {
    const standard = parsed.protocol === 'https:' ? '443' : '80';
    forms.add(`${parsed.protocol}//${parsed.host}:${standard}${parsed.pathname}${parsed.search}`);
  }
  return [...forms];
}

export function verifyTwilioSignature(authToken: string, url: string, params: FormParams, signature: string | undefined): boolean {
  if (!signature) return false;
  const given = Buffer.from(signature);
  let ok = false;
  // Every form is compared, so the time taken does not depend on which one matched.
  for (const form of urlForms(url)) {
    const expected = Buffer.from(twilioSignature(authToken, form, params));
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

// ---------------------------------------------------------------------------------------------
// TwiML

// XML 1.0 cannot carry these even escaped; a survey text could hold one.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A TwiML document: an empty Response sends nothing back, a Message sends one text (escaped as HTML is, which is valid XML). */
export function twiml(message?: string | null): string {
  const text = message?.replace(NOT_XML, '').trim();
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${text ? `<Message>${escapeHtml(text)}</Message>` : ''}</Response>`;
}

// ---------------------------------------------------------------------------------------------
// Which contact a reply belongs to

/** Kept in the contact's properties: when a score and a comment came by text, and the last text handled. */
export interface SmsReplyState {
  scoredAt?: number;
  commentedAt?: number;
  lastSid?: string;
}

interface ContactProps {
  language?: string;
  smsReply?: SmsReplyState;
  [key: string]: unknown;
}

export function propsOf(contact: ContactTable): ContactProps {
  try {
    const p = JSON.parse(contact.properties || '{}');
    return p && typeof p === 'object' ? p : {};
  } catch {
    return {};
  }
}

/** Until when a contact's link (and so a texted score) is valid, epoch ms. */
export function validUntil(contact: ContactTable, tokenTtlDays: number): number {
  return (contact.contacted_at ?? contact.created_at) + tokenTtlDays * DAY;
}

/** Whether a texted score may answer this contact: it was sent (or already answered) and its link is still valid. */
export function takesScore(contact: ContactTable, tokenTtlDays: number, now: number): boolean {
  return (contact.status === 'sent' || contact.status === 'answered') && validUntil(contact, tokenTtlDays) >= now;
}

/** The contact a free text comments on: the one whose score came by text most recently, within the window. */
export function pickCommentContact(contacts: ContactTable[], now: number): ContactTable | null {
  let best: { contact: ContactTable; at: number } | null = null;
  for (const contact of contacts) {
    const at = propsOf(contact).smsReply?.scoredAt;
    if (contact.status !== 'answered' || typeof at !== 'number' || now - at > COMMENT_WINDOW_MS) continue;
    if (!best || at > best.at) best = { contact, at };
  }
  return best?.contact ?? null;
}

/** SMS contacts to a number that could take a reply, newest first. */
async function recentContacts(db: Db, workspaceId: string, phone: string, now: number): Promise<ContactTable[]> {
  // Contacts keep the number as it was given: with its "+" when it had one, bare digits when not.
  return smsContactsTo(db, workspaceId, [...new Set([phone, phone.replace(/^\+/, '')])], now - MAX_TTL_DAYS * DAY);
}

// ---------------------------------------------------------------------------------------------
// Handling one text

export interface InboundSms {
  from: string;
  body: string;
  messageSid?: string;
}

export interface InboundOutcome {
  action: 'unsubscribed' | 'resubscribed' | 'help' | 'scored' | 'commented' | 'ignored';
  /** The text to send back, or null for none. */
  reply: string | null;
  contactId?: string;
  answerId?: string;
}

async function rendered(db: Db, survey: Survey, contact: ContactTable) {
  return renderSurvey(survey.id, survey.version, survey.definition, propsOf(contact).language, (await workspaceName(db, contact.workspace_id)) ?? '');
}

async function remember(db: Db, contact: ContactTable, state: SmsReplyState) {
  const props = propsOf(contact);
  await updateContact(db, contact.workspace_id, contact.id, { properties: JSON.stringify({ ...props, smsReply: { ...props.smsReply, ...state } }) });
}

export async function handleInboundSms(db: Db, writer: EventWriter, workspaceId: string, sms: InboundSms, now = Date.now()): Promise<InboundOutcome> {
  const phone = normalisePhone(sms.from);
  // A short code or an alphanumeric sender is nobody this workspace texts.
  if (!phone) return { action: 'ignored', reply: null };

  // The provider answers keywords itself (and after STOP would not deliver a reply anyway).
  const keyword = keywordOf(sms.body);
  if (keyword === 'stop') {
    const profileId = await findProfileId(db, workspaceId, 'phone', phone);
    await addSuppression(db, workspaceId, {
      kind: 'unsubscribe', channel: 'sms', address: phone, profileId, source: 'replied STOP',
      detail: `texted "${sms.body.trim().slice(0, 20)}"${sms.messageSid ? ` (${sms.messageSid.slice(0, 64)})` : ''}`,
    }, now);
    return { action: 'unsubscribed', reply: null };
  }
  if (keyword === 'start') {
    await removeSuppression(db, workspaceId, phone, 'unsubscribe');
    return { action: 'resubscribed', reply: null };
  }
  if (keyword === 'help') return { action: 'help', reply: null };

  const contacts = await recentContacts(db, workspaceId, phone, now);
  const score = scoreOf(sms.body);
  if (score !== null) {
    // The most recently texted contact that can still take it.
    const surveys = new Map<string, Survey | null>();
    let picked: { contact: ContactTable; survey: Survey } | null = null;
    for (const contact of contacts) {
      const key = `${contact.survey_id}@${contact.survey_version}`;
      if (!surveys.has(key)) surveys.set(key, await getSurvey(db, workspaceId, contact.survey_id, contact.survey_version));
      const survey = surveys.get(key);
      if (survey && takesScore(contact, survey.definition.tokenTtlDays, now)) {
        picked = { contact, survey };
        break;
      }
    }
    if (!picked) return { action: 'ignored', reply: null };
    const { contact, survey } = picked;
    const text = await rendered(db, survey, contact);
    // Twilio may deliver a webhook twice; the same message asks the same question again.
    if (sms.messageSid && propsOf(contact).smsReply?.lastSid === sms.messageSid) {
      return { action: 'scored', reply: text.followUp[categoryOf(score)], contactId: contact.id, answerId: contact.answer_id ?? undefined };
    }
    const result = await respond(db, writer, contactTokenOf(contact, validUntil(contact, survey.definition.tokenTtlDays)), { score }, now);
    await remember(db, contact, { scoredAt: now, ...(sms.messageSid ? { lastSid: sms.messageSid } : {}) });
    return { action: 'scored', reply: text.followUp[result.category], contactId: contact.id, answerId: result.answerId };
  }

  const contact = pickCommentContact(contacts, now);
  const text = sms.body.trim();
  if (!contact || !text) return { action: 'ignored', reply: null };
  const state = propsOf(contact).smsReply ?? {};
  if (sms.messageSid && state.lastSid === sms.messageSid) return { action: 'commented', reply: null, contactId: contact.id };
  const survey = await getSurvey(db, workspaceId, contact.survey_id, contact.survey_version);
  if (!survey) return { action: 'ignored', reply: null };
  // People often send their reason in more than one text: those after the first add to it.
  const continuing = state.commentedAt !== undefined && state.scoredAt !== undefined && state.commentedAt >= state.scoredAt;
  const earlier = continuing ? (await answerByMessageId(db, workspaceId, contactMessageId(contact.id)))?.comment : null;
  let result: Awaited<ReturnType<typeof respond>>;
  try {
    result = await respond(db, writer, contactTokenOf(contact, validUntil(contact, survey.definition.tokenTtlDays)), { comment: (earlier ? `${earlier}\n${text}` : text).slice(0, MAX_COMMENT) }, now);
  } catch (err) {
    // The answer was erased since (a deletion request): there is nothing left to comment on.
    if (isAppError(err, 'invalid') && err.field === 'score') return { action: 'ignored', reply: null };
    throw err;
  }
  await remember(db, contact, { commentedAt: now, ...(sms.messageSid ? { lastSid: sms.messageSid } : {}) });
  return { action: 'commented', reply: continuing ? null : (await rendered(db, survey, contact)).thankYou[result.category], contactId: contact.id, answerId: result.answerId };
}
