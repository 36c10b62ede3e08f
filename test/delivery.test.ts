import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { escapeHtml, renderSurveyEmail } from '../src/surveys/email-message.ts';
import { classifySmtpError, sendEmail, type DeliveryResult } from '../src/surveys/mailer.ts';
import type { RenderedSurvey } from '../src/surveys/rendered.ts';
import { renderSurveySms, sendSms } from '../src/surveys/sms.ts';
import { startSmsProvider, type TestSmsProvider } from './helpers/sms-provider.ts';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';

function survey(overrides: Partial<RenderedSurvey['nps']> = {}): RenderedSurvey {
  const thanks = { promoter: 'Thanks!', passive: 'Thanks!', detractor: 'Thanks!' };
  return {
    surveyId: 'srv_1',
    version: 1,
    language: 'en',
    nps: { question: 'How likely are you to recommend Acme to a friend or colleague?', lowLabel: 'Not at all likely', highLabel: 'Extremely likely', ...overrides },
    followUp: { promoter: 'What do you like?', passive: 'What could be better?', detractor: 'What went wrong?' },
    csat: null,
    ces: null,
    thankYou: thanks,
    promoterLink: null,
    brandColor: '#0f766e',
    labels: { submit: 'Send', close: 'Close', commentPlaceholder: 'Tell us more', poweredBy: 'Powered by Advocate' },
  };
}

const scoreUrl = (n: number) => `https://nps.example/r/tok123?score=${n}&a=1`;

function email(s: RenderedSurvey, extra: { personName?: string; subject?: string } = {}) {
  return renderSurveyEmail({
    survey: s,
    scoreUrl,
    surveyUrl: 'https://nps.example/r/tok123',
    unsubscribeUrl: 'https://nps.example/u/tok123',
    companyName: 'Acme',
    ...extra,
  });
}

