import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { verifyPassword } from '../src/domain/passwords.ts';
import { DEFAULT_PREFERENCES } from '../src/domain/preferences.ts';
import type { Store } from '../src/store/db.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { addUser, signIn } from './helpers/sign-in.ts';

// The clock is ticked by hand.
process.env.ADVOCATE_CLOCK_MS = '3600000';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

function cookieParts(setCookie: string | null): Map<string, string> {
  return new Map((setCookie ?? '').split(';').map((p) => p.trim()).filter(Boolean).map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? [p.toLowerCase(), ''] : [p.slice(0, eq).toLowerCase(), p.slice(eq + 1)];
  }));
}

/** Every row of every table but sessions, in a stable order: "nothing changed" is this being equal before and after. */
async function snapshot(store: Store): Promise<Record<string, string[]>> {
  const tables = store.backend === 'sqlite'
    ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(store.db)
    : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(store.db);
  const out: Record<string, string[]> = {};
  for (const { name } of tables.rows.sort((a, b) => a.name.localeCompare(b.name))) {
    if (name === 'sessions' || name.startsWith('kysely_')) continue;
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(store.db);
    out[name] = rows.rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

forEachBackend('accounts: sign in and out, the session and its cookie, one 401 for wrong email or password, hashes stored rather than secrets', async (store) => {
  const s = await startServer(store);
  try {
    const admin = await addUser(store, s.ws.id, 'admin', 'ada@example.com', 'correct horse battery');

    const wrongPassword = await s.call('POST', '/api/v1/session', null, { email: 'ada@example.com', password: 'wrong horse battery' });
    const unknownEmail = await s.call('POST', '/api/v1/session', null, { email: 'nobody@example.com', password: 'correct horse battery' });
    assert.equal(wrongPassword.status, 401);
    assert.deepEqual(unknownEmail.json, wrongPassword.json, 'an unknown email and a wrong password look the same');
    assert.equal(wrongPassword.headers.get('set-cookie'), null);
    const missing = await s.call('POST', '/api/v1/session', null, { email: 'ada@example.com' });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.field, 'body.password');

    // Emails are matched whatever their case.
    const res = await s.call('POST', '/api/v1/session', null, { email: ' ADA@Example.com ', password: 'correct horse battery' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['csrfToken', 'role', 'user', 'workspaceId', 'workspaces']);
    assert.deepEqual(res.json.user, { id: admin.id, email: 'ada@example.com', name: 'The admin' });
    assert.deepEqual(res.json.workspaces, [{ id: s.ws.id, name: 'Test', role: 'admin', preferences: DEFAULT_PREFERENCES }]);
    assert.equal(res.json.workspaceId, s.ws.id);
    assert.equal(res.json.role, 'admin');
    assert.match(res.json.csrfToken, /^[A-Za-z0-9_-]{43}$/);

    const cookie = cookieParts(res.headers.get('set-cookie'));
    const token = cookie.get('adv_session')!;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.ok(cookie.has('httponly'));
    assert.equal(cookie.get('samesite'), 'Lax');
    assert.equal(cookie.get('path'), '/');
    assert.equal(cookie.get('max-age'), String(30 * 86_400));
    assert.ok(!cookie.has('secure'), 'plain HTTP: a Secure cookie would never come back');
    // Without ADVOCATE_TRUST_PROXY a forwarded protocol is anyone's claim and changes nothing.
    const forwarded = await s.call('POST', '/api/v1/session', null, { email: 'ada@example.com', password: 'correct horse battery' }, { 'x-forwarded-proto': 'https' });
    assert.ok(!cookieParts(forwarded.headers.get('set-cookie')).has('secure'));

    // Stored: an scrypt hash with the documented parameters, and the token's sha256, never the secrets.
    const user = await store.db.selectFrom('users').selectAll().where('id', '=', admin.id).executeTakeFirstOrThrow();
    assert.match(user.password_hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.ok(!user.password_hash.includes('correct horse'));
    assert.equal(await verifyPassword('correct horse battery', user.password_hash), true);
    assert.equal(await verifyPassword('correct horse batterY', user.password_hash), false);
    const sessions = await store.db.selectFrom('sessions').selectAll().where('user_id', '=', admin.id).execute();
    assert.equal(sessions.length, 2);
    assert.ok(sessions.some((r) => r.token_hash === createHash('sha256').update(token).digest('hex')));
    assert.ok(!JSON.stringify(sessions).includes(token), 'the cookie token is not stored');

    const headers = { cookie: `adv_session=${token}` };
    const again = await s.call('GET', '/api/v1/session', null, undefined, headers);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, res.json);
    // The session opens every secret-key route, and a key keeps working as before.
    assert.equal((await s.call('GET', '/api/v1/metrics/nps', null, undefined, headers)).status, 200);
    assert.equal((await s.call('GET', '/api/v1/workspace', null, undefined, headers)).json.id, s.ws.id);
    assert.equal((await s.call('GET', '/api/v1/metrics/nps', s.ws.secretKey)).status, 200);
    assert.equal((await s.call('GET', '/api/v1/session')).status, 401);
    assert.equal((await s.call('GET', '/api/v1/session', null, undefined, { cookie: 'adv_session=forged' })).status, 401);
    assert.equal((await s.call('GET', '/api/v1/session', s.ws.secretKey)).status, 401, 'a key is not a signed-in user');

    // Signing out needs the CSRF token too, ends the session and clears the cookie.
    assert.equal((await s.call('DELETE', '/api/v1/session', null, undefined, headers)).status, 403);
    const out = await s.call('DELETE', '/api/v1/session', null, undefined, { ...headers, 'x-csrf-token': res.json.csrfToken });
    assert.equal(out.status, 204);
    const cleared = cookieParts(out.headers.get('set-cookie'));
    assert.equal(cleared.get('adv_session'), '');
    assert.equal(cleared.get('max-age'), '0');
    const ended = await s.call('GET', '/api/v1/metrics/nps', null, undefined, headers);
    assert.equal(ended.status, 401);
    assert.match(ended.json.message, /sign in again/);
    assert.equal((await s.call('GET', '/api/v1/session', null, undefined, headers)).status, 401);
    assert.equal((await store.db.selectFrom('sessions').select('id').where('user_id', '=', admin.id).execute()).length, 1);

    // An account in no workspace cannot sign in.
    const loner = await addUser(store, s.ws.id, 'viewer');
    await store.db.deleteFrom('memberships').where('user_id', '=', loner.id).execute();
    const refused = await s.call('POST', '/api/v1/session', null, { email: loner.email, password: loner.password });
    assert.equal(refused.status, 403);
    assert.match(refused.json.message, /no workspace/);
  } finally {
    await s.close();
  }
});

forEachBackend('accounts: the cookie is Secure when the browser came over HTTPS through a trusted proxy', async (store) => {
  process.env.ADVOCATE_TRUST_PROXY = '1';
  let s: TestServer;
  try {
    s = await startServer(store);
  } finally {
    delete process.env.ADVOCATE_TRUST_PROXY;
  }
  try {
    const u = await addUser(store, s.ws.id, 'viewer');
    const https = await s.call('POST', '/api/v1/session', null, { email: u.email, password: u.password }, { 'x-forwarded-proto': 'https' });
    assert.equal(https.status, 200);
    assert.ok(cookieParts(https.headers.get('set-cookie')).has('secure'));
    const http = await s.call('POST', '/api/v1/session', null, { email: u.email, password: u.password }, { 'x-forwarded-proto': 'http' });
    assert.ok(!cookieParts(http.headers.get('set-cookie')).has('secure'));
  } finally {
    await s.close();
  }
});

forEachBackend('accounts: failed sign-ins are throttled per email and per address (429 with Retry-After), before the password is checked', async (store) => {
  const s = await startServer(store);
  try {
    const u = await addUser(store, s.ws.id, 'analyst');
    const other = await addUser(store, s.ws.id, 'viewer');
    for (let i = 0; i < 10; i++) {
      assert.equal((await s.call('POST', '/api/v1/session', null, { email: u.email, password: `guess ${i}` })).status, 401);
    }
    const limited = await s.call('POST', '/api/v1/session', null, { email: u.email, password: u.password });
    assert.equal(limited.status, 429, 'even the right password waits: the throttle comes first');
    const wait = Number(limited.headers.get('retry-after'));
    assert.ok(wait > 0 && wait <= 900, `Retry-After ${wait}`);
    assert.match(limited.json.message, /Too many failed sign-ins/);
    // Another account from the same address is not locked out by someone else's typos...
    assert.equal((await s.call('POST', '/api/v1/session', null, { email: other.email, password: other.password })).status, 200);
    // ...but spraying guesses over many accounts from one address is.
    for (let i = 10; i < 30; i++) {
      assert.equal((await s.call('POST', '/api/v1/session', null, { email: `spray${i}@example.com`, password: 'Winter2024!' })).status, 401);
    }
    assert.equal((await s.call('POST', '/api/v1/session', null, { email: other.email, password: other.password })).status, 429);
  } finally {
    await s.close();
  }
});

forEachBackend('accounts: changes from a session need the CSRF token; keys need none', async (store) => {
  const s = await startServer(store);
  try {
    const u = await addUser(store, s.ws.id, 'analyst');
    const me = await signIn(s, u.email, u.password);
    const segment = { name: 'Pro', conditions: [{ field: 'trait.plan', op: 'eq', value: 'pro' }] };
    const none = await s.call('POST', '/api/v1/segments', null, segment, { cookie: me.cookie });
    assert.equal(none.status, 403);
    assert.match(none.json.message, /CSRF/);
    assert.equal(none.json.field, 'X-CSRF-Token');
    const wrong = await s.call('POST', '/api/v1/segments', null, segment, { cookie: me.cookie, 'x-csrf-token': me.csrf.slice(0, -1) + (me.csrf.endsWith('A') ? 'B' : 'A') });
    assert.equal(wrong.status, 403);
    assert.equal((await store.db.selectFrom('segments').selectAll().execute()).length, 0);
    assert.equal((await me.call('POST', '/api/v1/segments', segment)).status, 201);
    assert.equal((await s.call('POST', '/api/v1/segments', s.ws.secretKey, segment)).status, 201);
    // Reads need no token.
    assert.equal((await s.call('GET', '/api/v1/segments', null, undefined, { cookie: me.cookie })).json.items.length, 2);
  } finally {
    await s.close();
  }
});

forEachBackend('accounts: X-Advocate-Workspace switches among the user\'s workspaces, and no other workspace\'s data is ever visible', async (store) => {
  const s = await startServer(store);
  try {
    const u = await addUser(store, s.ws.id, 'analyst');
    await addUser(store, s.other.id, 'viewer', u.email);
    const third = await createWorkspace(store.db, 'Third');
    const me = await signIn(s, u.email, u.password);
    assert.deepEqual(me.body.workspaces, [{ id: s.ws.id, name: 'Test', role: 'analyst', preferences: DEFAULT_PREFERENCES }, { id: s.other.id, name: 'Other', role: 'viewer', preferences: DEFAULT_PREFERENCES }]);
    assert.equal(me.body.workspaceId, s.ws.id, 'the workspace joined first is the default');

    const mine = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: 'mine' }, score: 9 });
    const theirs = await s.call('POST', '/api/v1/answers', s.other.writeKey, { person: { userId: 'theirs' }, score: 2 });
    const inOther = { 'x-advocate-workspace': s.other.id };

    assert.equal((await me.call('GET', '/api/v1/workspace')).json.id, s.ws.id);
    assert.equal((await me.call('GET', '/api/v1/workspace', undefined, inOther)).json.id, s.other.id);
    const session = await me.call('GET', '/api/v1/session', undefined, inOther);
    assert.deepEqual([session.json.workspaceId, session.json.role], [s.other.id, 'viewer']);

    const answers = await me.call('GET', '/api/v1/answers');
    assert.deepEqual(answers.json.items.map((a: any) => a.id), [mine.json.answer.id]);
    const otherAnswers = await me.call('GET', '/api/v1/answers', undefined, inOther);
    assert.deepEqual(otherAnswers.json.items.map((a: any) => a.id), [theirs.json.answer.id]);
    assert.equal((await me.call('GET', `/api/v1/answers/${theirs.json.answer.id}`)).status, 404);
    assert.equal((await me.call('GET', `/api/v1/profiles/${theirs.json.answer.profileId}`)).status, 404);
    assert.equal((await me.call('GET', '/api/v1/metrics/nps')).json.n, 1);

    // The role is the one held in the workspace chosen.
    assert.equal((await me.call('POST', '/api/v1/annotations', { at: '2024-01-01', kind: 'note', label: 'Here' })).status, 201);
    const viewerThere = await me.call('POST', '/api/v1/annotations', { at: '2024-01-01', kind: 'note', label: 'There' }, inOther);
    assert.equal(viewerThere.status, 403);
    assert.match(viewerThere.json.message, /viewer/);

    for (const ws of [third.id, 'ws_made_up']) {
      const r = await me.call('GET', '/api/v1/answers', undefined, { 'x-advocate-workspace': ws });
      assert.equal(r.status, 403);
      assert.equal(r.json.field, 'X-Advocate-Workspace');
      assert.match(r.json.message, /X-Advocate-Workspace/);
    }
    // A key's workspace is the key's: the header does not move it.
    assert.equal((await s.call('GET', '/api/v1/workspace', s.ws.secretKey, undefined, inOther)).json.id, s.ws.id);
  } finally {
    await s.close();
  }
});

