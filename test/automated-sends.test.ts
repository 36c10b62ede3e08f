import assert from 'node:assert/strict';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { startSmtpServer } from './helpers/smtp.ts';
import { until } from './helpers/wait.ts';

process.env.ADVOCATE_JOB_POLL_MS = '30';
process.env.ADVOCATE_JOB_BACKOFF_MS = '30';
// The clock is ticked by hand.
process.env.ADVOCATE_CLOCK_MS = '3600000';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function contacts(s: TestServer, surveyId: string) {
  const r = await s.call('GET', `/api/v1/contacts?surveyId=${surveyId}&limit=500`, s.ws.secretKey);
  assert.equal(r.status, 200, r.text);
  return r.json.items as Array<{ id: string; profileId: string; email: string | null; status: string; reason: string | null; scheduledAt: string | null }>;
}

async function batch(s: TestServer, messages: unknown[]) {
  const r = await s.call('POST', '/v1/batch', s.ws.writeKey, { batch: messages });
  assert.equal(r.status, 200, r.text);
  await s.settle();
}

forEachBackend('triggers: a survey goes out N hours after an event, once, and old history is passed over', async (store) => {
  const smtp = await startSmtpServer();
  const s = await startServer(store);
  try {
    await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { smtp: smtp.settings() });
    const created = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, {
      name: 'After delivery', companyName: 'Acme', triggers: [{ event: 'Order Delivered', delayHours: 72, channel: 'email' }],
    });
    assert.equal(created.status, 201, created.text);
    const surveyId = created.json.survey.id;
    // The trigger counts events stored after the survey was saved.
    await new Promise((r) => setTimeout(r, 5));

    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    await batch(s, [
      ...['ada', 'bob', 'cy'].map((u) => ({ type: 'identify', userId: u, traits: { email: `${u}@example.com` }, messageId: `id-${u}` })),
      { type: 'identify', userId: 'dee', traits: { name: 'Dee (no email)' }, messageId: 'id-dee' },
      // Delivered 72 hours ago less a moment: due now.
      { type: 'track', event: 'Order Delivered', userId: 'ada', timestamp: iso(now - 72 * HOUR + 500), messageId: 'od-ada' },
      // Delivered just now: due in 72 hours.
      { type: 'track', event: 'Order Delivered', userId: 'bob', timestamp: iso(now), messageId: 'od-bob' },
      // Imported history: due 7 days ago, passed over.
      { type: 'track', event: 'Order Delivered', userId: 'cy', timestamp: iso(now - 10 * DAY), messageId: 'od-cy' },
      { type: 'track', event: 'Order Delivered', userId: 'dee', timestamp: iso(now - 72 * HOUR), messageId: 'od-dee' },
      { type: 'track', event: 'Order Placed', userId: 'cy', timestamp: iso(now - 80 * HOUR), messageId: 'op-cy' },
    ]);
    await s.tick();

    const list = await contacts(s, surveyId);
    const byEmail = new Map(list.map((c) => [c.email, c]));
    assert.equal(list.length, 3, JSON.stringify(list));
    assert.ok(!byEmail.has('cy@example.com'), 'history older than a day past its send time is not sent');
    const bob = byEmail.get('bob@example.com')!;
    assert.equal(bob.status, 'scheduled');
    assert.ok(Math.abs(Date.parse(bob.scheduledAt!) - (now + 72 * HOUR)) < 2000, `bob is due 72 h after his delivery: ${bob.scheduledAt}`);
    const dee = list.find((c) => c.email == null)!;
    assert.equal(dee.status, 'skipped');
    assert.match(dee.reason!, /no email address/);

    const [mail] = await smtp.waitFor(1);
    assert.deepEqual(mail.envelope.to, ['ada@example.com']);
    await until('ada sent', async () => (await contacts(s, surveyId)).find((c) => c.email === 'ada@example.com')?.status === 'sent' || null);

    // Scanning again (a restart, another process) schedules nothing new.
    await s.tick();
    await s.tick();
    assert.equal((await contacts(s, surveyId)).length, 3);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(smtp.messages.length, 1);

    // A second delivery for Ada the next day: she was asked just now, so the policy says no, and why.
    await batch(s, [{ type: 'track', event: 'Order Delivered', userId: 'ada', timestamp: iso(Date.now() - 72 * HOUR), messageId: 'od-ada-2' }]);
    await s.tick();
    const again = (await contacts(s, surveyId)).filter((c) => c.email === 'ada@example.com');
    assert.equal(again.length, 2);
    const second = again.find((c) => c.status !== 'sent')!;
    assert.equal(second.status, 'skipped');
    assert.match(second.reason!, /asked just now via email/);

    // The other workspace's events never trigger this workspace's survey.
    await s.call('POST', '/v1/track', s.other.writeKey, { event: 'Order Delivered', userId: 'zed', timestamp: iso(Date.now() - 72 * HOUR), messageId: 'od-zed' });
    await s.settle();
    await s.tick();
    assert.equal((await contacts(s, surveyId)).length, 4);
  } finally {
    await s.close();
    await smtp.close();
  }
});

