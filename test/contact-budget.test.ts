import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import test, { describe } from 'node:test';
import { decide, DEFAULT_CONTACT_POLICY, type FatigueInput, type PastContact, type Suppression } from '../src/domain/fatigue.ts';
import { newId } from '../src/domain/ids.ts';
import { buildApp } from '../src/http/app.ts';
import { insertContact } from '../src/store/contacts.ts';
import { claimContact, type ClaimResult } from '../src/store/contact-claims.ts';
import { openStore, type Store, type Tx } from '../src/store/db.ts';
import { getSurvey } from '../src/store/surveys.ts';
import { checkEligibility, resolvePerson } from '../src/surveys/eligibility.ts';
import type { EventWriter } from '../src/store/writer.ts';
import { forEachBackend } from './helpers/backends.ts';
import { keyedCaller, startServer, workspaceWithKeys, type Call, type TestServer } from './helpers/server.ts';
import { startSmsProvider } from './helpers/sms-provider.ts';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp.ts';
import { until } from './helpers/wait.ts';

process.env.ADVOCATE_JOB_POLL_MS = '20';
process.env.ADVOCATE_JOB_BACKOFF_MS = '30';
process.env.ADVOCATE_CLOCK_MS = '3600000';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// The policy itself (domain/fatigue.ts): the window's edges, what counts, which channel a bounce stops.

describe('fatigue policy: decide', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  const survey = { id: 'srv_this', recontactDays: 90 };
  const sent = (agoMs: number, over: Partial<PastContact> = {}): PastContact => ({ surveyId: 'srv_other', channel: 'email', at: now - agoMs, kind: 'asked', ...over });
  const run = (over: Partial<FatigueInput>) => decide({ policy: DEFAULT_CONTACT_POLICY, survey, channel: 'email', history: [], suppressions: [], now, ...over });

  test('the window is 90 days to the minute: 90 days + 1 minute ago frees the person, 89 days 23 hours ago does not', () => {
    assert.deepEqual(run({ history: [sent(90 * DAY + MINUTE)] }), { ask: true });
    assert.deepEqual(run({ history: [sent(90 * DAY)] }), { ask: true }, 'exactly 90 days ago is outside the last 90 days');
    const blocked = run({ history: [sent(89 * DAY + 23 * HOUR)] });
    assert.equal(blocked.ask, false);
    assert.equal(!blocked.ask && blocked.code, 'contact_budget');
    assert.equal(!blocked.ask && blocked.nextEligibleAt, now - (89 * DAY + 23 * HOUR) + 90 * DAY, 'free again exactly 90 days after that contact');
    assert.match(!blocked.ask ? blocked.reason : '', /asked 89 days ago via email \(limit: 1 survey per 90 days\)/);
    // Any other window has the same edges.
    const monthly = { maxSurveys: 1, perDays: 30 };
    assert.deepEqual(run({ policy: monthly, history: [sent(30 * DAY + MINUTE)] }), { ask: true });
    assert.equal(run({ policy: monthly, history: [sent(29 * DAY + 23 * HOUR)] }).ask, false);
  });

  test('contacts and answers older than the window do not count, however many there are', () => {
    const old = [sent(91 * DAY), sent(120 * DAY, { kind: 'answered', channel: 'web' }), sent(200 * DAY, { channel: 'sms' }), sent(365 * DAY)];
    assert.deepEqual(run({ history: old }), { ask: true });
    // Two a quarter: one recent contact plus old ones leaves a slot.
    assert.deepEqual(run({ policy: { maxSurveys: 2, perDays: 90 }, history: [sent(10 * DAY), ...old] }), { ask: true });
    const full = run({ policy: { maxSurveys: 2, perDays: 90 }, history: [sent(10 * DAY), sent(80 * DAY), ...old] });
    assert.equal(!full.ask && full.nextEligibleAt, now - 80 * DAY + 90 * DAY, 'the oldest contact inside the window frees the slot');
  });

  test('a contact stamped after now (another process, a clock ahead) still counts', () => {
    assert.equal(run({ history: [sent(-50)] }).ask, false);
  });

  test('a bounce stops only its own channel; an unsubscribe stops every channel', () => {
    const bounce = (channel: string, address: string): Suppression => ({ kind: 'bounce', channel, address, at: now - DAY, source: `${channel} delivery` });
    const emailBounce = [bounce('email', 'ada@example.com')];
    assert.equal(run({ channel: 'email', suppressions: emailBounce }).ask, false);
    assert.deepEqual(run({ channel: 'sms', suppressions: emailBounce }), { ask: true }, 'an email bounce must not stop a text');
    assert.deepEqual(run({ channel: 'web', suppressions: emailBounce }), { ask: true });
    const smsBounce = [bounce('sms', '+15555550100')];
    assert.equal(run({ channel: 'sms', suppressions: smsBounce }).ask, false);
    assert.deepEqual(run({ channel: 'email', suppressions: smsBounce }), { ask: true }, 'an SMS bounce must not stop an email');
    const unsub: Suppression[] = [{ kind: 'unsubscribe', channel: 'sms', address: '+15555550100', at: now - DAY, source: 'replied STOP' }];
    for (const channel of ['email', 'sms', 'web']) assert.equal(run({ channel, suppressions: unsub }).ask, false, channel);
  });
});

