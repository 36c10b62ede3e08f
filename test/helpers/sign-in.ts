import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Role } from '../../src/domain/roles.ts';
import { addMember } from '../../src/store/accounts.ts';
import type { Store } from '../../src/store/db.ts';
import type { TestServer } from './server.ts';

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

/** A dashboard user with a role in a workspace (an existing account with that email just joins it). */
export async function addUser(store: Store, workspaceId: string, role: Role, email = `${role}-${randomBytes(4).toString('hex')}@example.com`, password = `pw-${randomBytes(9).toString('base64url')}`): Promise<TestUser> {
  const r = await addMember(store.db, workspaceId, { email, name: `The ${role}`, role, password });
  assert.ok(r.status === 'created' || r.status === 'added', r.status);
  return { id: r.member.id, email, password };
}

export interface SignedIn {
  cookie: string;
  csrf: string;
  body: any;
  /** s.call as this user: the cookie, the CSRF token, and optionally the workspace to work in. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): ReturnType<TestServer['call']>;
}

export async function signIn(s: TestServer, email: string, password: string, headers: Record<string, string> = {}): Promise<SignedIn> {
  const r = await s.call('POST', '/api/v1/session', null, { email, password }, headers);
  assert.equal(r.status, 200, r.text);
  const token = /^adv_session=([^;]+);/.exec(r.headers.get('set-cookie') ?? '')?.[1];
  assert.ok(token, `no session cookie in ${r.headers.get('set-cookie')}`);
  const cookie = `adv_session=${token}`;
  const csrf = r.json.csrfToken as string;
  return {
    cookie,
    csrf,
    body: r.json,
    call: (method, path, body, extra = {}) => s.call(method, path, null, body, { cookie, 'x-csrf-token': csrf, ...extra }),
  };
}