forEachBackend('audience runs: everyone who matches, within the sample and the fatigue policy, a page at a time with progress', async (store) => {
  const smtp = await startSmtpServer();
  const s = await startServer(store);
  try {
    await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { smtp: smtp.settings() });
    // 600 people (more than two pages): a sixth in NL, of whom a third on the pro plan, every seventh without an email.
    const people = Array.from({ length: 600 }, (_, i) => ({
      userId: `u${i}`, country: i % 6 === 0 ? 'NL' : 'DE', plan: i % 3 === 0 ? 'pro' : 'free', email: i % 7 === 0 ? null : `u${i}@example.com`,
    }));
    for (let i = 0; i < people.length; i += 100) {
      await batch(s, people.slice(i, i + 100).map((p) => ({
        type: 'identify', userId: p.userId, messageId: `id-${p.userId}`, traits: { country: p.country, plan: p.plan, ...(p.email ? { email: p.email } : {}) },
      })));
    }
    const created = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Relationship', targeting: [{ field: 'traits.country', op: 'eq', value: 'NL' }] });
    const surveyId = created.json.survey.id;

    const started = await s.call('POST', `/api/v1/surveys/${surveyId}/runs`, s.ws.secretKey, { channel: 'email', conditions: [{ field: 'traits.plan', op: 'eq', value: 'pro' }] });
    assert.equal(started.status, 202, started.text);
    assert.equal(started.json.run.progress.total, 600);
    const runId = started.json.run.id;
    const run = await until('run done', async () => {
      const r = await s.call('GET', `/api/v1/surveys/${surveyId}/runs/${runId}`, s.ws.secretKey);
      return r.json.run.status === 'done' ? r.json.run : null;
    }, 20_000);

    const expected = people.filter((p) => p.country === 'NL' && p.plan === 'pro' && p.email);
    assert.equal(run.scheduled, expected.length);
    assert.equal(run.progress.scanned, 600);
    assert.equal(run.progress.percent, 100);
    const skipped = run.skipped as Record<string, number>;
    assert.equal(skipped.targeting, 600 - people.filter((p) => p.country === 'NL' && p.plan === 'pro').length);
    assert.equal(skipped.no_address, people.filter((p) => p.country === 'NL' && p.plan === 'pro' && !p.email).length);

    const mails = await smtp.waitFor(expected.length, 20_000);
    assert.deepEqual(mails.map((m) => m.envelope.to[0]).sort(), expected.map((p) => p.email).sort());

    // The same audience again: each was just asked, so nobody is scheduled and the run says why.
    await until('all sent', async () => (await contacts(s, surveyId)).every((c) => c.status === 'sent') || null);
    const second = await s.call('POST', `/api/v1/surveys/${surveyId}/runs`, s.ws.secretKey, { channel: 'email', conditions: [{ field: 'traits.plan', op: 'eq', value: 'pro' }] });
    const secondRun = await until('second run done', async () => {
      const r = await s.call('GET', `/api/v1/surveys/${surveyId}/runs/${second.json.run.id}`, s.ws.secretKey);
      return r.json.run.status === 'done' ? r.json.run : null;
    }, 20_000);
    assert.equal(secondRun.scheduled, 0);
    assert.equal(secondRun.skipped.contact_budget, expected.length, JSON.stringify(secondRun.skipped));
    assert.equal((await s.call('DELETE', `/api/v1/surveys/${surveyId}/runs/${secondRun.id}`, s.ws.secretKey)).status, 409);
    const runs = await s.call('GET', `/api/v1/surveys/${surveyId}/runs`, s.ws.secretKey);
    assert.deepEqual(runs.json.items.map((r: { id: string }) => r.id), [second.json.run.id, runId]);

    // Another workspace sees none of it.
    assert.equal((await s.call('GET', `/api/v1/surveys/${surveyId}/runs/${runId}`, s.other.secretKey)).status, 404);
    assert.equal((await s.call('POST', `/api/v1/surveys/${surveyId}/runs`, s.other.secretKey, { channel: 'email' })).status, 404);
  } finally {
    await s.close();
    await smtp.close();
  }
});

