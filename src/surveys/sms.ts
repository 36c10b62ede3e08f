/**
 * SMS through a Twilio-compatible HTTP API (Twilio itself, or any provider or test double that
 * speaks its Messages resource).
 */
import type { DeliveryFailure, DeliveryResult } from './mailer.ts';
import type { RenderedSurvey } from './rendered.ts';

export interface SmsSettings {
  /** Base URL without a trailing path, e.g. https://api.twilio.com */
  url: string;
  accountSid: string;
  authToken: string;
  from: string;
}

export interface SmsMessage {
  to: string;
  body: string;
  /** Same key, same message: lets a retry after a timeout not send twice. */
  idempotencyKey?: string;
}

export interface SmsOptions {
  /** Time for the whole request in ms; default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** 21211 invalid number, 21614 not a mobile number: the address itself is unusable. */
const BAD_NUMBER = new Set([21211, 21614]);
/** The recipient texted STOP; the provider refuses until they text START. */
const UNSUBSCRIBED = 21610;

const fail = (permanent: boolean, bounce: boolean, error: string): DeliveryFailure => ({ ok: false, permanent, bounce, error });

export async function sendSms(settings: SmsSettings, message: SmsMessage, options: SmsOptions = {}): Promise<DeliveryResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let endpoint: URL;
  try {
    endpoint = new URL(`${settings.url.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`);
  } catch {
    return fail(true, false, `SMS provider URL is invalid: ${settings.url}`);
  }
  const headers: Record<string, string> = {
    authorization: `Basic ${Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (message.idempotencyKey) headers['i-twilio-idempotency-token'] = message.idempotencyKey;

  let res: Response;
  let text: string;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: new URLSearchParams({ To: message.to, From: settings.from, Body: message.body }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return fail(false, false, `SMS provider did not answer within ${Math.round(timeoutMs / 100) / 10} s`);
    }
    return fail(false, false, `could not reach the SMS provider at ${endpoint.host}: ${e.cause?.code ?? e.message}`);
  }

  let json: { sid?: unknown; code?: unknown; message?: unknown } = {};
  try {
    json = JSON.parse(text);
  } catch {
    /* an HTML error page from a proxy, say; the status alone decides */
  }
  if (res.status === 200 || res.status === 201) {
    return { ok: true, providerId: typeof json.sid === 'string' ? json.sid : null };
  }

  const code = typeof json.code === 'number' ? json.code : Number(json.code) || null;
  const detail = `${res.status}${code ? ` code ${code}` : ''}${typeof json.message === 'string' ? `: ${json.message.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
  if (res.status === 401 || res.status === 403) return fail(true, false, `SMS provider refused the credentials (${detail})`);
  if (res.status === 408 || res.status === 429 || res.status >= 500) return fail(false, false, `SMS provider unavailable (${detail})`);
  if (code === UNSUBSCRIBED) return { ...fail(true, false, `recipient has opted out of SMS (${detail})`), unsubscribed: true };
  if (code !== null && BAD_NUMBER.has(code)) return fail(true, true, `recipient number rejected (${detail})`);
  // Any other 4xx is about the request or the account (bad From number, unknown account): sending
  // the same request again gets the same answer.
  return fail(true, false, `SMS provider rejected the message (${detail})`);
}

const STOP = 'Reply STOP to opt out';
const SMS_LENGTH = 160;

/**
 * Typographic characters outside the GSM 7-bit alphabet force the whole SMS into UCS-2, where a
 * segment holds 70 characters instead of 160; plain ASCII look-alikes read the same.
 */
function gsmFriendly(text: string): string {
  return text
    .replace(/[\u2018\u2019\u201A\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u2033]/g, '"')
    .replace(/[\u2013\u2014\u2212]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/[\u00A0\u2009\u202F]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** "Acme: How likely …? https://… Reply STOP to opt out", within 160 characters when the link allows. */
export function renderSurveySms(survey: RenderedSurvey, link: string, companyName: string): string {
  const company = gsmFriendly(companyName);
  let question = gsmFriendly(survey.nps.question);
  // The sender is a bare number, so the text must say who asks; a question naming the company does.
  const prefix = company && !question.toLowerCase().includes(company.toLowerCase()) ? `${company}: ` : '';
  const fixed = `${prefix} ${link} ${STOP}`.length;
  const room = SMS_LENGTH - fixed;
  if (question.length > room) {
    // Cut at a word boundary, but never below a stub that still says what the link is about.
    const max = Math.max(room - 3, 20);
    const cut = question.slice(0, max + 1);
    const space = cut.lastIndexOf(' ');
    question = `${(space > max / 2 ? cut.slice(0, space) : cut.slice(0, max)).replace(/[\s,;:.-]+$/, '')}...`;
  }
  const head = question ? `${prefix}${question}` : company;
  return [head, link, STOP].filter(Boolean).join(' ');
}
