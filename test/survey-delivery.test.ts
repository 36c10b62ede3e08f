import assert from 'node:assert/strict';
import { until } from './helpers/wait.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { startSmsProvider } from './helpers/sms-provider.ts';
import { startSmtpServer } from './helpers/smtp.ts';

// Fast retries, so "retried, then failed" takes milliseconds here.
process.env.ADVOCATE_JOB_POLL_MS = '30';
process.env.ADVOCATE_JOB_BACKOFF_MS = '30';


async function contactOf(s: TestServer, contactId: string) {
  const list = await s.call('GET', '/api/v1/contacts?limit=500', s.ws.secretKey);
  return list.json.items.find((c: any) => c.id === contactId);
}

forEachBackend('email surveys: sent over SMTP once, the score link answers once and then updates', async (store) => {
  const smtp = await startSmtpServer();
  const s = await startServer(store);
  try {
    assert.equal((await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { smtp: smtp.settings() })).status, 200);
    const masked = await s.call('GET', '/api/v1/settings/delivery', s.ws.secretKey);
    assert.equal(masked.json.smtp.host, '127.0.0.1');
    const { json } = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Post-purchase', companyName: 'Acme' });
    const surveyId = json.survey.id;

    const sent = await s.call('POST', `/api/v1/surveys/${surveyId}/send`, s.ws.secretKey, { channel: 'email', people: [{ email: 'Ada@Example.com', name: 'Ada' }] });
    assert.equal(sent.status, 202, sent.text);
    assert.equal(sent.json.results[0].status, 'scheduled');
    const contactId = sent.json.results[0].contactId;
    const [mail] = await smtp.waitFor(1);
    assert.deepEqual(mail.envelope.to, ['ada@example.com']);
    assert.match(mail.subject, /Acme/);
    const links = [...(mail.text ?? "").matchAll(/https?:\/\/\S+\?score=(\d+)/g)].map((m) => m[0]);
    assert.equal(links.length, 11);
    assert.ok(mail.headers['list-unsubscribe']);
    const sentContact = await until('contact sent', async () => ((await contactOf(s, contactId))?.status === 'sent' ? contactOf(s, contactId) : null));
    assert.ok(sentContact.contactedAt);

    // Following the emailed link of 9, then a second click on the link of 6: one answer, updated.
    assert.ok(links[9].startsWith(s.url), `${links[9]} points at this server`);
    const head = await fetch(links[9], { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal((await s.call('GET', '/api/v1/answers', s.ws.secretKey)).json.items.length, 0, 'a HEAD request (link scanner) records nothing');
    const first = await fetch(links[9]);
    assert.equal(first.status, 200);
    assert.match(await first.text(), /What do you like most about Acme\?/, 'a promoter is asked the promoter follow-up');
    const second = await fetch(links[6]);
    assert.equal(second.status, 200);
    // The page's comment form posts to the same link.
    const comment = await fetch(links[6].split('?')[0], { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'comment=Slow+delivery' });
    assert.equal(comment.status, 200);
    const answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.equal(answers.json.items.length, 1);
    assert.deepEqual([answers.json.items[0].score, answers.json.items[0].channel, answers.json.items[0].contactId, answers.json.items[0].comment], [6, 'email', contactId, 'Slow delivery']);
    assert.equal((await contactOf(s, contactId)).status, 'answered');

    // No second email, and the web widget does not ask her the next day.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(smtp.messages.length, 1);
    const profile = await s.call('GET', '/api/v1/profiles?email=ada@example.com', s.ws.secretKey);
    const again = await s.call('POST', `/api/v1/surveys/${surveyId}/send`, s.ws.secretKey, { channel: 'email', people: [{ email: 'ada@example.com' }] });
    assert.equal(again.json.results[0].status, 'skipped');
    assert.match(again.json.results[0].reason, /answered just now via email/);
    assert.equal(again.json.results[0].profileId, profile.json.id);
  } finally {
    await s.close();
    await smtp.close();
  }
});

forEachBackend('email surveys: a refused address bounces; a dropped connection is retried, then failed and replayable', async (store) => {
  const smtp = await startSmtpServer({ mode: 'reject-recipient' });
  const s = await startServer(store);
  try {
    await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { smtp: smtp.settings() });
    const { json } = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'NPS' });
    const surveyId = json.survey.id;

    const bounced = await s.call('POST', `/api/v1/surveys/${surveyId}/send`, s.ws.secretKey, { channel: 'email', people: [{ email: 'gone@example.com' }] });
    const bouncedId = bounced.json.results[0].contactId;
    const failed = await until('bounce recorded', async () => ((await contactOf(s, bouncedId))?.status === 'failed' ? contactOf(s, bouncedId) : null));
    assert.match(failed.error, /550/);
    const eligibility = await s.call('GET', `/api/v1/eligibility?surveyId=${surveyId}&channel=email&email=gone@example.com`, s.ws.secretKey);
    assert.equal(eligibility.json.code, 'bounced');

    smtp.mode = 'drop';
    const dropped = await s.call('POST', `/api/v1/surveys/${surveyId}/send`, s.ws.secretKey, { channel: 'email', people: [{ email: 'flaky@example.com' }] });
    const droppedId = dropped.json.results[0].contactId;
    const gaveUp = await until('retries exhausted', async () => ((await contactOf(s, droppedId))?.status === 'failed' ? contactOf(s, droppedId) : null), 20_000);
    assert.equal(gaveUp.attempts, 5);
    assert.match(gaveUp.error, /closed before the message was accepted/);
    const dead = await s.call('GET', '/api/v1/jobs?status=failed', s.ws.secretKey);
    const job = dead.json.items.find((j: any) => j.payload.contactId === droppedId);
    assert.ok(job, JSON.stringify(dead.json));
    assert.equal(smtp.messages.length, 0);

    // The server is fixed; replaying the dead job sends the email once.
    smtp.mode = 'accept';
    assert.equal((await s.call('POST', `/api/v1/jobs/${job.id}/retry`, s.ws.secretKey)).status, 202);
    await smtp.waitFor(1);
    await until('contact sent after replay', async () => (await contactOf(s, droppedId))?.status === 'sent');
    assert.equal((await s.call('GET', '/api/v1/jobs?status=failed', s.ws.secretKey)).json.items.filter((j: any) => j.id === job.id).length, 0);
    assert.equal((await s.call('GET', '/api/v1/jobs', s.ws.writeKey)).status, 403);
  } finally {
    await s.close();
    await smtp.close();
  }
});

