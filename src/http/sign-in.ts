import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { dummyHash, hashPassword, MIN_PASSWORD, needsRehash, verifyPassword } from '../domain/passwords.ts';
import { findUserByEmail, getUser, membershipsOf, setPasswordHash, type Membership } from '../store/accounts.ts';
import type { Store } from '../store/db.ts';
import { createSession, deleteExpiredSessions, deleteOtherSessions, deleteSession, SESSION_MAX_MS, type SessionRow } from '../store/sessions.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { sessionCookie } from './cookies.ts';
import { AppError } from '../domain/errors.ts';
import { LoginThrottle } from './login-throttle.ts';
import { withErrors } from './schemas.ts';
import { SessionView } from '../api-types/accounts.ts';
import { CSRF_HEADER, SESSION_COOKIE, WORKSPACE_HEADER } from './sessions.ts';

const sessionSecurity = [{ sessionCookie: [] }];

function view(session: Pick<SessionRow, 'userId' | 'email' | 'name' | 'csrfToken'>, memberships: Membership[], current: Pick<Membership, 'workspaceId' | 'role'>) {
  return {
    user: { id: session.userId, email: session.email, name: session.name },
    workspaces: memberships.map((m) => ({ id: m.workspaceId, name: m.name, role: m.role, preferences: m.preferences })),
    workspaceId: current.workspaceId,
    role: current.role,
    csrfToken: session.csrfToken,
  };
}

/**
 * Signing in and out of the dashboard, and changing one's own password. Sign-in takes JSON only,
 * which a page on another site cannot send without a CORS preflight we never grant, so it cannot
 * sign a visitor in to someone else's account either.
 */
export async function signInRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache; throttle?: LoginThrottle }) {
  const db = opts.store.db;
  const throttle = opts.throttle ?? new LoginThrottle();
  const own = authenticate(opts.keys, 'secret', { sessions: 'only', role: 'viewer' });
  const tags = ['accounts'];
  // Made now, so the first sign-in with an unknown email is not the one that pays for it.
  void dummyHash();

  const tooMany = (wait: number) => new AppError('rate_limited', `Too many failed sign-ins: try again in ${wait} s`, { headers: { 'retry-after': String(wait) } });

  app.post('/api/v1/session', {
    schema: {
      tags, summary: 'Sign in to the dashboard: sets the adv_session cookie and answers with the user, their workspaces and the CSRF token',
      description: 'Wrong email and wrong password get the same 401. After 10 failed tries for one email (or 30 from one address) in 15 minutes, 429 with Retry-After.',
      security: [],
      body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
      response: withErrors({ 200: SessionView }),
    },
  }, async (request, reply) => {
    const body = request.body as { email: string; password: string };
    const email = body.email.trim().toLowerCase();
    const wait = throttle.retryAfter(email, request.ip);
    if (wait) throw tooMany(wait);
    const user = await findUserByEmail(db, email);
    // An unknown email is checked against a hash too, so its answer takes as long as a wrong password's.
    const ok = await verifyPassword(body.password, user?.password_hash ?? (await dummyHash()));
    if (!user || !ok) {
      throttle.fail(email, request.ip);
      throw new AppError('unauthorized', 'Wrong email or password');
    }
    throttle.succeed(email);
    const memberships = await membershipsOf(db, user.id);
    if (memberships.length === 0) throw new AppError('forbidden', 'This account belongs to no workspace yet: ask an admin to add you');
    if (needsRehash(user.password_hash)) await setPasswordHash(db, user.id, await hashPassword(body.password));
    await deleteExpiredSessions(db);
    const session = await createSession(db, user.id);
    reply.header('set-cookie', sessionCookie(request, SESSION_COOKIE, session.token, SESSION_MAX_MS / 1000));
    // A remembered workspace the user has since left is no reason to refuse the sign-in.
    const chosen = String(request.headers[WORKSPACE_HEADER.toLowerCase()] ?? '');
    const current = memberships.find((m) => m.workspaceId === chosen) ?? memberships[0];
    return view({ userId: user.id, email: user.email, name: user.name, csrfToken: session.csrfToken }, memberships, current);
  });

  app.get('/api/v1/session', {
    preValidation: own,
    schema: { tags, summary: 'Who is signed in, their workspaces and role, and the CSRF token (401 when no one is)', security: sessionSecurity, response: withErrors({ 200: SessionView }) },
  }, async (request) => {
    const a = request.account!;
    return view(a.session, a.memberships, a);
  });

  app.delete('/api/v1/session', {
    preValidation: own,
    schema: { tags, summary: `Sign out: ends the session and clears the cookie (needs ${CSRF_HEADER})`, security: sessionSecurity, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    await deleteSession(db, request.account!.session.id);
    reply.header('set-cookie', clearCookie(request)).status(204);
  });

  app.post('/api/v1/me/password', {
    preValidation: own,
    schema: {
      tags, summary: `Change your own password (needs ${CSRF_HEADER}); your other sessions are signed out`,
      security: sessionSecurity,
      body: Type.Object({ current: Type.String({ minLength: 1, maxLength: 1024 }), next: Type.String({ minLength: MIN_PASSWORD, maxLength: 1024 }) }, { additionalProperties: false }),
      response: withErrors({ 204: Type.Null() }),
    },
  }, async (request, reply) => {
    const { current, next } = request.body as { current: string; next: string };
    const session = request.account!.session;
    // Someone at an unlocked screen must not be able to guess their way to the password either.
    const wait = throttle.retryAfter(session.email, request.ip);
    if (wait) throw tooMany(wait);
    const user = await getUser(db, session.userId);
    if (!user || !(await verifyPassword(current, user.password_hash))) {
      throttle.fail(session.email, request.ip);
      throw new AppError('forbidden', 'current: is not your current password', { field: 'current' });
    }
    await setPasswordHash(db, user.id, await hashPassword(next));
    await deleteOtherSessions(db, user.id, session.id);
    reply.status(204);
  });
}

function clearCookie(request: FastifyRequest): string {
  return sessionCookie(request, SESSION_COOKIE, '', 0);
}