forEachBackend('schedules: one run per period with the sample rate; bad requests name the field', async (store) => {
  const smtp = await startSmtpServer();
  const s = await startServer(store);
  try {
    await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { smtp: smtp.settings() });
    await batch(s, Array.from({ length: 200 }, (_, i) => ({ type: 'identify', userId: `p${i}`, messageId: `id-p${i}`, traits: { email: `p${i}@example.com` } })));
    const startAt = new Date(Date.now() - DAY).toISOString();
    const created = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Quarterly', sampleRate: 0.25, schedule: { everyDays: 91, channel: 'email', startAt } });
    assert.equal(created.status, 201, created.text);
    const surveyId = created.json.survey.id;

    await s.tick();
    await s.tick();
    const first = await until('scheduled run done', async () => {
      const r = await s.call('GET', `/api/v1/surveys/${surveyId}/runs`, s.ws.secretKey);
      return r.json.items.length && r.json.items.every((x: { status: string }) => x.status === 'done') ? r.json.items : null;
    }, 20_000);
    assert.equal(first.length, 1, 'two ticks in one period start one run');
    assert.deepEqual([first[0].kind, first[0].period], ['schedule', 0]);
    // The sample is a quarter, decided per person: about 50 of 200, the rest counted as "sample".
    assert.ok(first[0].scheduled >= 30 && first[0].scheduled <= 70, `sampled ${first[0].scheduled} of 200`);
    assert.equal(first[0].scheduled + first[0].skipped.sample, 200);
    await smtp.waitFor(first[0].scheduled, 20_000);

    // The next quarter starts the next run.
    await s.tick(Date.parse(startAt) + 91 * DAY + 1000);
    const runs = await until('second period', async () => {
      const r = await s.call('GET', `/api/v1/surveys/${surveyId}/runs`, s.ws.secretKey);
      return r.json.items.length === 2 && r.json.items[0].status === 'done' ? r.json.items : null;
    }, 20_000);
    assert.equal(runs[0].period, 1);

    const bad = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Bad', schedule: { everyDays: 91, channel: 'email', startAt: 'next tuesday' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /schedule\.startAt/);
    const fax = await s.call('POST', `/api/v1/surveys/${surveyId}/runs`, s.ws.secretKey, { channel: 'fax' });
    assert.equal(fax.status, 400);
    assert.match(fax.json.message, /channel/);
    assert.equal((await s.call('POST', '/api/v1/surveys/srv_nope/runs', s.ws.secretKey, { channel: 'email' })).status, 404);
    await s.call('PUT', `/api/v1/surveys/${surveyId}`, s.ws.secretKey, { name: 'Quarterly', status: 'paused' });
    assert.equal((await s.call('POST', `/api/v1/surveys/${surveyId}/runs`, s.ws.secretKey, { channel: 'email' })).status, 409);
  } finally {
    await s.close();
    await smtp.close();
  }
});
