/**
 * Workspaces never see each other's data, whichever id a caller puts in a path, a body or a query.
 *
 * The route walk seeds one of every object a route names by id in two workspaces, then calls every
 * route with a parameter as workspace `ws` (its secret key, its write key where the route takes
 * one, and a signed-in admin) with the other workspace's ids and with made-up ids: nothing answers
 * 2xx, and the other workspace's objects are the same afterwards. The same routes with `ws`'s own
 * ids find their object (2xx, or 409 for a run already finished), so a 404 here is the workspace
 * check and not a broken path or body. A route with a parameter that the table below does not
 * describe fails the test until it is added.
 */
import assert from 'node:assert/strict';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer, type TestWorkspace } from './helpers/server.ts';
import { addUser, signIn, type SignedIn } from './helpers/sign-in.ts';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp.ts';
import { until } from './helpers/wait.ts';
import { signContactToken } from '../src/surveys/tokens.ts';

// A bounced send fails its job at once; fast polling keeps the seeding short.
process.env.ADVOCATE_JOB_POLL_MS = '30';
process.env.ADVOCATE_JOB_BACKOFF_MS = '30';

/** What a path parameter names. Tokens, codes and keys are credentials of their own: only forgeries and made-up values are tried. */
type Kind =
  | 'survey' | 'run' | 'segment' | 'answer' | 'profile' | 'person' | 'annotation' | 'key' | 'user' | 'job' | 'ingestionError'
  | 'responseToken' | 'personToken' | 'kioskToken' | 'openToken' | 'shortCode' | 'writeKey' | 'workspace';

interface RouteCase {
  params: Record<string, Kind>;
  body?: (o: Seeded) => unknown;
  /** urlencoded form body instead of JSON */
  form?: boolean;
  /** Status with the caller's own ids (the control); left out where no own value can be made here. */
  own?: number[];
  /** Changes the caller's own data when called with own ids: run after every other control. */
  destructive?: boolean;
}

/** Routes whose parameter names no object: CORS preflights (they read nothing) and the dashboard's client-side paths. */
type Skipped = { skip: string };

const NOBODY = [{ field: 'traits.seed', op: 'eq', value: 'no one has this' }];
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

