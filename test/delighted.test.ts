import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { sql } from 'kysely';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../src/http/app.ts';
import { addSuppression, suppressionsFor } from '../src/store/contacts.ts';
import type { Db } from '../src/store/db.ts';
import { backpressureError, type EventWriter } from '../src/store/writer.ts';
import { until } from './helpers/wait.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, workspaceWithKeys, type TestServer } from './helpers/server.ts';
import { startSmtpServer } from './helpers/smtp.ts';

// Sends are picked up within milliseconds.
process.env.ADVOCATE_JOB_POLL_MS = '30';

// The official client, unchanged (CommonJS, no types), pointed at the test server.
const require = createRequire(import.meta.url);
const delighted = require('delighted') as (key: string, options: Record<string, unknown>) => any;
function client(s: TestServer | string, key: string) {
  const url = new URL(typeof s === 'string' ? s : s.url);
  return delighted(key, { host: url.hostname, port: Number(url.port), scheme: 'http', base: '/v1' });
}

/** The client returns Promises/A+ thenables without .catch: this gives the error it rejects with. */
async function failure(thenable: PromiseLike<unknown>): Promise<{ type: string; message: string; retryAfter?: number; body: any }> {
  try {
    await thenable;
  } catch (err) {
    const e = err as { type: string; message: string; retryAfter?: number };
    let body: any = null;
    try {
      body = JSON.parse(e.message);
    } catch {
      /* not JSON */
    }
    return { type: e.type, message: e.message, retryAfter: e.retryAfter, body };
  }
  return assert.fail('expected the call to fail');
}

/** Resources the client materialises carry `client` and `schema`; these are the fields the API sent. */
const plain = (r: any) => JSON.parse(JSON.stringify(r));


const nowS = () => Math.floor(Date.now() / 1000);

async function contactsOf(s: TestServer, profileId: string) {
  return (await s.call('GET', `/api/v1/contacts?profileId=${profileId}&limit=500`, s.ws.secretKey)).json.items as any[];
}