// Routes that do not take a dashboard session at all, and why; a viewer's cookie gets it nowhere there.
const NOT_FOR_SESSIONS: Record<string, string> = {
  'POST /api/v1/session': 'signing in: the credential is the password',
  'POST /api/v1/widget/check': 'the web widget: public write key from customers\' sites',
  'POST /api/v1/in-app/check': 'in-app surveys: public write key from apps',
  'POST /api/v1/responses/:token': 'a respondent\'s answer: the signed survey token is the credential',
  'POST /api/v1/responses/:token/events': 'a respondent\'s widget events: survey token',
  'POST /api/v1/kiosk/:token/start': 'a kiosk link: survey token',
};
// The user's own account: open to every role.
const OWN_ACCOUNT = new Set(['DELETE /api/v1/session', 'POST /api/v1/me/password']);

forEachBackend('roles: a viewer cannot change anything, an analyst cannot do an admin\'s work, an admin can', async (store) => {
  const s = await startServer(store);
  try {
    const routes = s.routes;

    // Something to change: a survey, a segment, an answer with its profile, an annotation, a key.
    const survey = (await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'NPS' })).json.survey;
    await s.call('POST', '/api/v1/segments', s.ws.secretKey, { name: 'All', conditions: [] });
    const answer = (await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: 'u1', email: 'u1@example.com' }, score: 3, comment: 'meh' })).json.answer;
    await s.call('POST', '/api/v1/annotations', s.ws.secretKey, { at: '2024-01-01', kind: 'note', label: 'Launch' });
    const adminUser = await addUser(store, s.ws.id, 'admin');
    const analystUser = await addUser(store, s.ws.id, 'analyst');
    const viewerUser = await addUser(store, s.ws.id, 'viewer');
    const viewer = await signIn(s, viewerUser.email, viewerUser.password);
    const analyst = await signIn(s, analystUser.email, analystUser.password);
    const admin = await signIn(s, adminUser.email, adminUser.password);
    const ids: Record<string, string> = { id: survey.id, runId: 'run_x', token: 'not-a-token', email: 'u1@example.com', workspaceId: s.ws.id, writeKey: s.ws.writeKey };
    const path = (url: string) => url.replace(/:([A-Za-z]+)/g, (_, p: string) => encodeURIComponent(ids[p] ?? `x${p}`));
    // Projection and the durable consumers (their cursors are in the snapshot) done before it is taken.
    await s.settle();
    await s.tick();

    const changing = routes.filter((r) => !READS.has(r.method));
    const api = changing.filter((r) => r.url.startsWith('/api/v1/'));
    assert.ok(api.length >= 30, `mutating /api/v1 routes: ${api.length}`);

    const before = await snapshot(store);
    for (const r of changing) {
      const name = `${r.method} ${r.url}`;
      if (OWN_ACCOUNT.has(name)) {
        assert.equal(r.auth?.sessions, 'only', name);
        continue;
      }
      const body = r.method === 'DELETE' ? undefined : name === 'POST /api/v1/session' ? { email: viewerUser.email, password: 'not the password' } : {};
      const res = await viewer.call(r.method, path(r.url), body);
      if (r.auth && r.auth.sessions !== 'never') {
        assert.ok(r.url.startsWith('/api/v1/'), `${name} takes sessions outside /api/v1`);
        assert.equal(res.status, 403, `${name}: ${res.status} ${res.text}`);
        assert.match(res.json.message, r.auth.role === 'admin' ? /Only an admin/ : /viewer, which can only read/, name);
      } else {
        // No session accepted here: a documented exclusion under /api/v1, or outside it (Segment
        // ingestion, the Delighted API, survey pages, SMS webhooks), which all need a key or a token.
        if (r.url.startsWith('/api/v1/')) assert.ok(NOT_FOR_SESSIONS[name], `${name} takes no session and is not a documented exclusion`);
        assert.ok(res.status >= 400 && res.status < 500 && res.status !== 429, `${name}: ${res.status} ${res.text}`);
      }
    }
    assert.deepEqual(await snapshot(store), before, 'a viewer changed something');
    // Reading is what a viewer is for; key management and the user list are not even readable.
    assert.equal((await viewer.call('GET', '/api/v1/metrics/nps')).status, 200);
    assert.equal((await viewer.call('GET', `/api/v1/answers/${answer.id}`)).status, 200);
    assert.equal((await viewer.call('GET', '/api/v1/keys')).status, 403);

    // Admin-only routes, declared on the routes themselves.
    const adminOnly = routes.filter((r) => r.auth?.role === 'admin').map((r) => `${r.method} ${r.url}`).sort();
    assert.deepEqual(adminOnly, [
      'DELETE /api/v1/keys/:id', 'DELETE /api/v1/profiles', 'DELETE /api/v1/profiles/:id', 'DELETE /api/v1/users/:id', 'GET /api/v1/keys', 'GET /api/v1/users', 'PATCH /api/v1/users/:id',
      'POST /api/v1/ingestion-errors/:id/replay', 'POST /api/v1/keys', 'POST /api/v1/users', 'PUT /api/v1/settings/churn', 'PUT /api/v1/settings/contact-policy',
      'PUT /api/v1/settings/delivery', 'PUT /api/v1/settings/journey-stages', 'PUT /api/v1/settings/workspace',
    ]);
    const beforeAnalyst = await snapshot(store);
    for (const name of adminOnly) {
      const [method, url] = name.split(' ');
      const res = await analyst.call(method, path(url), READS.has(method) || method === 'DELETE' ? undefined : {});
      assert.equal(res.status, 403, `${name}: ${res.text}`);
      assert.match(res.json.message, /Only an admin can do this; your role in this workspace is analyst/);
    }
    assert.deepEqual(await snapshot(store), beforeAnalyst, 'an analyst changed an admin\'s setting');

    // What an analyst may change.
    assert.equal((await analyst.call('PUT', `/api/v1/surveys/${survey.id}`, { ...survey.definition, brandColor: '#ff0000' })).status, 200);
    assert.equal((await analyst.call('POST', '/api/v1/segments', { name: 'Detractors', conditions: [{ field: 'nps.category', op: 'eq', value: 'detractor' }] })).status, 201);
    assert.equal((await analyst.call('PATCH', `/api/v1/answers/${answer.id}`, { comment: 'edited by an analyst' })).json.answer.comment, 'edited by an analyst');
    assert.equal((await analyst.call('POST', '/api/v1/answers', { person: { userId: 'phone-call' }, score: 10, channel: 'phone' })).status, 201);
    assert.equal((await analyst.call('DELETE', `/api/v1/surveys/${survey.id}`)).status, 204, 'analysts may archive surveys');

    // An admin does each admin-only thing (a secret key still does too).
    const done = new Set<string>();
    const expect = async (name: string, status: number, body?: unknown, url?: string) => {
      const [method, route] = name.split(' ');
      const res = await admin.call(method, url ?? route, body);
      assert.equal(res.status, status, `${name}: ${res.text}`);
      done.add(name);
      return res.json;
    };
    await expect('GET /api/v1/keys', 200);
    const key = await expect('POST /api/v1/keys', 201, { kind: 'write', name: 'from the dashboard' });
    assert.match(key.key, /^adv_pk_/);
    assert.ok(!JSON.stringify((await admin.call('GET', '/api/v1/keys')).json).includes(key.key), 'a key is shown once');
    await expect('DELETE /api/v1/keys/:id', 200, undefined, `/api/v1/keys/${key.id}`);
    const stages = (await admin.call('GET', '/api/v1/settings/journey-stages')).json;
    await expect('PUT /api/v1/settings/journey-stages', 200, { rules: stages.rules });
    await expect('PUT /api/v1/settings/churn', 200, { inactiveDays: 120, event: null });
    await expect('PUT /api/v1/settings/contact-policy', 200, { maxSurveys: 2, perDays: 90 });
    await expect('PUT /api/v1/settings/delivery', 200, { publicUrl: 'https://nps.example.com' });
    await expect('PUT /api/v1/settings/workspace', 200, { currency: 'EUR' });
    await expect('GET /api/v1/users', 200);
    const added = await expect('POST /api/v1/users', 201, { email: 'new@example.com', name: 'New', role: 'viewer', password: 'long enough password' });
    await expect('PATCH /api/v1/users/:id', 200, { role: 'analyst' }, `/api/v1/users/${added.user.id}`);
    await expect('DELETE /api/v1/users/:id', 204, undefined, `/api/v1/users/${added.user.id}`);
    for (const u of ['erase-me-1', 'erase-me-2']) await s.call('POST', '/v1/track', s.ws.writeKey, { userId: u, event: 'E' });
    await s.settle();
    await expect('DELETE /api/v1/profiles', 200, undefined, '/api/v1/profiles?userId=erase-me-1');
    const erasable = (await admin.call('GET', '/api/v1/profiles?userId=erase-me-2')).json.id;
    await expect('DELETE /api/v1/profiles/:id', 200, undefined, `/api/v1/profiles/${erasable}`);
    await s.call('POST', '/v1/batch', s.ws.writeKey, { batch: [{ type: 'track', userId: 'x', event: 'E' }, { type: 'track', event: 'no id' }] });
    const refused = (await admin.call('GET', '/api/v1/ingestion-errors')).json.items[0].id;
    // Only set-aside messages replay; one refused by validation says so.
    await expect('POST /api/v1/ingestion-errors/:id/replay', 409, undefined, `/api/v1/ingestion-errors/${refused}/replay`);
    assert.deepEqual([...done].sort(), adminOnly);
    assert.equal((await s.call('PUT', '/api/v1/settings/churn', s.ws.secretKey, { inactiveDays: 90, event: null })).status, 200);

    // Signing out is open to every role.
    assert.equal((await viewer.call('DELETE', '/api/v1/session')).status, 204);
  } finally {
    await s.close();
  }
});