/** Every route with a path parameter, by "METHOD url" as the app registers it. */
const ROUTES: Record<string, RouteCase | Skipped> = {
  'GET /v1/projects/:writeKey/settings': { params: { writeKey: 'writeKey' }, own: [200] },
  'PATCH /api/v1/answers/:id': { params: { id: 'answer' }, body: () => ({ comment: 'defaced' }), own: [200] },
  'GET /api/v1/answers/:id': { params: { id: 'answer' }, own: [200] },
  'GET /api/v1/profiles/:id': { params: { id: 'profile' }, own: [200] },
  'GET /api/v1/profiles/:id/timeline': { params: { id: 'profile' }, own: [200] },
  'GET /api/v1/profiles/:id/identity-history': { params: { id: 'profile' }, own: [200] },
  'GET /api/v1/profiles/:id/traits/history': { params: { id: 'profile' }, own: [200] },
  'GET /api/v1/profiles/:id/segments': { params: { id: 'profile' }, own: [200] },
  'GET /api/v1/profiles/:id/churn-risk': { params: { id: 'profile' }, own: [200] },
  'DELETE /api/v1/profiles/:id': { params: { id: 'profile' }, own: [200], destructive: true },
  'DELETE /api/v1/annotations/:id': { params: { id: 'annotation' }, own: [204], destructive: true },
  // The seeded error was refused by validation: its own workspace gets 409 (only set-aside messages replay).
  'POST /api/v1/ingestion-errors/:id/replay': { params: { id: 'ingestionError' }, own: [409] },
  'GET /api/v1/segments/:id': { params: { id: 'segment' }, own: [200] },
  'PUT /api/v1/segments/:id': { params: { id: 'segment' }, body: () => ({ name: 'Hijacked', conditions: NOBODY }), own: [200] },
  'DELETE /api/v1/segments/:id': { params: { id: 'segment' }, own: [204], destructive: true },
  'DELETE /api/v1/keys/:id': { params: { id: 'key' }, own: [200], destructive: true },
  'PATCH /api/v1/users/:id': { params: { id: 'user' }, body: () => ({ role: 'viewer' }), own: [200] },
  'DELETE /api/v1/users/:id': { params: { id: 'user' }, own: [204], destructive: true },
  'GET /api/v1/surveys/:id': { params: { id: 'survey' }, own: [200] },
  'PUT /api/v1/surveys/:id': { params: { id: 'survey' }, body: () => ({ name: 'Hijacked' }), own: [200] },
  'DELETE /api/v1/surveys/:id': { params: { id: 'survey' }, own: [204], destructive: true },
  'GET /api/v1/surveys/:id/preview': { params: { id: 'survey' }, own: [200] },
  'POST /api/v1/surveys/:id/send': { params: { id: 'survey' }, body: () => ({ channel: 'email', people: [{ email: 'hijack@example.com' }] }), own: [202] },
  'POST /api/v1/surveys/:id/runs': { params: { id: 'survey' }, body: () => ({ channel: 'email', conditions: NOBODY }), own: [202] },
  'GET /api/v1/surveys/:id/runs': { params: { id: 'survey' }, own: [200] },
  'GET /api/v1/surveys/:id/runs/:runId': { params: { id: 'survey', runId: 'run' }, own: [200] },
  // The seeded run has finished: 409 "already done" is the control finding it.
  'DELETE /api/v1/surveys/:id/runs/:runId': { params: { id: 'survey', runId: 'run' }, own: [200, 409] },
  'POST /api/v1/surveys/:id/links': { params: { id: 'survey' }, body: () => ({ kind: 'open' }), own: [201] },
  'GET /api/v1/surveys/:id/qr': { params: { id: 'survey' }, own: [200] },
  'POST /api/v1/jobs/:id/retry': { params: { id: 'job' }, own: [202] },
  'POST /api/v1/responses/:token': { params: { token: 'responseToken' }, body: () => ({ score: 7 }), own: [201] },
  'OPTIONS /api/v1/responses/:token': { skip: 'CORS preflight' },
  'POST /api/v1/responses/:token/events': { params: { token: 'responseToken' }, body: () => ({ type: 'shown' }), own: [204] },
  'OPTIONS /api/v1/responses/:token/events': { skip: 'CORS preflight' },
  'GET /v1/people/:id': { params: { id: 'person' }, own: [200] },
  'GET /v1/people/:id.json': { params: { id: 'person' }, own: [200] },
  // Erasing the caller's own person is the control of DELETE /api/v1/profiles/:id; once is enough.
  'DELETE /v1/people/:id': { params: { id: 'person' } },
  'DELETE /v1/people/:id.json': { params: { id: 'person' } },
  'DELETE /v1/people/:email/survey_requests/pending': { params: { email: 'person' }, own: [200] },
  'DELETE /v1/people/:email/survey_requests/pending.json': { params: { email: 'person' }, own: [200] },
  'GET /v1/survey_responses/:id': { params: { id: 'answer' }, own: [200] },
  'GET /v1/survey_responses/:id.json': { params: { id: 'answer' }, own: [200] },
  'GET /app/*': { skip: 'the dashboard\'s client-side paths' },
  'GET /api/v1/themes/versions/:version': { skip: 'a version is numbered within its workspace, not an id (every workspace may have a version 4): test/drivers.test.ts reads one from another workspace and gets 404' },
  'GET /s/:token': { params: { token: 'personToken' }, own: [200] },
  'POST /s/:token': { params: { token: 'personToken' }, form: true, body: () => form({ score: '8', comment: 'seen' }), own: [200] },
  'GET /u/:token': { params: { token: 'personToken' }, own: [200] },
  'POST /u/:token': { params: { token: 'personToken' }, form: true, body: () => form({}), own: [200] },
  'GET /r/:code': { params: { code: 'shortCode' } },
  'GET /k/:token': { params: { token: 'kioskToken' }, own: [200] },
  'POST /api/v1/kiosk/:token/start': { params: { token: 'kioskToken' }, own: [200] },
  'GET /o/:token': { params: { token: 'openToken' }, own: [302] },
  'POST /hooks/sms/:workspaceId': { params: { workspaceId: 'workspace' }, form: true, body: () => form({ From: '+15550100', Body: '0' }) },
};

/** Kinds that are credentials in themselves: a forged or made-up one is refused as a credential (401), or not found. */
const CREDENTIAL_KINDS: Partial<Record<Kind, number[]>> = {
  responseToken: [401], personToken: [401], kioskToken: [401], openToken: [401], shortCode: [404], writeKey: [404], workspace: [404],
};

