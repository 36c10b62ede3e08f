import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { roleAtLeast, type Role } from '../domain/roles.ts';
import type { Store } from '../store/db.ts';
import { findKey, hashKey, keyKindOf, type KeyKind, type KeyPrincipal } from '../store/workspaces.ts';
import { AppError } from '../domain/errors.ts';
import { CSRF_HEADER, Sessions, type SignedIn } from './sessions.ts';

/**
 * Who a request acts for. Keys: the key, its workspace and kind. A dashboard session looks the
 * same to routes (kind 'secret', keyId the session's id, so nothing written for keys mistakes it
 * for one) plus the user and their role in the workspace chosen.
 */
export interface Principal extends KeyPrincipal {
  userId?: string;
  role?: Role;
  sessionId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    /** Set when the request came from a signed-in dashboard. */
    account?: SignedIn;
  }
}

/** The key a request presents: HTTP Basic username (Segment, Delighted), a Bearer token, or `writeKey` in the body. */
export function presentedKey(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (h) {
    const [scheme, value = ''] = h.split(' ', 2);
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
      if (user) return user;
    } else if (/^bearer$/i.test(scheme) && value) return value.trim();
  }
  const body = request.body as { writeKey?: unknown } | undefined;
  if (body && typeof body === 'object' && typeof body.writeKey === 'string') return body.writeKey;
  return null;
}

// Keys are looked up on every request; a short-lived cache keeps that off the database while a
// revoked key stops working within the TTL on other processes (at once on this one).
const TTL_MS = 15_000;

export class KeyCache {
  private cache = new Map<string, { principal: KeyPrincipal | null; until: number }>();
  /** Dashboard sign-ins: the other credential every route that takes a key is handed. */
  readonly sessions: Sessions;
  constructor(private readonly store: Store) {
    this.sessions = new Sessions(store.db);
  }

  async resolve(key: string): Promise<KeyPrincipal | null> {
    const h = hashKey(key);
    const hit = this.cache.get(h);
    const now = Date.now();
    if (hit && hit.until > now) return hit.principal;
    const principal = await findKey(this.store.db, key);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(h, { principal, until: now + TTL_MS });
    return principal;
  }

  forget(): void {
    this.cache.clear();
  }
}

/**
 * Who may use a route. `sessions`: whether a dashboard session may stand in for a key ('also', the
 * default for secret-key routes), not ('never': write-key ingestion from customers' sites and the
 * Delighted API, whose clients hold keys), or only a session ('only': the user's own account).
 * `role`: the weakest dashboard role allowed; by default a viewer may read and an analyst change.
 */
export interface AccessRule {
  role?: Role;
  sessions?: 'also' | 'never' | 'only';
}

export interface Access {
  kind: KeyKind;
  sessions: 'also' | 'never' | 'only';
  role: Role | null;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The weakest role that may make this request. */
export function neededRole(access: Access, method: string): Role {
  return access.role ?? (READS.has(method.toUpperCase()) ? 'viewer' : 'analyst');
}

/** The rule a route's authenticate() hook carries, if it has one (for the OpenAPI document and tests). */
export function accessOf(hooks: unknown): Access | null {
  for (const h of [hooks].flat()) {
    const access = (h as { access?: Access } | null)?.access;
    if (access) return access;
  }
  return null;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given), b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Authenticates and authorises, before the body is validated so that a caller without the right
 * learns nothing about the request and always gets its 401/403. Keys: 'write' routes take public
 * write keys or secret keys, 'secret' routes only secret keys; unknown keys are 401, a public key on
 * a secret route 403; a secret key may do everything (it acts as an admin). A dashboard session,
 * where the rule allows one, must send its CSRF token with every change and have the role needed:
 * this is the one place roles are enforced.
 */
export function authenticate(keys: KeyCache, need: KeyKind, rule: AccessRule = {}) {
  const access: Access = { kind: need, sessions: rule.sessions ?? (need === 'secret' ? 'also' : 'never'), role: rule.role ?? null };
  const hook = async function (request: FastifyRequest, _reply: FastifyReply) {
    const key = access.sessions === 'only' ? null : presentedKey(request);
    if (key) {
      const principal = await keys.resolve(key);
      if (!principal) throw new AppError('unauthorized', `Unknown or revoked key "${key.slice(0, 12)}…"`);
      if (need === 'secret' && principal.kind !== 'secret') {
        throw new AppError('forbidden', 'This is a public write key: it can only send events and answers. Use a secret key for this request');
      }
      request.principal = principal;
      return;
    }
    const account = access.sessions === 'never' ? null : await keys.sessions.signedIn(request);
    if (account) {
      if (!READS.has(request.method)) {
        const given = request.headers[CSRF_HEADER.toLowerCase()];
        if (typeof given !== 'string' || !sameSecret(given, account.session.csrfToken)) {
          throw new AppError('forbidden', `${CSRF_HEADER}: missing or wrong CSRF token; send the csrfToken from /api/v1/session with every change`, { field: CSRF_HEADER });
        }
      }
      const role = neededRole(access, request.method);
      if (!roleAtLeast(account.role, role)) {
        throw new AppError('forbidden', role === 'admin'
          ? `Only an admin can do this; your role in this workspace is ${account.role}`
          : `Your role in this workspace is ${account.role}, which can only read; this needs the ${role} role or higher`);
      }
      request.account = account;
      request.principal = { keyId: account.session.id, workspaceId: account.workspaceId, kind: 'secret', userId: account.session.userId, role: account.role, sessionId: account.session.id };
      return;
    }
    if (access.sessions === 'only') throw new AppError('unauthorized', 'Sign in first: this is for a signed-in dashboard user');
    throw new AppError('unauthorized', need === 'write'
      ? `Missing key: send your write key as the HTTP Basic username, as a Bearer token, or as "writeKey" in the body${access.sessions === 'also' ? ', or sign in' : ''}`
      : `Missing key: send a secret key as the HTTP Basic username or as a Bearer token${access.sessions === 'also' ? ', or sign in to the dashboard' : ''}`);
  };
  return Object.assign(hook, { access });
}

export { keyKindOf };
