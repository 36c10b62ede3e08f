import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../domain/ids.ts';
import type { Db } from './db.ts';

const DAY = 86_400_000;
/** A session unused for this long ends… */
export const SESSION_IDLE_MS = 14 * DAY;
/** …and none lives longer than this, however busy. */
export const SESSION_MAX_MS = 30 * DAY;
// Moving the expiry on every request would make every dashboard read a write.
const TOUCH_EVERY_MS = 5 * 60_000;

// The token has 256 random bits, so sha256 suffices (no guessing to slow down) and keeps the
// lookup one indexed read; what is stored cannot be replayed as a cookie.
function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface SessionRow {
  id: string;
  userId: string;
  email: string;
  name: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

/** Starts a session; the token goes into the cookie and exists nowhere else. */
export async function createSession(db: Db, userId: string, now = Date.now()) {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const id = newId('ses', now);
  const expiresAt = Math.min(now + SESSION_IDLE_MS, now + SESSION_MAX_MS);
  await db.insertInto('sessions').values({ id, user_id: userId, token_hash: hashToken(token), csrf_token: csrfToken, created_at: now, last_used_at: now, expires_at: expiresAt }).execute();
  return { id, token, csrfToken, expiresAt };
}

/** The live session a cookie's token belongs to, its expiry moved on (at most every few minutes). */
export async function findSession(db: Db, token: string, now = Date.now()): Promise<SessionRow | null> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.id', 'sessions.user_id', 'sessions.csrf_token', 'sessions.created_at', 'sessions.last_used_at', 'sessions.expires_at', 'users.email', 'users.name'])
    .where('sessions.token_hash', '=', hashToken(token))
    .where('sessions.expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return null;
  let expiresAt = row.expires_at;
  if (now - row.last_used_at >= TOUCH_EVERY_MS) {
    expiresAt = Math.min(now + SESSION_IDLE_MS, row.created_at + SESSION_MAX_MS);
    await db.updateTable('sessions').set({ last_used_at: now, expires_at: expiresAt }).where('id', '=', row.id).execute();
  }
  return { id: row.id, userId: row.user_id, email: row.email, name: row.name, csrfToken: row.csrf_token, createdAt: row.created_at, expiresAt };
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Signs a user out everywhere but here (after a password change). */
export async function deleteOtherSessions(db: Db, userId: string, keepId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).where('id', '<>', keepId).execute();
}

export async function deleteExpiredSessions(db: Db, now = Date.now()): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}