interface Seeded {
  ws: TestWorkspace;
  email: string;
  survey: string;
  run: string;
  segment: string;
  answer: string;
  updateToken: string;
  profile: string;
  annotation: string;
  key: string;
  user: string;
  job: string;
  ingestionError: string;
  responseToken: string;
  personToken: string;
  kioskToken: string;
  openToken: string;
}

/** One of everything a route names by id, made through the API as a customer would. */
async function seed(s: TestServer, ws: TestWorkspace, tag: string, smtp: TestSmtpServer): Promise<Seeded> {
  const key = ws.secretKey;
  const ok = async (method: string, path: string, body?: unknown, k: string = key) => {
    const r = await s.call(method, path, k, body);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
    return r.json;
  };
  // Every send is refused by the mail server: the job fails at once and stays failed.
  await ok('PUT', '/api/v1/settings/delivery', { smtp: smtp.settings() });
  const survey = (await ok('POST', '/api/v1/surveys', { name: `Seed ${tag}` })).survey.id;
  const email = `seed-${tag}@example.com`;
  const answered = await ok('POST', '/api/v1/answers', { person: { userId: `seed-${tag}`, email }, score: 9, comment: `from ${tag}`, surveyId: survey }, ws.writeKey);
  const segment = (await ok('POST', '/api/v1/segments', { name: `Promoters ${tag}`, conditions: [{ field: 'latestNpsScore', op: 'gte', value: 9 }] })).segment.id;
  await ok('POST', '/v1/batch', { batch: [{ type: 'track', userId: `seed-${tag}`, event: 'Fine' }, { type: 'track', event: 'no identity' }] }, ws.writeKey);
  const ingestionError = (await ok('GET', '/api/v1/ingestion-errors')).items[0].id;
  const annotation = (await ok('POST', '/api/v1/annotations', { at: new Date().toISOString(), kind: 'note', label: `note ${tag}` })).annotation.id;
  const spareKey = (await ok('POST', '/api/v1/keys', { kind: 'secret', name: `spare ${tag}` })).id;
  const user = (await addUser(s.store, ws.id, 'analyst')).id;
  const sent = await ok('POST', `/api/v1/surveys/${survey}/send`, { channel: 'email', people: [{ email: `bounce-${tag}@example.com` }] });
  const contactId = sent.results[0].contactId;
  const job = await until(`failed send job of ${tag}`, async () =>
    (await s.call('GET', '/api/v1/jobs?status=failed', key)).json.items.find((j: any) => j.payload.contactId === contactId));
  const run = (await ok('POST', `/api/v1/surveys/${survey}/runs`, { channel: 'email', conditions: NOBODY })).run.id;
  await until(`run of ${tag} done`, async () => (await s.call('GET', `/api/v1/surveys/${survey}/runs/${run}`, key)).json.run.status === 'done');
  const offer = await ok('POST', '/api/v1/widget/check', { anonymousId: `visitor-${tag}`, url: 'https://shop.example/' }, ws.writeKey);
  assert.ok(offer.show, JSON.stringify(offer));
  const linkToken = async (kind: string) => (await ok('POST', `/api/v1/surveys/${survey}/links`, { kind })).url.split('/').pop() as string;
  // What an emailed link carries, signed as the server signs it (the mail server here refuses every send).
  const personToken = await signContactToken(s.store.db, { w: ws.id, c: `con_seed_${tag}`, s: survey, v: 1, ch: 'email', em: email, x: Math.floor(Date.now() / 1000) + 3600 });
  return {
    ws, email, survey, run, segment, annotation, key: spareKey, user, job: job.id, personToken, ingestionError,
    answer: answered.answer.id, updateToken: answered.updateToken, profile: answered.answer.profileId,
    responseToken: offer.token, kioskToken: await linkToken('kiosk'), openToken: await linkToken('open'),
  };
}

/** A token of the other workspace made to name this one: its signature no longer matches. */
function readdressed(token: string, workspaceId: string): string {
  const [body, signature] = token.split('.');
  const t = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  return `${Buffer.from(JSON.stringify({ ...t, w: workspaceId })).toString('base64url')}.${signature}`;
}

function valueOf(kind: Kind, o: Seeded): string {
  switch (kind) {
    case 'person': return o.profile;
    case 'writeKey': return o.ws.writeKey;
    case 'workspace': return o.ws.id;
    case 'shortCode': return 'no-such-code';
    default: return o[kind];
  }
}

