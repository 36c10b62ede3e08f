import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import type { Db } from '../store/db.ts';
import type { ContactTable } from '../store/schema.ts';
import { signingSecret } from '../store/workspaces.ts';

/**
 * Survey links carry everything needed to answer: which workspace, contact, survey and person,
 * and until when. Signed with the workspace's secret, so the hosted page and the widget need no
 * key and no lookup to trust them; a token answers once and afterwards only updates that answer
 * (the contact id is the answer's idempotency key).
 */
export interface ContactToken {
  /** workspace */
  w: string;
  /** contact id */
  c: string;
  /** survey id and version */
  s: string;
  v: number;
  /** channel */
  ch: string;
  /** identifiers of the person, when known */
  u?: string;
  a?: string;
  em?: string;
  ph?: string;
  /** expiry, epoch seconds */
  x: number;
  /** kiosk location or other answer properties fixed by whoever made the link */
  loc?: string;
}

/**
 * The contact id of a kiosk or open link: such a token stands for a survey at a place, and each use
 * mints a per-answer contact token from it; it is never one person's response token itself.
 */
export const LINK_CONTACT = 'link';

/** A token refused: not one of ours or altered (unauthorized), or expired (gone); the field is `token`. */
const tokenError = (kind: 'unauthorized' | 'gone', message: string) => new AppError(kind, message, { field: 'token' });

// 128 bits of HMAC is plenty against forgery and keeps emailed links short.
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(`contact:${body}`).digest().subarray(0, 16).toString('base64url');

export async function signContactToken(db: Db, t: ContactToken): Promise<string> {
  const secret = await signingSecret(db, t.w);
  if (!secret) throw new Error(`no workspace ${t.w}`);
  const body = Buffer.from(JSON.stringify(t)).toString('base64url');
  return `${body}.${sign(secret, body)}`;
}

export async function verifyContactToken(db: Db, token: string, now = Date.now()): Promise<ContactToken> {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 2000) throw tokenError('unauthorized', 'token: not a survey token');
  const body = token.slice(0, dot);
  let t: ContactToken;
  try {
    t = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw tokenError('unauthorized', 'token: not a survey token');
  }
  if (!t || typeof t.w !== 'string' || typeof t.c !== 'string' || typeof t.x !== 'number') throw tokenError('unauthorized', 'token: not a survey token');
  const secret = await signingSecret(db, t.w);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = secret ? Buffer.from(sign(secret, body)) : null;
  if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected)) throw tokenError('unauthorized', 'token: signature does not match (forged or altered link)');
  if (t.x * 1000 < now) throw tokenError('gone', `token: this survey link expired on ${new Date(t.x * 1000).toISOString().slice(0, 10)}`);
  return t;
}

/** What the link of a sent contact carries (email and SMS links, and a texted reply to one), valid until `expiresAt` (ms). */
export function contactTokenOf(contact: ContactTable, expiresAt: number): ContactToken {
  return {
    w: contact.workspace_id, c: contact.id, s: contact.survey_id, v: contact.survey_version, ch: contact.channel,
    ...(contact.user_id ? { u: contact.user_id } : {}), ...(contact.email ? { em: contact.email } : {}), ...(contact.phone ? { ph: contact.phone } : {}),
    x: Math.floor(expiresAt / 1000),
  };
}
