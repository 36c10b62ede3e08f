import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/db.ts';
import type { ContactTable } from '../store/schema.ts';

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

export class TokenError extends Error {
  constructor(
    readonly statusCode: 401 | 410,
    message: string,
  ) {
    super(message);
  }
}

const secrets = new Map<string, string>();
async function secretOf(db: Db, workspaceId: string): Promise<string | null> {
  const hit = secrets.get(workspaceId);
  if (hit) return hit;
  const row = await db.selectFrom('workspaces').select('signing_secret').where('id', '=', workspaceId).executeTakeFirst();
  if (!row) return null;
  secrets.set(workspaceId, row.signing_secret);
  return row.signing_secret;
}

// 128 bits of HMAC is plenty against forgery and keeps emailed links short.
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(`contact:${body}`).digest().subarray(0, 16).toString('base64url');

export async function signContactToken(db: Db, t: ContactToken): Promise<string> {
  const secret = await secretOf(db, t.w);
  if (!secret) throw new Error(`no workspace ${t.w}`);
  const body = Buffer.from(JSON.stringify(t)).toString('base64url');
  return `${body}.${sign(secret, body)}`;
}

export async function verifyContactToken(db: Db, token: string, now = Date.now()): Promise<ContactToken> {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 2000) throw new TokenError(401, 'token: not a survey token');
  const body = token.slice(0, dot);
  let t: ContactToken;
  try {
    t = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError(401, 'token: not a survey token');
  }
  if (!t || typeof t.w !== 'string' || typeof t.c !== 'string' || typeof t.x !== 'number') throw new TokenError(401, 'token: not a survey token');
  const secret = await secretOf(db, t.w);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = secret ? Buffer.from(sign(secret, body)) : null;
  if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected)) throw new TokenError(401, 'token: signature does not match (forged or altered link)');
  if (t.x * 1000 < now) throw new TokenError(410, `token: this survey link expired on ${new Date(t.x * 1000).toISOString().slice(0, 10)}`);
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
