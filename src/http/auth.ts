import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/db.ts';
import { findKey, hashKey, keyKindOf, type KeyKind, type KeyPrincipal } from '../store/workspaces.ts';
import { HttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: KeyPrincipal;
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
  constructor(private readonly store: Store) {}

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
 * Authenticates and authorises: 'write' routes take public write keys or secret keys, 'secret'
 * routes only secret keys. Unknown keys are 401, a public key on a secret route 403.
 */
export function authenticate(keys: KeyCache, need: KeyKind) {
  return async function (request: FastifyRequest, _reply: FastifyReply) {
    const key = presentedKey(request);
    if (!key) {
      throw new HttpError(401, need === 'write'
        ? 'Missing key: send your write key as the HTTP Basic username, as a Bearer token, or as "writeKey" in the body'
        : 'Missing key: send a secret key as the HTTP Basic username or as a Bearer token');
    }
    const principal = await keys.resolve(key);
    if (!principal) throw new HttpError(401, `Unknown or revoked key "${key.slice(0, 12)}…"`);
    if (need === 'secret' && principal.kind !== 'secret') {
      throw new HttpError(403, 'This is a public write key: it can only send events and answers. Use a secret key for this request');
    }
    request.principal = principal;
  };
}

export { keyKindOf };