// ---------------------------------------------------------------------------------------------
// The history the policy reads (store/contacts.ts), on both backends, through the eligibility API.

async function profileIdOf(s: TestServer, userId: string, traits: Record<string, unknown> = {}): Promise<string> {
  assert.equal((await s.call('POST', '/v1/identify', s.ws.writeKey, { userId, traits })).status, 200);
  const p = await s.call('GET', `/api/v1/profiles?userId=${userId}`, s.ws.secretKey);
  assert.equal(p.status, 200, p.text);
  return p.json.id;
}

/** A contact as a send leaves it: made at `createdAt`, sent at `contactedAt`. */
async function pastContact(s: TestServer, profileId: string, surveyId: string, status: 'sent' | 'failed', createdAt: number, contactedAt: number | null, channel = 'email') {
  const ok = await insertContact(s.store.db, {
    id: newId('con', createdAt), workspace_id: s.ws.id, survey_id: surveyId, survey_version: 1, profile_id: profileId, channel, status, reason: 'api',
    user_id: null, anonymous_id: null, email: null, phone: null, short_code: null, properties: '{}', scheduled_at: contactedAt, contacted_at: contactedAt,
    answered_at: null, answer_id: null, error: status === 'failed' ? '550 mailbox unavailable' : null, attempts: 1, created_at: createdAt, updated_at: createdAt,
  });
  assert.ok(ok);
}