forEachBackend('Delighted API: the official client creates people, schedules surveys that go out by SMTP, pages and cancels', async (store) => {
  const smtp = await startSmtpServer();
  const s = await startServer(store);
  try {
    assert.equal((await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { smtp: smtp.settings() })).status, 200);
    const d = client(s, s.ws.secretKey);

    // Sent now: a new person (201 under the hood), the survey email arrives.
    const before = nowS();
    const ada = plain(await d.person.create({ email: 'Ada@Example.com', name: 'Ada Lovelace', properties: { plan: 'pro', locale: 'en' } }));
    assert.match(ada.id, /^prof_/);
    assert.equal(ada.email, 'ada@example.com');
    assert.equal(ada.name, 'Ada Lovelace');
    assert.deepEqual(ada.properties, { plan: 'pro', locale: 'en' });
    assert.ok(ada.survey_scheduled_at >= before && ada.survey_scheduled_at <= nowS(), JSON.stringify(ada));
    assert.ok(ada.created_at >= before - 1);
    const [mail] = await smtp.waitFor(1);
    assert.deepEqual(mail.envelope.to, ['ada@example.com']);
    assert.equal((await s.call('GET', '/api/v1/profiles?email=ada@example.com', s.ws.secretKey)).json.id, ada.id);
    // The implicit survey: "NPS", made on first use.
    const surveys = await s.call('GET', '/api/v1/surveys', s.ws.secretKey);
    assert.deepEqual(surveys.json.items.map((x: any) => x.name), ['NPS']);
    await until('contact sent', async () => (await contactsOf(s, ada.id)).some((c) => c.status === 'sent'));

    // Asked just now: the fatigue policy says no, so nothing is scheduled (same person, 200).
    const again = await s.call('POST', '/v1/people', s.ws.secretKey, { email: 'ada@example.com' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.id, ada.id);
    assert.equal(again.json.survey_scheduled_at, null);
    assert.equal((await contactsOf(s, ada.id)).find((c) => c.status === 'skipped')?.reason.includes('asked'), true);

    // Delayed by an hour, and not sent at all.
    const bob = plain(await d.person.create({ email: 'bob@example.com', delay: 3600 }));
    assert.ok(Math.abs(bob.survey_scheduled_at - (nowS() + 3600)) <= 5, JSON.stringify(bob));
    const cy = plain(await d.person.create({ email: 'cy@example.com', name: 'Cy', send: false }));
    assert.equal(cy.survey_scheduled_at, null);
    assert.deepEqual(await contactsOf(s, cy.id), []);
    const noSend = await s.call('POST', '/v1/people.json', s.ws.secretKey, { email: 'zed@example.com', channel: 'sms', send: false });
    assert.equal(noSend.status, 201, noSend.text);
    assert.equal((await s.call('DELETE', `/v1/people/${noSend.json.id}`, s.ws.secretKey)).status, 202);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(smtp.messages.length, 1, 'only Ada was emailed');

    // A form body, as `curl -d` sends it: bracketed keys nest, numbers and booleans are read as such.
    const form = await s.call('POST', '/v1/people', s.ws.secretKey, 'phone_number=%2B15555550123&send=false&properties[plan]=basic&__proto__[polluted]=1', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 201, form.text);
    assert.deepEqual(form.json.properties, { plan: 'basic' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const dee = { json: form.json };
    // An anonymous visitor is a profile but not a person a survey can reach: not listed.
    assert.equal((await s.call('POST', '/v1/track', s.ws.writeKey, { anonymousId: 'visitor-1', event: 'Page Viewed' })).status, 200);
    await s.settle();

    // Listing: every person once, in creation order, however the pages fall.
    const listed: any[] = [];
    await d.person.list({ per_page: 2 }).autoPagingEach((p: any) => {
      listed.push(plain(p));
    });
    assert.deepEqual(listed.map((p) => p.id), [ada.id, bob.id, cy.id, dee.json.id]);
    const [lAda, lBob, lCy, lDee] = listed;
    assert.ok(lAda.last_sent_at >= before);
    assert.equal(lAda.next_survey_scheduled_at, null);
    assert.equal(lBob.next_survey_scheduled_at, bob.survey_scheduled_at);
    assert.equal(lBob.last_sent_at, null);
    assert.deepEqual([lCy.name, lCy.email, lDee.phone_number, lDee.email], ['Cy', 'cy@example.com', '+15555550123', null]);
    assert.equal(lAda.properties.plan, 'pro');

    // The Link header is absolute, keeps the query, and the last page has none.
    const first = await s.call('GET', '/v1/people?per_page=3', s.ws.secretKey);
    assert.equal(first.json.length, 3);
    const link = first.headers.get('link');
    const next = /^<([^>]+)>; rel="next"$/.exec(link ?? '')?.[1];
    assert.ok(next?.startsWith(`${s.url}/v1/people?`), String(link));
    assert.equal(new URL(next!).searchParams.get('per_page'), '3');
    const second = await fetch(next!, { headers: { authorization: `Basic ${Buffer.from(`${s.ws.secretKey}:`).toString('base64')}` } });
    assert.deepEqual((await second.json()).map((p: any) => p.id), [dee.json.id]);
    assert.equal(second.headers.get('link'), null);

    // Filters: by email or phone, and by creation time (Unix seconds, inclusive).
    assert.deepEqual((await s.call('GET', '/v1/people?email=BOB@example.com', s.ws.secretKey)).json.map((p: any) => p.id), [bob.id]);
    assert.deepEqual((await s.call('GET', '/v1/people?phone_number=%2B15555550123', s.ws.secretKey)).json.map((p: any) => p.id), [dee.json.id]);
    assert.deepEqual((await s.call('GET', '/v1/people?email=nobody@example.com', s.ws.secretKey)).json, []);
    assert.deepEqual((await s.call('GET', `/v1/people?since=${nowS() + 60}`, s.ws.secretKey)).json, []);
    assert.equal((await s.call('GET', `/v1/people?until=${lAda.created_at}&since=${lAda.created_at}`, s.ws.secretKey)).json.some((p: any) => p.id === ada.id), true);
    const both = await s.call('GET', '/v1/people?email=a@b.c&phone_number=%2B15555550123', s.ws.secretKey);
    assert.equal(both.status, 422);
    assert.equal((await s.call('GET', '/v1/people?page_info=nonsense', s.ws.secretKey)).status, 422);
    assert.equal((await s.call('GET', `/v1/people/email:bob@example.com`, s.ws.secretKey)).json.id, bob.id);

    // Cancelling Bob's pending survey: the contact is cancelled and nothing is scheduled any more.
    assert.deepEqual(plain(await d.surveyRequest.deletePending({ person_email: 'bob@example.com' })), { ok: true });
    assert.deepEqual((await contactsOf(s, bob.id)).map((c) => c.status), ['cancelled']);
    assert.equal((await s.call('GET', `/v1/people/${bob.id}.json`, s.ws.secretKey)).json.next_survey_scheduled_at, null);
    const notThere = await failure(d.surveyRequest.deletePending({ person_email: 'nobody@example.com' }));
    assert.equal(notThere.body.status, 404);
    assert.equal((await s.call('DELETE', '/v1/people/email:bob@example.com/survey_requests/pending.json', s.ws.secretKey)).status, 200);

    // Bad input, in Delighted's 422 shape, field by field.
    const noAddress = await failure(d.person.create({ name: 'Nobody' }));
    assert.equal(noAddress.type, 'ResourceValidationError');
    assert.deepEqual(noAddress.body, { status: 422, message: 'Unprocessable Entity', errors: { email: ["can't be blank"] } });
    const badSms = await s.call('POST', '/v1/people', s.ws.secretKey, { email: 'x@example.com', channel: 'sms' });
    assert.deepEqual(Object.keys(badSms.json.errors), ['phone_number']);
    const notE164 = await s.call('POST', '/v1/people', s.ws.secretKey, { phone_number: '5555550123', send: false });
    assert.deepEqual(Object.keys(notE164.json.errors), ['phone_number']);
    const badDelay = await s.call('POST', '/v1/people', s.ws.secretKey, { email: 'x@example.com', delay: -1 });
    assert.deepEqual(badDelay.json, { status: 422, message: 'Unprocessable Entity', errors: { delay: ['must be greater than or equal to 0'] } });

    // email_update moves the person to a new address; an address someone else has is refused.
    const moved = await s.call('POST', '/v1/people', s.ws.secretKey, { email: 'cy@example.com', email_update: 'cy.new@example.com', send: false });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.id, cy.id);
    assert.equal(moved.json.email, 'cy.new@example.com');
    assert.equal((await s.call('GET', '/v1/people?email=cy.new@example.com', s.ws.secretKey)).json[0].id, cy.id);
    assert.deepEqual((await s.call('GET', '/v1/people?email=cy@example.com', s.ws.secretKey)).json, []);
    const taken = await s.call('POST', '/v1/people', s.ws.secretKey, { email: 'cy.new@example.com', email_update: 'bob@example.com', send: false });
    assert.deepEqual(taken.json.errors, { email_update: ['has already been taken'] });

    // last_sent_at counts as a survey sent elsewhere: the fatigue policy holds the next one back.
    const yesterday = nowS() - 86_400;
    const imported = await s.call('POST', '/v1/people', s.ws.secretKey, { email: 'eve@example.com', last_sent_at: yesterday });
    assert.equal(imported.status, 201, imported.text);
    assert.equal(imported.json.survey_scheduled_at, null);
    assert.equal((await s.call('GET', `/v1/people/${imported.json.id}`, s.ws.secretKey)).json.last_sent_at, yesterday);
    assert.match((await contactsOf(s, imported.json.id)).find((c) => c.status === 'skipped').reason, /asked 1 day ago/);
  } finally {
    await s.close();
    await smtp.close();
  }
});

forEachBackend('Delighted API: survey responses with filters, ordering, expand and paging; metrics match a hand computation', async (store) => {
  const s = await startServer(store);
  try {
    const d = client(s, s.ws.secretKey);
    const [ada, bob, cy] = await Promise.all(['ada', 'bob', 'cy'].map(async (n) => plain(await d.person.create({ email: `${n}@example.com`, name: n, send: false }))));
    const t0 = nowS();
    const day = 86_400;
    const r1 = plain(await d.surveyResponse.create({ person: ada.id, score: 10, comment: 'Love it', created_at: t0 - 3 * day, person_properties: { plan: 'pro' } }));
    const r2 = plain(await d.surveyResponse.create({ person: bob.id, score: 6, created_at: t0 - 2 * day }));
    const r3 = plain(await d.surveyResponse.create({ person: cy.id, score: 8, created_at: t0 - day }));
    const r4 = plain(await d.surveyResponse.create({ person: ada.id, score: 9, comment: '' }));

    assert.deepEqual({ ...r1, permalink: undefined, updated_at: undefined }, {
      id: r1.id, person: ada.id, survey_type: 'nps', score: 10, comment: 'Love it', permalink: undefined, created_at: t0 - 3 * day, updated_at: undefined,
      person_properties: { plan: 'pro' }, notes: [], tags: [], additional_answers: [],
    });
    assert.equal(r1.permalink, `${s.url}/api/v1/answers/${r1.id}`);
    assert.equal(r2.person_properties, null);
    assert.equal(r4.comment, null);
    assert.ok(r4.created_at >= t0 && r4.updated_at >= t0);
    // The answer is an Advocate answer like any other, on the person's profile and on the implicit survey.
    const answer = await s.call('GET', `/api/v1/answers/${r1.id}`, s.ws.secretKey);
    assert.equal(answer.json.answer.profileId, ada.id);
    const survey = (await s.call('GET', '/api/v1/surveys', s.ws.secretKey)).json.items[0];
    assert.equal(answer.json.answer.surveyId, survey.id);

    const ids = (list: any[]) => list.map((r: any) => r.id);
    const all = (q = '') => s.call('GET', `/v1/survey_responses${q}`, s.ws.secretKey).then((r) => {
      assert.equal(r.status, 200, r.text);
      return r.json as any[];
    });
    assert.deepEqual(ids(await all()), [r1.id, r2.id, r3.id, r4.id]);
    assert.deepEqual(ids((await d.surveyResponse.all({ order: 'desc' })).map(plain)), [r4.id, r3.id, r2.id, r1.id]);
    assert.deepEqual(ids(await all(`?since=${t0 - 2 * day}`)), [r2.id, r3.id, r4.id]);
    assert.deepEqual(ids(await all(`?until=${t0 - 2 * day}`)), [r1.id, r2.id]);
    assert.deepEqual(ids(await all(`?since=${t0 - 2 * day}&until=${t0 - day}`)), [r2.id, r3.id]);
    assert.deepEqual(ids(await all(`?person_id=${ada.id}`)), [r1.id, r4.id]);
    assert.deepEqual(ids(await all('?person_email=Bob@Example.com')), [r2.id]);
    assert.deepEqual(await all('?person_email=nobody@example.com'), []);
    assert.deepEqual(await all(`?person_id=${s.other.id}`), []);
    assert.deepEqual(ids(await all('?per_page=2&page=2')), [r3.id, r4.id]);
    assert.deepEqual(await all('?per_page=2&page=3'), []);
    assert.deepEqual(ids(await all(`?updated_since=${t0 - 60}`)), [r1.id, r2.id, r3.id, r4.id]);
    assert.deepEqual(await all(`?updated_until=${t0 - 3600}`), []);
    assert.deepEqual(ids(await all('?order=desc:updated_at')), [r4.id, r3.id, r2.id, r1.id]);
    assert.deepEqual(ids(await all(`?trend=${survey.id}`)), [r1.id, r2.id, r3.id, r4.id]);
    assert.equal((await s.call('GET', '/v1/survey_responses?trend=12345', s.ws.secretKey)).status, 422);
    assert.equal((await s.call('GET', '/v1/survey_responses?order=sideways', s.ws.secretKey)).json.errors.order.length, 1);

    // expand[]=person puts the person inline; the client materialises it.
    const expanded = await d.surveyResponse.all({ 'expand[]': ['person', 'notes'], per_page: 1 });
    assert.equal(expanded.length, 1);
    assert.deepEqual([expanded[0].person.id, expanded[0].person.email, expanded[0].person.name], [ada.id, 'ada@example.com', 'ada']);
    assert.equal(expanded[0].person.last_responded_at, r4.created_at);
    assert.deepEqual(expanded[0].notes, []);
    assert.equal((await s.call('GET', `/v1/survey_responses/${r3.id}.json?expand[]=person`, s.ws.secretKey)).json.person.id, cy.id);
    assert.equal((await s.call('GET', '/v1/survey_responses?expand[]=everything', s.ws.secretKey)).status, 422);

    // Metrics against a hand computation: NPS = %promoters − %detractors, rounded to an integer.
    const hand = (scores: number[]) => {
      const p = scores.filter((x) => x >= 9).length;
      const pa = scores.filter((x) => x === 7 || x === 8).length;
      const de = scores.filter((x) => x <= 6).length;
      const n = scores.length;
      const pct = (k: number) => Math.round((k / n) * 1000) / 10;
      return {
        nps: Math.round(((p - de) / n) * 100), promoter_count: p, promoter_percent: pct(p), passive_count: pa, passive_percent: pct(pa),
        detractor_count: de, detractor_percent: pct(de), response_count: n,
      };
    };
    assert.deepEqual(plain(await d.metrics.retrieve()), hand([10, 6, 8, 9]));
    assert.deepEqual(hand([10, 6, 8, 9]), { nps: 25, promoter_count: 2, promoter_percent: 50, passive_count: 1, passive_percent: 25, detractor_count: 1, detractor_percent: 25, response_count: 4 });
    const recent = plain(await d.metrics.retrieve({ since: t0 - 2 * day }));
    assert.deepEqual(recent, hand([6, 8, 9]));
    assert.deepEqual([recent.nps, recent.promoter_percent], [0, 33.3]);
    assert.deepEqual(plain(await d.metrics.retrieve({ since: new Date((t0 - 3 * day) * 1000), until: t0 - 2 * day })), hand([10, 6]));
    assert.deepEqual((await s.call('GET', `/v1/metrics.json?until=${t0 - 3 * day - 1}`, s.ws.secretKey)).json, {
      nps: null, promoter_count: 0, promoter_percent: 0, passive_count: 0, passive_percent: 0, detractor_count: 0, detractor_percent: 0, response_count: 0,
    });
    assert.equal((await s.call('GET', '/v1/metrics?groups[]=core', s.ws.secretKey)).json.response_count, 4);
    assert.deepEqual(Object.keys((await s.call('GET', '/v1/metrics?groups[]=email', s.ws.secretKey)).json.errors), ['groups']);
    assert.deepEqual((await s.call('GET', `/v1/metrics?trend=${survey.id}`, s.ws.secretKey)).json, hand([10, 6, 8, 9]));

    // Bad input and other people's data.
    const eleven = await failure(d.surveyResponse.create({ person: ada.id, score: 11 }));
    assert.equal(eleven.type, 'ResourceValidationError');
    assert.deepEqual(eleven.body, { status: 422, message: 'Unprocessable Entity', errors: { score: ['must be less than or equal to 10'] } });
    const noScore = await s.call('POST', '/v1/survey_responses.json', s.ws.secretKey, { person: ada.id });
    assert.deepEqual(noScore.json.errors, { score: ["can't be blank"] });
    const textScore = await s.call('POST', '/v1/survey_responses', s.ws.secretKey, { person: ada.id, score: '9' });
    assert.deepEqual(Object.keys(textScore.json.errors), ['score']);
    const unknown = await failure(d.surveyResponse.create({ person: 'prof_nobody', score: 9 }));
    assert.equal(unknown.body.status, 404);
    const theirs = plain(await client(s, s.other.secretKey).person.create({ email: 'theirs@example.com', send: false }));
    const cross = await s.call('POST', '/v1/survey_responses', s.ws.secretKey, { person: theirs.id, score: 9 });
    assert.equal(cross.status, 404, cross.text);
    assert.equal((await s.call('GET', `/v1/people/${theirs.id}`, s.ws.secretKey)).status, 404);
    assert.equal((await s.call('DELETE', `/v1/people/${theirs.id}`, s.ws.secretKey)).status, 404);
    assert.equal((await s.call('GET', `/v1/people/${theirs.id}`, s.other.secretKey)).status, 200);
    assert.equal((await s.call('GET', `/v1/survey_responses/${r1.id}`, s.other.secretKey)).status, 404);
    assert.equal((await all()).length, 4, 'nothing was added by the refused calls');

    // Keys: a public write key and an unknown key are not Delighted API keys (401, AuthenticationError).
    const publicKey = await failure(client(s, s.ws.writeKey).metrics.retrieve());
    assert.equal(publicKey.type, 'AuthenticationError');
    assert.equal(publicKey.body.status, 401);
    assert.equal((await failure(client(s, 'adv_sk_nottherightkey').person.create({ email: 'x@example.com' }))).type, 'AuthenticationError');
    assert.deepEqual(Object.keys((await s.call('GET', '/v1/metrics', null)).json), ['status', 'message']);
  } finally {
    await s.close();
  }
});

forEachBackend('Delighted API: unsubscribes and bounces (a 550 from the SMTP server) are listed as Delighted lists them', async (store) => {
  const smtp = await startSmtpServer({ mode: 'reject-recipient' });
  const s = await startServer(store);
  try {
    await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { smtp: smtp.settings() });
    const d = client(s, s.ws.secretKey);
    const before = nowS();

    const gone = plain(await d.person.create({ email: 'gone@example.com', name: 'Gone' }));
    assert.ok(gone.survey_scheduled_at != null);
    const bounces = await until('bounce listed', async () => {
      const list = (await d.bounce.all()).map(plain);
      return list.length ? list : null;
    });
    assert.equal(bounces.length, 1);
    assert.deepEqual({ ...bounces[0], bounced_at: undefined }, { person_id: gone.id, email: 'gone@example.com', phone_number: null, name: 'Gone', bounced_at: undefined });
    assert.ok(bounces[0].bounced_at >= before && bounces[0].bounced_at <= nowS());
    assert.deepEqual(await d.bounce.all({ since: nowS() + 10 }), []);

    // Unsubscribing: listed, and the person is not surveyed again.
    smtp.mode = 'accept';
    const pat = plain(await d.person.create({ email: 'pat@example.com', name: 'Pat', send: false }));
    assert.deepEqual(plain(await d.unsubscribe.create({ person_email: 'Pat@Example.com' })), { ok: true });
    assert.deepEqual(plain(await d.unsubscribe.create({ person_email: 'pat@example.com' })), { ok: true }, 'idempotent');
    await d.unsubscribe.create({ person_email: 'stranger@example.com' });
    const unsubs = (await d.unsubscribe.all()).map(plain);
    assert.deepEqual(unsubs.map((u: any) => [u.person_id, u.email, u.name]), [[pat.id, 'pat@example.com', 'Pat'], [null, 'stranger@example.com', null]]);
    assert.ok(unsubs[0].unsubscribed_at >= before);
    assert.deepEqual((await d.unsubscribe.all({ per_page: 1, page: 2 })).map((u: any) => u.email), ['stranger@example.com']);
    assert.deepEqual(await d.unsubscribe.all({ until: before - 1 }), []);
    const again = plain(await d.person.create({ email: 'pat@example.com' }));
    assert.equal(again.survey_scheduled_at, null);
    assert.match((await contactsOf(s, pat.id))[0].reason, /unsubscribed/);
    // A stranger who unsubscribed before ever being added is recognised when added later.
    const stranger = plain(await d.person.create({ email: 'stranger@example.com' }));
    assert.equal(stranger.survey_scheduled_at, null);
    assert.equal((await d.unsubscribe.all()).map(plain)[1].person_id, stranger.id);

    const blank = await failure(d.unsubscribe.create({ person_email: '' }));
    assert.deepEqual(blank.body.errors, { person_email: ["can't be blank"] });
    assert.deepEqual((await s.call('POST', '/v1/unsubscribes.json', s.ws.secretKey, {})).json.errors, { person_email: ["can't be blank"] });
    assert.deepEqual(await client(s, s.other.secretKey).unsubscribe.all(), []);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(smtp.messages.length, 0);
  } finally {
    await s.close();
    await smtp.close();
  }
});