forEachBackend('users: admins add, re-role and remove users; the last admin stays; existing accounts keep their password', async (store) => {
  const s = await startServer(store);
  try {
    const first = await addUser(store, s.ws.id, 'admin');
    const admin = await signIn(s, first.email, first.password);
    const list = await admin.call('GET', '/api/v1/users');
    assert.deepEqual(list.json.items.map((u: any) => [u.email, u.role]), [[first.email, 'admin']]);

    const short = await admin.call('POST', '/api/v1/users', { email: 'ana@example.com', name: 'Ana', role: 'analyst', password: 'short' });
    assert.equal(short.status, 400);
    assert.equal(short.json.field, 'body.password');
    const noPassword = await admin.call('POST', '/api/v1/users', { email: 'ana@example.com', name: 'Ana', role: 'analyst' });
    assert.equal(noPassword.status, 400);
    assert.equal(noPassword.json.field, 'password');
    const badRole = await admin.call('POST', '/api/v1/users', { email: 'ana@example.com', name: 'Ana', role: 'owner', password: 'long enough password' });
    assert.equal(badRole.status, 400);
    assert.match(badRole.json.message, /role/);
    const badEmail = await admin.call('POST', '/api/v1/users', { email: 'not an email', name: 'Ana', role: 'analyst', password: 'long enough password' });
    assert.equal(badEmail.json.field, 'email');

    const created = await admin.call('POST', '/api/v1/users', { email: 'Ana@Example.com', name: 'Ana', role: 'analyst', password: 'long enough password' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.created, true);
    assert.deepEqual([created.json.user.email, created.json.user.role], ['ana@example.com', 'analyst']);
    const ana = await signIn(s, 'ana@example.com', 'long enough password');
    assert.equal(ana.body.role, 'analyst');
    assert.equal((await admin.call('POST', '/api/v1/users', { email: 'ana@example.com', name: 'Ana', role: 'viewer', password: 'long enough password' })).status, 409);

    // An account from another workspace joins with its own password, whatever this admin sends.
    const elsewhere = await addUser(store, s.other.id, 'admin', 'bo@example.com', 'bo\'s own password');
    const joined = await admin.call('POST', '/api/v1/users', { email: 'bo@example.com', name: 'Bo', role: 'viewer', password: 'takeover attempt 123' });
    assert.equal(joined.status, 201);
    assert.equal(joined.json.created, false);
    assert.equal((await s.call('POST', '/api/v1/session', null, { email: 'bo@example.com', password: 'takeover attempt 123' })).status, 401);
    const bo = await signIn(s, 'bo@example.com', elsewhere.password);
    assert.equal(bo.body.workspaces.length, 2);

    // A role change applies to sessions already open.
    const toViewer = await admin.call('PATCH', `/api/v1/users/${ana.body.user.id}`, { role: 'viewer' });
    assert.equal(toViewer.json.user.role, 'viewer');
    assert.equal((await ana.call('POST', '/api/v1/segments', { name: 'X', conditions: [] })).status, 403);
    assert.equal((await admin.call('PATCH', '/api/v1/users/usr_nobody', { role: 'viewer' })).status, 404);
    // Other workspaces' users are not this admin's to see or change.
    const otherAdmin = await bo.call('GET', '/api/v1/users', undefined, { 'x-advocate-workspace': s.other.id });
    assert.deepEqual(otherAdmin.json.items.map((u: any) => u.email), ['bo@example.com']);
    assert.equal((await bo.call('PATCH', `/api/v1/users/${first.id}`, { role: 'viewer' }, { 'x-advocate-workspace': s.other.id })).status, 404);

    // The last admin can neither step down nor leave, through a session or a key.
    const demote = await admin.call('PATCH', `/api/v1/users/${first.id}`, { role: 'analyst' });
    assert.equal(demote.status, 409);
    assert.match(demote.json.message, /You are the last admin/);
    assert.equal((await admin.call('DELETE', `/api/v1/users/${first.id}`)).status, 409);
    assert.equal((await s.call('DELETE', `/api/v1/users/${first.id}`, s.ws.secretKey)).status, 409);
    assert.equal((await s.call('GET', '/api/v1/users', s.ws.secretKey)).json.items.length, 3, 'a secret key acts as an admin');
    // With a second admin, the first may step down, and is then no admin any more.
    assert.equal((await admin.call('PATCH', `/api/v1/users/${bo.body.user.id}`, { role: 'admin' })).status, 200);
    assert.equal((await admin.call('PATCH', `/api/v1/users/${first.id}`, { role: 'analyst' })).status, 200);
    assert.equal((await admin.call('GET', '/api/v1/users')).status, 403);

    // Removing a member ends their access to the workspace at once.
    const inTest = { 'x-advocate-workspace': s.ws.id };
    assert.equal((await bo.call('DELETE', `/api/v1/users/${ana.body.user.id}`, undefined, inTest)).status, 204);
    const gone = await ana.call('GET', '/api/v1/metrics/nps');
    assert.equal(gone.status, 401);
    assert.match(gone.json.message, /no longer belongs/);
    assert.equal((await bo.call('DELETE', `/api/v1/users/${ana.body.user.id}`, undefined, inTest)).status, 404);
  } finally {
    await s.close();
  }
});

forEachBackend('users: anyone signed in changes their own password; other sessions end', async (store) => {
  const s = await startServer(store);
  try {
    const u = await addUser(store, s.ws.id, 'viewer', 'vi@example.com', 'first password 1');
    const here = await signIn(s, u.email, u.password);
    const there = await signIn(s, u.email, u.password);
    const wrong = await here.call('POST', '/api/v1/me/password', { current: 'not it at all', next: 'second password 2' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json.field, 'current');
    const short = await here.call('POST', '/api/v1/me/password', { current: u.password, next: 'short' });
    assert.equal(short.status, 400);
    assert.equal(short.json.field, 'body.next');
    const noCsrf = await s.call('POST', '/api/v1/me/password', null, { current: u.password, next: 'second password 2' }, { cookie: here.cookie });
    assert.equal(noCsrf.status, 403);
    assert.equal((await s.call('POST', '/api/v1/me/password', s.ws.secretKey, { current: u.password, next: 'second password 2' })).status, 401, 'a key has no password');

    assert.equal((await here.call('POST', '/api/v1/me/password', { current: u.password, next: 'second password 2' })).status, 204);
    assert.equal((await here.call('GET', '/api/v1/session')).status, 200, 'this session goes on');
    assert.equal((await there.call('GET', '/api/v1/session')).status, 401, 'the others are signed out');
    assert.equal((await s.call('POST', '/api/v1/session', null, { email: u.email, password: u.password })).status, 401);
    await signIn(s, u.email, 'second password 2');
  } finally {
    await s.close();
  }
});