forEachBackend('contact budget: the window counts contacts and answers by when they asked, to the minute', async (store) => {
  const s = await startServer(store);
  try {
    const mk = async (body: Record<string, unknown>) => (await s.call('POST', '/api/v1/surveys', s.ws.secretKey, body)).json.survey.id as string;
    // This survey waits a year before asking anyone again, so the history read reaches back a year:
    // the 90-day window itself must leave out what is older.
    const surveyId = await mk({ name: 'Relationship', recontactDays: 365 });
    const otherId = await mk({ name: 'Post-purchase' });
    const eligible = (userId: string, survey = surveyId) => s.call('GET', `/api/v1/eligibility?surveyId=${survey}&channel=email&userId=${userId}`, s.ws.secretKey);
    const now = Date.now();

    const cases: Array<[string, number, boolean]> = [
      ['sent 90 days and 1 minute ago', 90 * DAY + MINUTE, true],
      ['sent 89 days 23 hours ago', 89 * DAY + 23 * HOUR, false],
      ['sent 120 days ago', 120 * DAY, true],
      ['sent 300 days ago', 300 * DAY, true],
    ];
    for (const [label, ago, ask] of cases) {
      const userId = `u-${ago}`;
      const profileId = await profileIdOf(s, userId, { email: `${userId}@example.com` });
      await pastContact(s, profileId, otherId, 'sent', now - ago, now - ago);
      const e = await eligible(userId);
      assert.equal(e.json.ask, ask, `${label}: ${e.text}`);
      if (!ask) {
        assert.equal(e.json.code, 'contact_budget');
        assert.equal(Date.parse(e.json.nextEligibleAt), now - ago + 90 * DAY, `${label}: free again 90 days after it`);
      }
    }

    // Created 100 days ago, sent (after its delay) 10 days ago: it asked 10 days ago, also for a
    // survey whose own look-back is no longer than the window.
    const delayed = await profileIdOf(s, 'u-delayed', { email: 'delayed@example.com' });
    await pastContact(s, delayed, surveyId, 'sent', now - 100 * DAY, now - 10 * DAY);
    const d = await eligible('u-delayed', otherId);
    assert.equal(d.json.code, 'contact_budget', d.text);
    assert.match(d.json.reason, /asked 10 days ago via email/);

    // A failed send asked nobody.
    const failed = await profileIdOf(s, 'u-failed', { email: 'failed@example.com' });
    await pastContact(s, failed, otherId, 'failed', now - 5 * DAY, null);
    assert.equal((await eligible('u-failed')).json.ask, true);

    // Answers count by when they were given: 95 days ago is outside, 85 days ago inside.
    for (const [userId, ago, ask] of [['a-95', 95, true], ['a-85', 85, false]] as const) {
      const r = await s.call('POST', '/api/v1/answers', s.ws.secretKey, { person: { userId, email: `${userId}@example.com` }, score: 8, channel: 'web', surveyId: otherId, timestamp: new Date(now - ago * DAY).toISOString() });
      assert.equal(r.status, 201, r.text);
      await s.settle();
      const e = await eligible(userId);
      assert.equal(e.json.ask, ask, `answered ${ago} days ago: ${e.text}`);
      if (!ask) assert.match(e.json.reason, /answered 85 days ago via web/);
    }
  } finally {
    await s.close();
  }
});

// ---------------------------------------------------------------------------------------------
// The claim itself (store/contact-claims.ts): two claims for one person, interleaved at the worst
// moment, as two processes' would be: the second starts after the first has read the history and
// before it writes. On SQLite the second commits first (the first must notice, and read again); on
// PostgreSQL the second must wait for the first's lock.