/** Rows about a person, per table: by profile id, and by address where a table keeps addresses. */
async function footprint(db: Db, ws: string, profileIds: string[], emails: string[], phones: string[], contactIds: string[]) {
  const count = async (q: { executeTakeFirstOrThrow(): Promise<{ n: unknown }> }) => Number((await q.executeTakeFirstOrThrow()).n);
  const n = sql<number>`count(*)`.as('n');
  // PostgreSQL refuses `in ()`: an empty list becomes one value that matches nothing.
  const some = (list: string[]) => (list.length ? list : ['-']);
  [profileIds, emails, phones] = [some(profileIds), some(emails), some(phones)];
  const addresses = [...emails, ...phones];
  return {
    profiles: await count(db.selectFrom('profiles').select(n).where('workspace_id', '=', ws).where((eb) => eb.or([eb('id', 'in', profileIds), eb('merged_into', 'in', profileIds)]))),
    identities: await count(db.selectFrom('identities').select(n).where('workspace_id', '=', ws).where((eb) => eb.or([eb('profile_id', 'in', profileIds), eb('value', 'in', addresses)]))),
    events: await count(db.selectFrom('events').select(n).where('workspace_id', '=', ws).where((eb) => eb.or([eb('profile_id', 'in', profileIds), eb('email', 'in', emails), eb('phone', 'in', phones)]))),
    answers: await count(db.selectFrom('answers').select(n).where('workspace_id', '=', ws).where('profile_id', 'in', profileIds)),
    trait_changes: await count(db.selectFrom('trait_changes').select(n).where('workspace_id', '=', ws).where('profile_id', 'in', profileIds)),
    merges: await count(db.selectFrom('merges').select(n).where('workspace_id', '=', ws).where((eb) => eb.or([eb('survivor_id', 'in', profileIds), eb('merged_id', 'in', profileIds)]))),
    contacts: await count(db.selectFrom('contacts').select(n).where('workspace_id', '=', ws).where((eb) => eb.or([eb('profile_id', 'in', profileIds), eb('email', 'in', emails), eb('phone', 'in', phones)]))),
    jobs: await count(db.selectFrom('jobs').select(n).where('dedupe_key', 'in', some(contactIds.map((c) => `send:${c}`)))),
    profile_groups: await count(db.selectFrom('profile_groups').select(n).where('workspace_id', '=', ws).where('profile_id', 'in', profileIds)),
    bounces: await count(db.selectFrom('suppressions').select(n).where('workspace_id', '=', ws).where('kind', '=', 'bounce').where((eb) => eb.or([eb('profile_id', 'in', profileIds), eb('address', 'in', addresses)]))),
    unsubscribes_linked: await count(db.selectFrom('suppressions').select(n).where('workspace_id', '=', ws).where('kind', '=', 'unsubscribe').where('profile_id', 'in', profileIds)),
    inbox: await count(db.selectFrom('inbox').select(n).where('workspace_id', '=', ws)),
  };
}