function failure(r: DeliveryResult) {
  assert.equal(r.ok, false, `expected a failure, got ${JSON.stringify(r)}`);
  return r as Extract<DeliveryResult, { ok: false }>;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('survey email', () => {
  test('escapeHtml covers text and attribute contexts', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  test('default subject comes from a short question, else a generic one', () => {
    assert.equal(email(survey()).subject, 'How likely are you to recommend Acme to a friend or colleague?');
    assert.equal(email(survey({ question: 'Would you recommend us?' })).subject, 'Acme: Would you recommend us?');
    assert.equal(email(survey({ question: 'x'.repeat(300) })).subject, 'Acme: how likely are you to recommend us?');
    assert.equal(email(survey(), { subject: 'Quick\r\nquestion' }).subject, 'Quick question');
  });

  test('html and text carry the question, eleven score links, labels and unsubscribe', () => {
    const m = email(survey(), { personName: 'Ada' });
    for (let n = 0; n <= 10; n++) {
      assert.ok(m.html.includes(`href="${escapeHtml(scoreUrl(n))}"`), `html link for ${n}`);
      assert.ok(m.text.includes(`: ${scoreUrl(n)}\n`), `text link for ${n}`);
    }
    assert.match(m.html, /Not at all likely[\s\S]*Extremely likely/);
    assert.match(m.html, /background-color:#0f766e/);
    assert.match(m.html, /href="https:\/\/nps\.example\/u\/tok123"/);
    assert.match(m.text, /^0 \(Not at all likely\): /m);
    assert.match(m.text, /^10 \(Extremely likely\): /m);
    assert.match(m.text, /Unsubscribe: https:\/\/nps\.example\/u\/tok123/);
    assert.doesNotMatch(m.html, /<script|<style|<link/i);
    assert.deepEqual(m.headers, { 'List-Unsubscribe': '<https://nps.example/u/tok123>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
  });

  test('a brand colour that is not #rrggbb is not written into a style attribute', () => {
    const m = email({ ...survey(), brandColor: 'red;background:url(https://evil.example/x)' });
    assert.doesNotMatch(m.html, /evil\.example/);
  });
});

describe('sendEmail over real SMTP', () => {
  let smtp: TestSmtpServer;
  before(async () => {
    smtp = await startSmtpServer();
  });
  after(() => smtp.close());

  test('delivers the survey email with headers, links and escaped hostile text', async () => {
    smtp.mode = 'accept';
    const m = email(survey({ question: `Rate us ${HOSTILE} — ünïcode “quotes”`, lowLabel: `<b>low</b>` }), { personName: `Eve ${HOSTILE}` });
    const r = await sendEmail(smtp.settings(), { to: 'ada@example.com', ...m, messageId: 'contact-c1@advocate' });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.ok && r.providerId, '<contact-c1@advocate>');

    const [got] = await smtp.waitFor(1);
    assert.deepEqual(got.envelope, { from: 'nps@advocate.test', to: ['ada@example.com'] });
    assert.equal(got.subject, m.subject);
    assert.equal(got.subject, `Acme: Rate us ${HOSTILE} — ünïcode “quotes”`);
    assert.equal(got.headers['message-id'], '<contact-c1@advocate>');
    assert.equal(got.headers['list-unsubscribe'], '<https://nps.example/u/tok123>');
    assert.equal(got.headers['list-unsubscribe-post'], 'List-Unsubscribe=One-Click');
    assert.ok(got.html && got.text, 'both alternatives arrive');
    assert.equal(got.html, m.html);
    assert.equal(got.text, m.text);
    for (let n = 0; n <= 10; n++) assert.ok(got.html.includes(`href="${escapeHtml(scoreUrl(n))}"`), `score ${n}`);
    assert.ok(!got.html.includes(HOSTILE), 'hostile markup must not reach the html unescaped');
    assert.ok(!got.html.includes('<b>low</b>'));
    assert.ok(got.html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(got.html.includes('Eve &lt;img'));
    assert.ok(got.text.includes(HOSTILE), 'the text part shows the text as it is');
  });

  test('550 at RCPT is a permanent bounce', async () => {
    smtp.mode = 'reject-recipient';
    const f = failure(await sendEmail(smtp.settings(), { to: 'gone@example.com', ...email(survey()) }));
    assert.deepEqual([f.permanent, f.bounce], [true, true]);
    assert.match(f.error, /^SMTP 550 .*mailbox unavailable.*\(recipient rejected\)$/);
  });

  test('553 at MAIL FROM is permanent but not a bounce', async () => {
    smtp.mode = 'reject-sender';
    const f = failure(await sendEmail(smtp.settings(), { to: 'ada@example.com', ...email(survey()) }));
    assert.deepEqual([f.permanent, f.bounce], [true, false]);
    assert.match(f.error, /^SMTP 553 .*\(sender rejected\)$/);
  });

  test('451 at RCPT is retried', async () => {
    smtp.mode = 'temp-fail';
    const f = failure(await sendEmail(smtp.settings(), { to: 'ada@example.com', ...email(survey()) }));
    assert.deepEqual([f.permanent, f.bounce], [false, false]);
    assert.match(f.error, /^SMTP 451 /);
  });

  test('a connection dropped after DATA is retried, and the retry is recognisable', async () => {
    smtp.mode = 'drop';
    const before = smtp.messages.length;
    const f = failure(await sendEmail(smtp.settings(), { to: 'ada@example.com', ...email(survey()), messageId: '<contact-c2@advocate>' }));
    assert.deepEqual([f.permanent, f.bounce], [false, false]);
    assert.equal(f.error, `connection to 127.0.0.1:${smtp.port} closed before the message was accepted`);
    assert.equal(smtp.messages.length, before);
    assert.equal(smtp.dropped.at(-1)?.headers['message-id'], '<contact-c2@advocate>');

    smtp.mode = 'accept';
    const r = await sendEmail(smtp.settings(), { to: 'ada@example.com', ...email(survey()), messageId: '<contact-c2@advocate>' });
    assert.equal(r.ok, true);
    assert.equal(smtp.messages.at(-1)?.headers['message-id'], '<contact-c2@advocate>');
  });

  test('a server that is down is retried', async () => {
    const port = await closedPort();
    const f = failure(await sendEmail({ ...smtp.settings(), port }, { to: 'ada@example.com', ...email(survey()) }));
    assert.deepEqual([f.permanent, f.bounce], [false, false]);
    assert.equal(f.error, `connection to 127.0.0.1:${port} refused`);
  });

  test('a server that never greets times out and is retried', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = Date.now();
      const f = failure(await sendEmail({ ...smtp.settings(), port }, { to: 'ada@example.com', ...email(survey()) }, { timeoutMs: 300 }));
      assert.deepEqual([f.permanent, f.bounce], [false, false]);
      assert.equal(f.error, `127.0.0.1:${port} did not answer within 0.3 s`);
      assert.ok(Date.now() - started < 3000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('classifySmtpError on replies real servers give', () => {
  const at = { host: 'smtp.example', port: 2525 };
  const cases: Array<[string, object, boolean, boolean, RegExp]> = [
    ['Gmail unknown user', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550-5.1.1 The email account that you tried to reach does not exist.' }, true, true, /^SMTP 550-5\.1\.1 .*\(recipient rejected\)$/],
    ['relaying denied is our problem, not the address', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.7.1 Relaying denied' }, true, false, /recipient rejected/],
    ['spam rejection after DATA', { code: 'EMESSAGE', command: 'DATA', responseCode: 554, response: '554 5.7.1 Message rejected as spam' }, true, false, /message rejected/],
    ['unknown user only at DATA', { code: 'EMESSAGE', command: 'DATA', responseCode: 550, response: '550 No such user' }, true, true, /message rejected/],
    ['503 bad sequence is retried', { code: 'EPROTOCOL', command: 'DATA', responseCode: 503, response: '503 Bad sequence of commands' }, false, false, /^SMTP 503/],
    ['454 temporary auth failure is retried', { code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 454, response: '454 4.7.0 Temporary authentication failure' }, false, false, /^SMTP 454/],
    ['connection reset', { code: 'ESOCKET', originalCode: 'ECONNRESET', message: 'read ECONNRESET' }, false, false, /^connection to smtp\.example:2525 closed before the message was accepted$/],
    ['greeting timeout', { code: 'ETIMEDOUT', message: 'Greeting never received' }, false, false, /^smtp\.example:2525 did not answer within 10 s$/],
    ['TLS failure', { code: 'ETLS', message: 'self-signed certificate' }, true, false, /^TLS with smtp\.example:2525 failed/],
  ];
  for (const [name, err, permanent, bounce, error] of cases) {
    test(name, () => {
      const f = classifySmtpError(Object.assign(new Error(String((err as { message?: string }).message ?? 'x')), err), at);
      assert.deepEqual([f.permanent, f.bounce], [permanent, bounce]);
      assert.match(f.error, error);
    });
  }
});

describe('sendEmail with SMTP authentication', () => {
  let smtp: TestSmtpServer;
  before(async () => {
    smtp = await startSmtpServer({ auth: { user: 'relay', pass: 's3cret' } });
  });
  after(() => smtp.close());

  test('the right credentials deliver', async () => {
    const r = await sendEmail(smtp.settings(), { to: 'ada@example.com', ...email(survey()) });
    assert.equal(r.ok, true, JSON.stringify(r));
    await smtp.waitFor(1);
  });

  test('535 is permanent and not a bounce', async () => {
    const f = failure(await sendEmail(smtp.settings({ pass: 'wrong' }), { to: 'ada@example.com', ...email(survey()) }));
    assert.deepEqual([f.permanent, f.bounce], [true, false]);
    assert.match(f.error, /^SMTP 535 .*\(authentication failed\)$/);
  });
});

describe('sendSms against a Twilio-shaped provider', () => {
  let sms: TestSmsProvider;
  before(async () => {
    sms = await startSmsProvider();
  });
  after(() => sms.close());

  test('sends the form fields with auth and idempotency key, and returns the sid', async () => {
    sms.mode = 'accept';
    const r = await sendSms(sms.settings(), { to: '+14155550100', body: 'Hi & bye ü', idempotencyKey: 'contact-s1' });
    assert.equal(r.ok, true, JSON.stringify(r));
    const [got] = await sms.waitFor(1);
    assert.equal(r.ok && r.providerId, got.sid);
    assert.match(got.sid ?? '', /^SM/);
    assert.deepEqual(
      { to: got.to, from: got.from, body: got.body, idempotencyKey: got.idempotencyKey },
      { to: '+14155550100', from: '+15005550006', body: 'Hi & bye ü', idempotencyKey: 'contact-s1' },
    );
    // A retry with the same key is answered with the same message, not sent twice.
    const again = await sendSms(sms.settings(), { to: '+14155550100', body: 'Hi & bye ü', idempotencyKey: 'contact-s1' });
    assert.deepEqual(again, r);
    assert.equal(sms.messages.length, 1);
  });

  test('each failure is classified', async () => {
    const send = () => sendSms(sms.settings(), { to: '+14155550101', body: 'x', idempotencyKey: 'k' }, { timeoutMs: 300 });

    sms.mode = 'invalid-number';
    let f = failure(await send());
    assert.deepEqual([f.permanent, f.bounce, f.unsubscribed], [true, true, undefined]);
    assert.match(f.error, /21211/);

    sms.mode = 'unsubscribed';
    f = failure(await send());
    assert.deepEqual([f.permanent, f.bounce, f.unsubscribed], [true, false, true]);
    assert.match(f.error, /21610/);

    sms.mode = 'fail-500';
    f = failure(await send());
    assert.deepEqual([f.permanent, f.bounce], [false, false]);
    assert.match(f.error, /500/);

    sms.mode = 'slow';
    f = failure(await send());
    assert.deepEqual([f.permanent, f.bounce], [false, false]);
    assert.equal(f.error, 'SMS provider did not answer within 0.3 s');

    sms.mode = 'accept';
    f = failure(await sendSms(sms.settings({ authToken: 'wrong' }), { to: '+14155550101', body: 'x' }));
    assert.deepEqual([f.permanent, f.bounce], [true, false]);
    assert.match(f.error, /^SMS provider refused the credentials/);

    const port = await closedPort();
    f = failure(await sendSms(sms.settings({ url: `http://127.0.0.1:${port}` }), { to: '+14155550101', body: 'x' }));
    assert.deepEqual([f.permanent, f.bounce], [false, false]);
    assert.match(f.error, /could not reach the SMS provider at 127\.0\.0\.1:\d+: ECONNREFUSED/);

    assert.ok(sms.requests.every((r) => r.idempotencyKey === 'k' || r.idempotencyKey === 'contact-s1'));
    assert.equal(sms.messages.length, 1, 'no failure mode sent a message');
  });
});

describe('renderSurveySms', () => {
  const link = 'https://nps.example/r/AbCdEf123456';

  test('fits one SMS with the question, link and opt-out', () => {
    const text = renderSurveySms(survey({ question: 'How likely are you to recommend Acme to a friend?' }), link, 'Acme');
    assert.equal(text, `How likely are you to recommend Acme to a friend? ${link} Reply STOP to opt out`);
    const other = renderSurveySms(survey({ question: 'Would you recommend us?' }), link, 'Acme');
    assert.equal(other, `Acme: Would you recommend us? ${link} Reply STOP to opt out`);
  });

  test('shortens a long question to stay within 160 characters', () => {
    const long = `How likely is it that you would recommend our ${'wonderful '.repeat(12)}products to a friend or a colleague of yours?`;
    const text = renderSurveySms(survey({ question: long }), link, 'Acme Corporation');
    assert.ok(text.length <= 160, `${text.length}: ${text}`);
    assert.match(text, /^Acme Corporation: How likely is it .*\.\.\. https:\/\/nps\.example\/r\/AbCdEf123456 Reply STOP to opt out$/);
  });

  test('replaces typographic characters that would force UCS-2', () => {
    const text = renderSurveySms(survey({ question: 'How’s it going – would you “recommend” us…?' }), link, 'Acme');
    assert.equal(text, `Acme: How's it going - would you "recommend" us...? ${link} Reply STOP to opt out`);
  });
});