forEachBackend('contact claims: two claims for one person, interleaved, grant exactly one', async (store) => {
  const s = await startServer(store);
  const other = store.backend === 'postgres' ? openStore({ url: store.location }) : openStore({ url: store.location, file: store.location });
  try {
    const surveyId = (await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'NPS' })).json.survey.id;
    const profileId = await profileIdOf(s, 'claimed', { email: 'claimed@example.com' });
    const ids = [newId('con'), newId('con')];
    for (const id of ids) {
      assert.ok(await insertContact(store.db, {
        id, workspace_id: s.ws.id, survey_id: surveyId, survey_version: 1, profile_id: profileId, channel: 'email', status: 'scheduled', reason: 'api',
        user_id: null, anonymous_id: null, email: 'claimed@example.com', phone: null, short_code: null, properties: '{}', scheduled_at: Date.now(), contacted_at: null,
        answered_at: null, answer_id: null, error: null, attempts: 0, created_at: Date.now(), updated_at: Date.now(),
      }));
    }
    const survey = (await getSurvey(store.db, s.ws.id, surveyId))!;
    const person = await resolvePerson(store.db, s.ws.id, { profileId });
    const refusal = async (tx: Tx, now: number) => {
      const d = await checkEligibility(tx, s.ws.id, person, survey, { channel: 'email', now });
      return d.ask ? null : d.reason;
    };
    let second: Promise<ClaimResult> | null = null;
    const first = claimContact(store.db, s.ws.id, ids[0], profileId, async (tx, now) => {
      // The first has read the history and found the person free; before it writes, the second claims.
      const verdict = await refusal(tx, now);
      if (!second) {
        second = claimContact(other.db, s.ws.id, ids[1], profileId, refusal);
        if (store.backend === 'sqlite') await second;
        else await new Promise((r) => setTimeout(r, 200));
      }
      return verdict;
    });
    const results = [await first, await second!];
    assert.equal(results.filter((r) => r.claimed).length, 1, JSON.stringify(results));
    const refused = results.find((r) => !r.claimed) as Extract<ClaimResult, { claimed: false }>;
    assert.match(refused.reason ?? '', /not asked: asked just now via email \(limit: 1 survey per 90 days\)/);
    const rows = await store.db.selectFrom('contacts').select(['id', 'status', 'contacted_at']).where('id', 'in', ids).execute();
    assert.deepEqual(rows.map((r) => r.status).sort(), ['sending', 'skipped']);
    assert.ok(rows.find((r) => r.status === 'sending')!.contacted_at, 'a claim is stamped with when it asked');

    // A contact no longer waiting (here: the one just claimed) is not claimed again.
    const winner = rows.find((r) => r.status === 'sending')!.id;
    assert.deepEqual(await claimContact(store.db, s.ws.id, winner, profileId, async () => null), { claimed: false, reason: null });
  } finally {
    await other.close();
    await s.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Channels: a bounce or a failure on one channel leaves the others, with real SMTP and SMS servers.

async function contactOf(s: TestServer, contactId: string) {
  const list = await s.call('GET', '/api/v1/contacts?limit=500', s.ws.secretKey);
  return list.json.items.find((c: { id: string }) => c.id === contactId);
}

async function sendOne(s: TestServer, surveyId: string, channel: 'email' | 'sms', person: Record<string, string>): Promise<string> {
  const r = await s.call('POST', `/api/v1/surveys/${surveyId}/send`, s.ws.secretKey, { channel, people: [person] });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.results[0].status, 'scheduled', r.text);
  return r.json.results[0].contactId;
}

const statusOf = (s: TestServer, id: string, status: string) => until(`contact ${status}`, async () => ((await contactOf(s, id))?.status === status ? contactOf(s, id) : null), 15_000);

forEachBackend('contact budget: a bounce or failure on one channel does not stop the other', async (store) => {
  const smtp = await startSmtpServer({ mode: 'reject-recipient' });
  const sms = await startSmsProvider();
  const s = await startServer(store);
  try {
    await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { smtp: smtp.settings(), sms: sms.settings() });
    const surveyId = (await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'NPS' })).json.survey.id;
    const eligible = (userId: string, channel: string) => s.call('GET', `/api/v1/eligibility?surveyId=${surveyId}&channel=${channel}&userId=${userId}`, s.ws.secretKey);

    // Ada's email bounces: email is off for her, a text still goes out.
    await s.call('POST', '/v1/identify', s.ws.writeKey, { userId: 'ada', traits: { email: 'ada@example.com', phone: '+15555550101' } });
    const bounced = await statusOf(s, await sendOne(s, surveyId, 'email', { userId: 'ada', email: 'ada@example.com' }), 'failed');
    assert.match(bounced.error, /550/);
    assert.equal((await eligible('ada', 'email')).json.code, 'bounced');
    assert.equal((await eligible('ada', 'sms')).json.ask, true, 'an email bounce leaves SMS');
    const texted = await sendOne(s, surveyId, 'sms', { userId: 'ada', phone: '+15555550101' });
    await statusOf(s, texted, 'sent');
    assert.deepEqual(sms.messages.map((m) => m.to), ['+15555550101']);

    // Bob's number is invalid (an SMS bounce): SMS is off for him, an email still goes out.
    smtp.mode = 'accept';
    sms.mode = 'invalid-number';
    await s.call('POST', '/v1/identify', s.ws.writeKey, { userId: 'bob', traits: { email: 'bob@example.com', phone: '+15555550102' } });
    await statusOf(s, await sendOne(s, surveyId, 'sms', { userId: 'bob', phone: '+15555550102' }), 'failed');
    assert.equal((await eligible('bob', 'sms')).json.code, 'bounced');
    assert.equal((await eligible('bob', 'email')).json.ask, true, 'an SMS bounce leaves email');
    await statusOf(s, await sendOne(s, surveyId, 'email', { userId: 'bob', email: 'bob@example.com' }), 'sent');

    // Cy's texts fail until the retries give up (the provider is down): that asked nobody, so email may.
    sms.mode = 'fail-500';
    await s.call('POST', '/v1/identify', s.ws.writeKey, { userId: 'cy', traits: { email: 'cy@example.com', phone: '+15555550103' } });
    const down = await statusOf(s, await sendOne(s, surveyId, 'sms', { userId: 'cy', phone: '+15555550103' }), 'failed');
    assert.equal(down.attempts, 5);
    assert.equal((await eligible('cy', 'email')).json.ask, true, 'a failed text leaves email');
    await statusOf(s, await sendOne(s, surveyId, 'email', { userId: 'cy', email: 'cy@example.com' }), 'sent');

    assert.deepEqual(smtp.messages.map((m) => m.envelope.to[0]).sort(), ['bob@example.com', 'cy@example.com']);
    assert.deepEqual(sms.messages.map((m) => m.to), ['+15555550101'], 'no text reached Bob or Cy');
    // Once asked, by whichever channel, the budget holds on all of them.
    for (const [userId, channel] of [['ada', 'email'], ['bob', 'sms'], ['cy', 'sms']]) {
      assert.match((await eligible(userId, 'web')).json.reason, /limit: 1 survey per 90 days/, `${userId} after ${channel}`);
    }
  } finally {
    await s.close();
    await smtp.close();
    await sms.close();
  }
});