forEachBackend('Delighted API: deleting a person removes them everywhere (merged profiles included); the opt-out survives', async (store) => {
  const s = await startServer(store);
  try {
    const d = client(s, s.ws.secretKey);
    const db = store.db;
    // Eve: a Delighted person with a pending survey, then Segment data, a merge, a group, an answer,
    // an unsubscribe and a bounce. Frank gets the same, and must keep all of it.
    const people: Record<string, { id: string; email: string; phone: string; contactIds: string[]; ids: string[] }> = {};
    for (const [name, phone] of [['eve', '+15555550101'], ['frank', '+15555550102']] as const) {
      const email = `${name}@example.com`;
      const p = plain(await d.person.create({ email, phone_number: phone, name, delay: 3600, properties: { plan: 'pro' } }));
      assert.ok(p.survey_scheduled_at);
      const seg = (type: string, body: object) => s.call('POST', `/v1/${type}`, s.ws.writeKey, body);
      assert.equal((await seg('track', { anonymousId: `anon-${name}`, event: 'Product Viewed', properties: { sku: 'x' } })).status, 200);
      await s.settle();
      assert.equal((await seg('identify', { userId: `u-${name}`, anonymousId: `anon-${name}`, traits: { email, plan: 'enterprise' } })).status, 200);
      await seg('group', { userId: `u-${name}`, groupId: `g-${name}`, traits: { name: 'Acme' } });
      await seg('track', { userId: `u-${name}`, event: 'Order Completed', properties: { revenue: 42 } });
      await s.settle();
      await d.surveyResponse.create({ person: p.id, score: 3, comment: 'Slow delivery' });
      await d.unsubscribe.create({ person_email: email });
      await addSuppression(db, s.ws.id, { kind: 'bounce', channel: 'sms', address: phone, profileId: p.id, source: 'test', detail: '550' });
      const merged = await db.selectFrom('profiles').select('id').where('merged_into', '=', p.id).execute();
      assert.equal(merged.length, 1, 'the anonymous visitor was merged into the person');
      const contactIds = (await contactsOf(s, p.id)).map((c) => c.id);
      people[name] = { id: p.id, email, phone, contactIds, ids: [p.id, merged[0].id] };
    }
    const { eve, frank } = people;
    const footprintOf = (p: typeof eve) => footprint(db, s.ws.id, p.ids, [p.email], [p.phone], p.contactIds);
    const before = await footprintOf(eve);
    for (const [table, count] of Object.entries(before)) {
      if (table !== 'inbox') assert.ok(count > 0, `${table}: the test gives Eve rows to delete (${JSON.stringify(before)})`);
    }
    const frankBefore = await footprintOf(frank);
    assert.deepEqual(frankBefore, before, 'Frank has as much as Eve');

    // Another workspace cannot delete her, not even by id.
    const other = client(s, s.other.secretKey);
    assert.equal((await failure(other.person.delete({ id: eve.id }))).body.status, 404);
    assert.equal((await failure(other.person.delete({ email: eve.email }))).body.status, 404);

    // Deleted by email with the official client (email:<address> in the path).
    assert.deepEqual(await d.person.delete({ email: eve.email }), { ok: true });
    assert.deepEqual(await footprintOf(eve), {
      profiles: 0, identities: 0, events: 0, answers: 0, trait_changes: 0, merges: 0, contacts: 0, jobs: 0, profile_groups: 0, bounces: 0, unsubscribes_linked: 0, inbox: 0,
    });
    // What stays: the unsubscribe, without a person and with the address only as a keyed hash, so the opt-out survives.
    assert.deepEqual(await db.selectFrom('suppressions').selectAll().where('workspace_id', '=', s.ws.id).where('address', '=', eve.email).execute(), []);
    const kept = await suppressionsFor(db, s.ws.id, null, [eve.email]);
    assert.deepEqual(kept.map((k) => [k.kind, k.address]), [['unsubscribe', eve.email]]);
    assert.deepEqual(await footprintOf(frank), frankBefore, 'Frank is untouched');

    for (const path of [`/v1/people/${eve.id}`, `/api/v1/profiles/${eve.id}`, `/api/v1/profiles/${eve.ids[1]}`, `/api/v1/profiles?userId=u-${'eve'}`]) {
      assert.equal((await s.call('GET', path, s.ws.secretKey)).status, 404, path);
    }
    assert.deepEqual((await s.call('GET', `/v1/survey_responses?person_email=${eve.email}`, s.ws.secretKey)).json, []);
    assert.equal((await s.call('GET', '/v1/survey_responses', s.ws.secretKey)).json.length, 1);
    assert.equal((await d.metrics.retrieve()).response_count, 1);
    assert.equal((await failure(d.person.delete({ email: eve.email }))).body.status, 404, 'gone already');

    // Added again later, she is a new person whom the kept unsubscribe protects.
    const back = plain(await d.person.create({ email: eve.email }));
    assert.notEqual(back.id, eve.id);
    assert.equal(back.survey_scheduled_at, null);

    // By phone number and by id, also with .json paths.
    const gil = plain(await d.person.create({ phone_number: '+15555550103', send: false }));
    assert.deepEqual(await d.person.delete({ phone_number: '+15555550103' }), { ok: true });
    assert.equal((await s.call('GET', `/v1/people/${gil.id}`, s.ws.secretKey)).status, 404);
    assert.equal((await s.call('DELETE', `/v1/people/${frank.id}.json`, s.ws.secretKey)).status, 202);
    assert.equal((await footprintOf(frank)).profiles, 0);
    assert.equal((await s.call('DELETE', '/v1/people/nobody', s.ws.secretKey)).status, 404);

    // Deleted right after a Segment identify: the accepted events land first, so nothing comes back.
    assert.equal((await s.call('POST', '/v1/identify', s.ws.writeKey, { userId: 'u-hal', traits: { email: 'hal@example.com', plan: 'pro' } })).status, 200);
    assert.equal((await s.call('DELETE', '/v1/people/email:hal@example.com', s.ws.secretKey)).status, 202);
    await s.settle();
    assert.equal((await s.call('GET', '/api/v1/profiles?userId=u-hal', s.ws.secretKey)).status, 404);
    assert.equal((await footprint(db, s.ws.id, [], ['hal@example.com'], [], [])).identities, 0);
  } finally {
    await s.close();
  }
});

forEachBackend('Delighted API: when ingestion is too far behind, 429 with Retry-After reaches the client', async (store) => {
  const ws = await workspaceWithKeys(store, 'Busy');
  const refuse = () => Promise.reject(backpressureError(6_000_000));
  const writer: EventWriter = {
    write: refuse, acceptBatch: refuse, apply: refuse, settled: async () => {}, drain: async () => {}, close: async () => {}, pending: async () => 6_000_000, onProjected: null,
  };
  const { app } = await buildApp({ store, writer, jobs: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const err = await failure(client(url, ws.secretKey).person.create({ email: 'ada@example.com', send: false }));
    assert.equal(err.type, 'TooManyRequestsError');
    assert.equal(err.retryAfter, 1);
    assert.equal(err.body.status, 429);
  } finally {
    await app.close();
  }
});