forEachBackend('SMS surveys: a Twilio-shaped provider gets a short link; STOP replies unsubscribe', async (store) => {
  const sms = await startSmsProvider();
  const s = await startServer(store);
  try {
    await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { sms: sms.settings() });
    const { json } = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Store visit', companyName: 'Acme' });
    const surveyId = json.survey.id;
    const r = await s.call('POST', `/api/v1/surveys/${surveyId}/send`, s.ws.secretKey, { channel: 'sms', people: [{ phone: '+15555550100' }] });
    assert.equal(r.json.results[0].status, 'scheduled', r.text);
    const [msg] = await sms.waitFor(1);
    assert.equal(msg.to, '+15555550100');
    assert.match(msg.body, /\/r\/[0-9A-Za-z]{10}/);
    assert.equal(msg.idempotencyKey, r.json.results[0].contactId);

    sms.mode = 'unsubscribed';
    const stop = await s.call('POST', `/api/v1/surveys/${surveyId}/send`, s.ws.secretKey, { channel: 'sms', people: [{ phone: '+15555550101' }] });
    const stopId = stop.json.results[0].contactId;
    await until('STOP recorded', async () => (await contactOf(s, stopId))?.status === 'failed');
    const e = await s.call('GET', `/api/v1/eligibility?surveyId=${surveyId}&channel=web&phone=%2B15555550101`, s.ws.secretKey);
    assert.equal(e.json.code, 'unsubscribed');
    assert.match(e.json.reason, /replied STOP/);

    const missing = await s.call('POST', `/api/v1/surveys/${surveyId}/send`, s.ws.secretKey, { channel: 'sms', people: [{ email: 'x@example.com' }] });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.field, 'people[0].phone');
  } finally {
    await s.close();
    await sms.close();
  }
});