/** Values of another workspace's objects to try as `caller`: ids, and for people their email too. */
function foreignValues(kind: Kind, theirs: Seeded, caller: Seeded): string[] {
  if (kind === 'person') return [theirs.profile, `email:${theirs.email}`, theirs.email];
  if (kind.endsWith('Token')) return [readdressed(theirs[kind as 'responseToken'], caller.ws.id)];
  // A write key is the credential of its own workspace and a short code is global: nothing foreign to try.
  if (kind === 'writeKey' || kind === 'shortCode') return [];
  return [valueOf(kind, theirs)];
}

const madeUp = (kind: Kind) => (kind.endsWith('Token') ? 'bm90LWEtdG9rZW4.AAAA' : kind === 'writeKey' ? 'adv_pk_madeup' : `${kind}_madeup_1`);

const pathOf = (url: string, values: Record<string, string>) =>
  url.replace(/:([A-Za-z_]+)/g, (_, name: string) => encodeURIComponent(values[name]));

/** Unauthenticated request without following redirects (open links redirect). */
async function raw(s: TestServer, method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(s.url + path, { method, body, headers, redirect: 'manual' });
  return { status: res.status, text: await res.text() };
}

/** The other workspace's objects as its own key reads them. */
async function snapshot(s: TestServer, o: Seeded) {
  const k = o.ws.secretKey;
  const paths = [
    `/api/v1/surveys/${o.survey}`, `/api/v1/surveys/${o.survey}/runs`, `/api/v1/surveys/${o.survey}/runs/${o.run}`,
    `/api/v1/segments/${o.segment}`, '/api/v1/segments', `/api/v1/answers/${o.answer}`, '/api/v1/answers',
    `/api/v1/profiles/${o.profile}`, `/api/v1/profiles/${o.profile}/timeline`, '/api/v1/annotations', '/api/v1/keys', '/api/v1/users',
    '/api/v1/jobs', '/api/v1/contacts', '/api/v1/ingestion-errors', `/api/v1/eligibility?surveyId=${o.survey}&channel=email&email=${o.email}`,
  ];
  const out: Record<string, unknown> = {};
  for (const p of paths) {
    const r = await s.call('GET', p, k);
    assert.equal(r.status, 200, `${p}: ${r.text}`);
    out[p] = r.json;
  }
  for (const p of [`/v1/people/${o.profile}`, '/v1/unsubscribes']) out[p] = (await s.call('GET', p, k)).json;
  return out;
}

const routeKey = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
const hasParam = (url: string) => /[:*]/.test(url);