// ---------------------------------------------------------------------------------------------
// The race: sends and audience runs at the same moment, in two app instances over one database.

/** The race is probabilistic: enough rounds that the unguarded check-then-send doubles up every run. */
const ROUNDS = 5;
const PEOPLE = 20;

interface Instance {
  call: Call;
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Two app instances over one database, each with its own outbox, as two processes would be. On
 * PostgreSQL each has a pool and a writer of its own; on SQLite they share the connection and the
 * writer (two connections in one process would block each other's event loop), so the race is
 * between the two outboxes' jobs, interleaved at every await as two processes' jobs would be.
 */
async function twoInstances(store: Store): Promise<{ a: Instance; b: Instance; second: Store }> {
  const second = store.backend === 'postgres' ? openStore({ url: store.location }) : store;
  const start = async (st: Store, shared?: EventWriter): Promise<Instance & { writer: EventWriter }> => {
    const { app, services: { writer } } = await buildApp({ store: st, writer: shared });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    return { writer, call: keyedCaller(url, writer), settle: () => writer.settled(), close: () => app.close() };
  };
  const a = await start(store);
  const b = await start(second, second === store ? borrowed(a.writer) : undefined);
  return { a, b, second };
}

/** The writer of another instance, which that instance drains and closes. */
function borrowed(writer: EventWriter): EventWriter {
  return new Proxy(writer, {
    get(target, key) {
      if (key === 'drain' || key === 'close') return async () => {};
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

type ContactView = { id: string; email: string | null; status: string; reason: string | null };

async function contactsOf(call: Call, key: string, surveyId: string): Promise<ContactView[]> {
  const r = await call('GET', `/api/v1/contacts?surveyId=${surveyId}&limit=500`, key);
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}

/** Waits until every address has at least `atLeast` contacts, none still to be sent, then counts mails per address. */
async function mailsPer(smtp: TestSmtpServer, call: Call, key: string, surveyId: string, emails: string[], atLeast: number) {
  const wanted = new Set(emails);
  await until('every contact settled', async () => {
    const mine = (await contactsOf(call, key, surveyId)).filter((c) => c.email && wanted.has(c.email));
    return mine.length >= emails.length * atLeast && mine.every((c) => c.status !== 'scheduled' && c.status !== 'sending');
  }, 30_000);
  // A send that slipped past the check would land within milliseconds of its twin.
  await new Promise((r) => setTimeout(r, 100));
  const counts = new Map(emails.map((e) => [e, 0]));
  for (const m of smtp.messages) for (const to of m.envelope.to) if (counts.has(to)) counts.set(to, counts.get(to)! + 1);
  return counts;
}

function assertOncePerPerson(counts: Map<string, number>, what: string) {
  const wrong = [...counts].filter(([, n]) => n !== 1);
  assert.deepEqual(wrong, [], `${what}: every person emailed exactly once (address, emails received)`);
}

forEachBackend('contact budget: sends and audience runs at once in two app instances email each person exactly once', async (store) => {
  const smtp = await startSmtpServer();
  const ws = await workspaceWithKeys(store, 'Budget');
  const { a, b, second } = await twoInstances(store);
  try {
    assert.equal((await a.call('PUT', '/api/v1/settings/delivery', ws.secretKey, { smtp: smtp.settings() })).status, 200);
    const created = await a.call('POST', '/api/v1/surveys', ws.secretKey, { name: 'Relationship' });
    assert.equal(created.status, 201, created.text);
    const surveyId = created.json.survey.id;
    // Everyone is known to both instances before anything is sent, so both resolve the same profiles.
    const group = (kind: string, round: number) => Array.from({ length: PEOPLE }, (_, i) => `${kind}${round}-p${i}@example.com`);
    const messages = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['run', 'send']) {
        for (const email of group(kind, round)) messages.push({ type: 'identify', userId: email, messageId: `id-${email}`, traits: { email, group: `${kind}${round}` } });
      }
    }
    const batch = await a.call('POST', '/v1/batch', ws.writeKey, { batch: messages });
    assert.equal(batch.status, 200, batch.text);
    await a.settle();

    for (let round = 0; round < ROUNDS; round++) {
      // Two audience runs over the same people, started at the same moment on each instance.
      const runEmails = group('run', round);
      const run = { channel: 'email', conditions: [{ field: 'traits.group', op: 'eq', value: `run${round}` }] };
      const started = await Promise.all([a, b].map((x) => x.call('POST', `/api/v1/surveys/${surveyId}/runs`, ws.secretKey, run)));
      for (const r of started) assert.equal(r.status, 202, r.text);
      for (const r of started) {
        await until('run done', async () => (await a.call('GET', `/api/v1/surveys/${surveyId}/runs/${r.json.run.id}`, ws.secretKey)).json.run.status === 'done', 30_000);
      }
      assertOncePerPerson(await mailsPer(smtp, a.call, ws.secretKey, surveyId, runEmails, 1), `audience runs, round ${round}`);
      // One contact per person is sent; any other lost the race and says why, in the policy's words.
      const mine = (await contactsOf(a.call, ws.secretKey, surveyId)).filter((c) => c.email && runEmails.includes(c.email));
      for (const email of runEmails) {
        const theirs = mine.filter((c) => c.email === email);
        assert.equal(theirs.filter((c) => c.status === 'sent').length, 1, `${email}: ${JSON.stringify(theirs)}`);
        for (const lost of theirs.filter((c) => c.status !== 'sent')) {
          assert.equal(lost.status, 'skipped', `${email}: ${JSON.stringify(theirs)}`);
          assert.match(lost.reason!, /not asked: asked just now via email \(limit: 1 survey per 90 days\)/);
        }
      }

      // The same list sent through both instances at once: both schedule everyone, the sends decide.
      const sendEmails = group('send', round);
      const people = sendEmails.map((email) => ({ email }));
      const sent = await Promise.all([a, b].map((x) => x.call('POST', `/api/v1/surveys/${surveyId}/send`, ws.secretKey, { channel: 'email', people })));
      for (const r of sent) assert.equal(r.status, 202, r.text);
      assertOncePerPerson(await mailsPer(smtp, a.call, ws.secretKey, surveyId, sendEmails, 2), `sends, round ${round}`);
    }
  } finally {
    await b.close();
    await a.close();
    if (second !== store) await second.close();
    await smtp.close();
  }
});