forEachBackend('every route with an id in its path answers 404 for another workspace\'s ids and made-up ones', async (store) => {
  const smtp = await startSmtpServer({ mode: 'reject-recipient' });
  const s = await startServer(store);
  try {
    // The table covers exactly the routes with a parameter: a new one must be added here, a removed one taken out.
    const withParams = s.routes.filter((r) => hasParam(r.url)).map(routeKey);
    assert.deepEqual(withParams.filter((k) => !(k in ROUTES)), [], 'routes with a path parameter missing from ROUTES in this test');
    assert.deepEqual(Object.keys(ROUTES).filter((k) => !withParams.includes(k)), [], 'ROUTES names routes the app does not have');

    const mine = await seed(s, s.ws, 'mine', smtp);
    const theirs = await seed(s, s.other, 'theirs', smtp);
    const admin = await addUser(store, s.ws.id, 'admin');
    const session: SignedIn = await signIn(s, admin.email, admin.password);
    const before = await snapshot(s, theirs);

    const routes = new Map(s.routes.map((r) => [routeKey(r), r]));
    const problems: string[] = [];
    const check = (what: string, r: { status: number; text: string }, expected: number[]) => {
      if (!expected.includes(r.status)) problems.push(`${what}: ${r.status} (expected ${expected.join(' or ')}) ${r.text.slice(0, 160)}`);
    };

    /** Calls one route as `ws` with these parameter values, with every credential the route takes. */
    async function callAs(key: string, c: RouteCase, values: Record<string, string>, expected: number[], what: string) {
      const [method, url] = key.split(' ');
      const path = pathOf(url, values);
      const body = c.body?.(mine);
      const auth = routes.get(key)?.auth;
      if (!auth) {
        const headers: Record<string, string> = body === undefined ? {} : { 'content-type': c.form ? 'application/x-www-form-urlencoded' : 'application/json' };
        check(`${what} ${method} ${path}`, await raw(s, method, path, body === undefined ? undefined : c.form ? String(body) : JSON.stringify(body), headers), expected);
        return;
      }
      check(`${what} ${method} ${path} (secret key)`, await s.call(method, path, s.ws.secretKey, body), expected);
      if (auth.sessions !== 'never') check(`${what} ${method} ${path} (signed in)`, await session.call(method, path, body), expected);
      if (auth.kind === 'write') {
        // A public key edits an answer only with that answer's update token: the other workspace's is worthless here.
        const withToken = method === 'PATCH' ? { ...(body as object), updateToken: values.id === theirs.answer ? theirs.updateToken : 'made-up' } : body;
        check(`${what} ${method} ${path} (write key)`, await s.call(method, path, s.ws.writeKey, withToken), expected.includes(404) ? [403, 404] : expected);
      }
    }

    for (const [key, c] of Object.entries(ROUTES)) {
      if ('skip' in c || !routes.has(key)) continue;
      const names = Object.keys(c.params);
      const expected = (kind: Kind) => CREDENTIAL_KINDS[kind] ?? [404];
      const own = Object.fromEntries(names.map((n) => [n, valueOf(c.params[n], mine)]));
      // Each parameter in turn gets every foreign and a made-up value, the others the caller's own.
      for (const name of names) {
        const kind = c.params[name];
        for (const v of foreignValues(kind, theirs, mine)) await callAs(key, c, { ...own, [name]: v }, expected(kind), `${name}=${kind} of the other workspace:`);
        await callAs(key, c, { ...own, [name]: madeUp(kind) }, expected(kind), `${name}=made-up ${kind}:`);
      }
      // All of them foreign at once (a run of the other workspace under its own survey).
      if (names.length > 1) {
        const all = Object.fromEntries(names.map((n) => [n, foreignValues(c.params[n], theirs, mine)[0]]));
        await callAs(key, c, all, [404], 'all ids of the other workspace:');
      }
    }

    assert.deepEqual(await snapshot(s, theirs), before, 'the other workspace\'s objects changed');

    // Controls: the same routes with the caller's own ids are found, so each 404 above was the workspace check.
    const controls = Object.entries(ROUTES).filter((e): e is [string, RouteCase] => !('skip' in e[1]) && !!e[1].own && routes.has(e[0]));
    const ordered = [...controls.filter(([, c]) => !c.destructive), ...controls.filter(([, c]) => c.destructive)];
    for (const [key, c] of ordered) {
      const [method, url] = key.split(' ');
      const path = pathOf(url, Object.fromEntries(Object.entries(c.params).map(([n, kind]) => [n, valueOf(kind, mine)])));
      const body = c.body?.(mine);
      const auth = routes.get(key)!.auth;
      const r = auth
        ? await s.call(method, path, s.ws.secretKey, body)
        : await raw(s, method, path, body === undefined ? undefined : c.form ? String(body) : JSON.stringify(body),
          body === undefined ? {} : { 'content-type': c.form ? 'application/x-www-form-urlencoded' : 'application/json' });
      check(`own ids: ${method} ${path}`, r, c.own!);
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(await snapshot(s, theirs), before, 'the other workspace\'s objects changed');
  } finally {
    await s.close();
    await smtp.close();
  }
});

forEachBackend('ids in bodies and queries must be the caller\'s workspace\'s: answers, filters, eligibility, Delighted', async (store) => {
  const s = await startServer(store);
  try {
    const A = s.ws.secretKey;
    const B = s.other.secretKey;
    const survey = async (key: string, name: string) => (await s.call('POST', '/api/v1/surveys', key, { name })).json.survey.id as string;
    const mine = await survey(A, 'Mine');
    const theirs = await survey(B, 'Theirs');
    const theirAnswer = await s.call('POST', '/api/v1/answers', s.other.writeKey, { person: { userId: 'theirs', email: 'theirs@example.com' }, score: 10, surveyId: theirs });
    assert.equal(theirAnswer.status, 201, theirAnswer.text);
    const theirProfile = theirAnswer.json.answer.profileId;
    const theirSegment = (await s.call('POST', '/api/v1/segments', B, { name: 'Promoters', conditions: [{ field: 'latestNpsScore', op: 'gte', value: 9 }] })).json.segment.id;
    const theirsBefore = (await s.call('GET', '/api/v1/answers', B)).json;

    // POST /api/v1/answers: the survey named must be the caller's, with any key that may record answers.
    const answer = (key: string, extra: Record<string, unknown>) => s.call('POST', '/api/v1/answers', key, { person: { userId: 'ada' }, score: 9, ...extra });
    for (const key of [s.ws.writeKey, A]) {
      for (const id of [theirs, 'srv_x']) {
        const r = await answer(key, { surveyId: id });
        assert.equal(r.status, 422, r.text);
        assert.equal(r.json.field, 'surveyId');
        assert.equal(r.json.message, `surveyId: no survey "${id}" in this workspace`);
      }
    }
    const badVersion = await answer(A, { surveyId: mine, surveyVersion: 2 });
    assert.equal(badVersion.status, 422, badVersion.text);
    assert.equal(badVersion.json.field, 'surveyVersion');
    assert.match(badVersion.json.message, new RegExp(`^surveyVersion: survey "${mine}" has no version 2`));
    const versionAlone = await answer(A, { surveyVersion: 1 });
    assert.equal(versionAlone.status, 422, versionAlone.text);
    assert.equal(versionAlone.json.field, 'surveyVersion');
    const good = await answer(s.ws.writeKey, { surveyId: mine, surveyVersion: 1 });
    assert.equal(good.status, 201, good.text);
    assert.deepEqual([good.json.answer.surveyId, good.json.answer.surveyVersion], [mine, 1]);
    // Refused answers left nothing behind, here or there.
    assert.deepEqual((await s.call('GET', '/api/v1/answers', A)).json.items.map((a: any) => a.id), [good.json.answer.id]);
    assert.deepEqual((await s.call('GET', '/api/v1/answers', B)).json, theirsBefore);

    // segment= on every insight figure: another workspace's segment is no segment here.
    for (const path of ['/api/v1/metrics/nps', '/api/v1/metrics/breakdown?by=channel&', '/api/v1/metrics/trend', '/api/v1/metrics/benchmarks']) {
      for (const id of [theirSegment, 'seg_x']) {
        const r = await s.call('GET', `${path}${path.endsWith('&') ? '' : '?'}segment=${id}`, A);
        assert.equal(r.status, 404, `${path} ${r.text}`);
        assert.equal(r.json.field, 'segment');
      }
    }
    assert.equal((await s.call('GET', `/api/v1/metrics/nps?segment=${theirSegment}`, B)).status, 200);

    // Eligibility about a survey or a person of another workspace.
    const eligibility = (q: string) => s.call('GET', `/api/v1/eligibility?channel=email&${q}`, A);
    const foreignSurvey = await eligibility(`surveyId=${theirs}&email=ada@example.com`);
    assert.equal(foreignSurvey.status, 404, foreignSurvey.text);
    assert.equal(foreignSurvey.json.field, 'surveyId');
    assert.equal(foreignSurvey.json.message, `surveyId: no survey "${theirs}" in this workspace`);
    for (const q of [`profileId=${theirProfile}`, `profileId=${theirProfile}&email=ada@example.com`]) {
      const r = await eligibility(`surveyId=${mine}&${q}`);
      assert.equal(r.status, 404, r.text);
      assert.equal(r.json.field, 'profileId');
    }
    assert.equal((await eligibility(`surveyId=${mine}&profileId=${good.json.answer.profileId}`)).status, 200);

    // Delighted: a response for another account's person, and another account's survey as trend.
    const response = await s.call('POST', '/v1/survey_responses', A, { person: theirProfile, score: 3 });
    assert.equal(response.status, 404, response.text);
    for (const path of ['/v1/survey_responses', '/v1/metrics']) {
      const r = await s.call('GET', `${path}?trend=${theirs}`, A);
      assert.equal(r.status, 422, r.text);
      assert.ok(r.json.errors.trend, r.text);
    }
    assert.deepEqual((await s.call('GET', '/api/v1/answers', B)).json, theirsBefore);
  } finally {
    await s.close();
  }
});

forEachBackend('the same messageId in two workspaces is two messages, each stored on its own workspace\'s profile', async (store) => {
  const s = await startServer(store);
  try {
    const sides = [{ w: s.ws, tag: 'ws' }, { w: s.other, tag: 'other' }];
    const trackEvents = async (w: TestWorkspace, messageId: string) => {
      const profile = await s.call('GET', '/api/v1/profiles?userId=same-user', w.secretKey);
      assert.equal(profile.status, 200, `${w === s.ws ? 'ws' : 'other'}: ${profile.text}`);
      const items = (await s.call('GET', `/api/v1/profiles/${profile.json.id}/timeline?type=track`, w.secretKey)).json.items;
      return { profile: profile.json, events: items.filter((e: any) => e.messageId === messageId) };
    };
    // Segment events: the reply says "stored" before projection, so read each workspace's event back.
    for (const { w, tag } of sides) {
      const r = await s.call('POST', '/v1/track', w.writeKey, { userId: 'same-user', event: 'Shared', messageId: 'shared-message-id', properties: { side: tag } });
      assert.equal(r.status, 200, r.text);
    }
    await s.settle();
    for (const { w, tag } of sides) {
      const { events } = await trackEvents(w, 'shared-message-id');
      assert.deepEqual(events.map((e: any) => [e.name, e.properties.side]), [['Shared', tag]], `${tag}: ${JSON.stringify(events)}`);
    }

    // Answers with one messageId: each workspace gets its own, on its own person.
    const answers = [];
    for (const { w, tag } of sides) {
      const r = await s.call('POST', '/api/v1/answers', w.writeKey, { person: { userId: 'same-user' }, score: tag === 'ws' ? 9 : 2, messageId: 'shared-answer-id' });
      assert.equal(r.status, 201, `${tag}: ${r.text}`);
      assert.equal(r.json.duplicate, false);
      answers.push(r.json.answer);
    }
    for (const [i, { w, tag }] of sides.entries()) {
      const { profile, events } = await trackEvents(w, 'shared-answer-id');
      assert.equal(profile.id, answers[i].profileId);
      assert.deepEqual(events.map((e: any) => e.answer?.id), [answers[i].id], `${tag}: ${JSON.stringify(events)}`);
      assert.equal(profile.computed.latestNps.score, tag === 'ws' ? 9 : 2);
      assert.equal((await s.call('GET', `/api/v1/answers/${answers[i].id}`, w.secretKey)).json.answer.score, tag === 'ws' ? 9 : 2);
    }
    assert.notEqual(answers[0].profileId, answers[1].profileId);
    assert.notEqual(answers[0].id, answers[1].id);
  } finally {
    await s.close();
  }
});

forEachBackend('a saved segment cannot be changed or deleted from another workspace', async (store) => {
  const s = await startServer(store);
  try {
    const B = s.other.secretKey;
    const created = await s.call('POST', '/api/v1/segments', B, { name: 'Detractors', conditions: [{ field: 'latestNpsScore', op: 'lte', value: 6 }] });
    assert.equal(created.status, 201, created.text);
    const id = created.json.segment.id;
    const read = async () => (await s.call('GET', `/api/v1/segments/${id}`, B)).json;
    const before = await read();
    const listed = (await s.call('GET', '/api/v1/segments', B)).json;

    const analyst = await addUser(store, s.ws.id, 'analyst');
    const session = await signIn(s, analyst.email, analyst.password);
    const change = { name: 'Hijacked', conditions: [{ field: 'latestNpsScore', op: 'gte', value: 0 }] };
    const attempts = [
      ['PUT', change], ['PATCH', { name: 'Hijacked' }], ['DELETE', undefined],
    ] as const;
    for (const [method, body] of attempts) {
      const byKey = await s.call(method, `/api/v1/segments/${id}`, s.ws.secretKey, body);
      assert.equal(byKey.status, 404, `${method} with the other workspace's key: ${byKey.text}`);
      const bySession = await session.call(method, `/api/v1/segments/${id}`, body);
      assert.equal(bySession.status, 404, `${method} signed in to the other workspace: ${bySession.text}`);
    }
    assert.deepEqual(await read(), before);
    assert.deepEqual((await s.call('GET', '/api/v1/segments', B)).json, listed);
    assert.equal((await s.call('GET', '/api/v1/segments', s.ws.secretKey)).json.items.length, 0);
    // Its own workspace still can.
    assert.equal((await s.call('PUT', `/api/v1/segments/${id}`, B, change)).status, 200);
    assert.equal((await read()).segment.name, 'Hijacked');
  } finally {
    await s.close();
  }
});
