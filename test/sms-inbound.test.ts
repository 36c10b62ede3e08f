import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { keywordOf, scoreOf, twilioSignature, twiml, verifyTwilioSignature } from '../src/surveys/sms-inbound.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { startSmsProvider, type TestSmsProvider } from './helpers/sms-provider.ts';
import { until } from './helpers/wait.ts';

process.env.ADVOCATE_JOB_POLL_MS = '30';

/** Twilio's documented algorithm, written out here rather than borrowed from the code under test. */
function sign(authToken: string, url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

let sid = 0;
interface Inbound {
  from?: string;
  body?: string;
  extra?: Record<string, string>;
  /** The URL to sign, when not the server's own. */
  signedUrl?: string;
  signature?: string | null;
  workspaceId?: string;
}

function inbound(s: TestServer, sms: TestSmsProvider) {
  return async (o: Inbound) => {
    const path = `/hooks/sms/${o.workspaceId ?? s.ws.id}`;
    const params: Record<string, string> = {
      MessageSid: `SM${String(++sid).padStart(32, '0')}`, AccountSid: sms.accountSid, To: '+15005550006', NumMedia: '0',
      ...(o.from !== undefined ? { From: o.from } : {}), ...(o.body !== undefined ? { Body: o.body } : {}), ...o.extra,
    };
    const signature = o.signature === undefined ? sign(sms.authToken, (o.signedUrl ?? s.url) + path, params) : o.signature;
    const res = await fetch(s.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', ...(signature !== null ? { 'x-twilio-signature': signature } : {}) },
      body: new URLSearchParams(params).toString(),
    });
    const text = await res.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* TwiML */
    }
    const message = /<Message>([\s\S]*)<\/Message>/.exec(text)?.[1] ?? null;
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, json, message };
  };
}

const EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

async function sendSms(s: TestServer, sms: TestSmsProvider, surveyId: string, phone: string, n: number) {
  const r = await s.call('POST', `/api/v1/surveys/${surveyId}/send`, s.ws.secretKey, { channel: 'sms', people: [{ phone }] });
  assert.equal(r.json.results[0].status, 'scheduled', r.text);
  const contactId = r.json.results[0].contactId as string;
  await sms.waitFor(n);
  // The provider has the text a moment before the contact is marked sent.
  await until('contact sent', async () => {
    const list = await s.call('GET', `/api/v1/contacts?surveyId=${surveyId}&status=sent`, s.ws.secretKey);
    return list.json.items.some((c: any) => c.id === contactId);
  });
  return contactId;
}

test('keywords, scores, TwiML and the signature, read alone', () => {
  assert.deepEqual(['STOP', ' stop ', 'Unsubscribe', 'quit', 'STOPALL', 'cancel', 'end'].map(keywordOf), Array(7).fill('stop'));
  assert.deepEqual(['START', 'unstop', ' Yes'].map(keywordOf), ['start', 'start', 'start']);
  assert.equal(keywordOf('stop it'), null);
  assert.deepEqual(['9', ' 10 ', '0', '7.', '\n8 .\n'].map(scoreOf), [9, 10, 0, 7, 8]);
  assert.deepEqual(['11', '-1', '9.5', 'nine', '9/10', '', '10!'].map(scoreOf), Array(7).fill(null));

  assert.equal(twiml(null), EMPTY);
  assert.equal(twiml('  '), EMPTY);
  assert.equal(twiml('Fish & <Chips> "quoted" \u0007'), '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Fish &amp; &lt;Chips&gt; &quot;quoted&quot;</Message></Response>');

  // Twilio's own published example (auth token 12345).
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
  assert.equal(twilioSignature('12345', url, params), 'RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  assert.equal(sign('12345', url, params), 'RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  assert.equal(verifyTwilioSignature('12345', url, params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='), true);
  assert.equal(verifyTwilioSignature('12345', 'https://mycompany.com:443/myapp.php?foo=1&bar=2', params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='), true, 'with or without the default port');
  assert.equal(verifyTwilioSignature('12345', url, { ...params, Digits: '9999' }, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='), false);
  assert.equal(verifyTwilioSignature('54321', url, params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='), false);
  assert.equal(verifyTwilioSignature('12345', url, params, undefined), false);
});

forEachBackend('inbound SMS: a texted score answers once and then updates, the next text is the comment, STOP and START', async (store) => {
  const sms = await startSmsProvider();
  const s = await startServer(store);
  const post = inbound(s, sms);
  try {
    assert.equal((await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { sms: sms.settings() })).status, 200);
    const { json } = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Store visit', companyName: 'Fish & <Chips>' });
    const surveyId = json.survey.id;
    const phone = '+15555550100';
    const contactId = await sendSms(s, sms, surveyId, phone, 1);

    // A score: one answer, and the follow-up question for a promoter, XML-escaped.
    const nine = await post({ from: phone, body: '9' });
    assert.equal(nine.status, 200, nine.text);
    assert.match(nine.type, /^text\/xml/);
    assert.ok(nine.text.startsWith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>'), nine.text);
    assert.equal(nine.message, 'What do you like most about Fish &amp; &lt;Chips&gt;?');
    let answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.equal(answers.json.items.length, 1);
    const [first] = answers.json.items;
    assert.deepEqual([first.score, first.channel, first.contactId], [9, 'sms', contactId]);

    // Another score updates the same answer.
    const seven = await post({ from: phone, body: ' 7. ' });
    assert.equal(seven.message, 'What would make Fish &amp; &lt;Chips&gt; better for you?');
    answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.equal(answers.json.items.length, 1);
    assert.deepEqual([answers.json.items[0].id, answers.json.items[0].score], [first.id, 7]);

    // The text after it is the comment; a further text adds to it; a redelivered one does not.
    const reason = await post({ from: phone, body: 'The queue was long & slow' });
    assert.equal(reason.status, 200);
    assert.equal(reason.message, 'Thank you for your feedback.');
    const more = { from: phone, body: 'but the staff were kind', extra: { MessageSid: 'SM-redelivered' } };
    assert.equal((await post(more)).text, EMPTY);
    assert.equal((await post(more)).text, EMPTY);
    answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.equal(answers.json.items.length, 1);
    assert.equal(answers.json.items[0].comment, 'The queue was long & slow\nbut the staff were kind');
    const contact = (await s.call('GET', `/api/v1/contacts?surveyId=${surveyId}`, s.ws.secretKey)).json.items.find((c: any) => c.id === contactId);
    assert.deepEqual([contact.status, contact.answerId], ['answered', first.id]);

    // Texts from a number never asked record nothing and get no reply.
    assert.equal((await post({ from: '+15555550199', body: 'Who is this?' })).text, EMPTY);
    assert.equal((await post({ from: '+15555550199', body: '10' })).text, EMPTY);
    assert.equal((await s.call('GET', '/api/v1/answers', s.ws.secretKey)).json.items.length, 1);

    // STOP (twice: still one record) unsubscribes the number; START lifts it.
    const eligibility = () => s.call('GET', `/api/v1/eligibility?surveyId=${surveyId}&channel=sms&phone=${encodeURIComponent(phone)}`, s.ws.secretKey);
    assert.equal((await post({ from: phone, body: 'STOP' })).text, EMPTY);
    assert.equal((await post({ from: '+1 (555) 555-0100', body: ' stop ' })).text, EMPTY);
    const rows = await store.db.selectFrom('suppressions').selectAll().where('workspace_id', '=', s.ws.id).execute();
    assert.deepEqual(rows.map((r) => [r.kind, r.channel, r.address, r.source, r.profile_id]), [['unsubscribe', 'sms', phone, 'replied STOP', first.profileId]]);
    let e = await eligibility();
    assert.equal(e.json.code, 'unsubscribed');
    assert.match(e.json.reason, /replied STOP/);
    const skipped = await s.call('POST', `/api/v1/surveys/${surveyId}/send`, s.ws.secretKey, { channel: 'sms', people: [{ phone }] });
    assert.deepEqual([skipped.json.results[0].status, skipped.json.results[0].reason], ['skipped', e.json.reason]);

    assert.equal((await post({ from: phone, body: 'Start' })).text, EMPTY);
    assert.equal((await post({ from: phone, body: 'START' })).text, EMPTY);
    e = await eligibility();
    // Still not asked, but now only because she answered just now.
    assert.equal(e.json.code, 'contact_budget', JSON.stringify(e.json));
    assert.equal((await store.db.selectFrom('suppressions').selectAll().where('workspace_id', '=', s.ws.id).execute()).length, 0);
  } finally {
    await s.close();
    await sms.close();
  }
});

forEachBackend('inbound SMS: the signature, the account and the form are checked', async (store) => {
  const sms = await startSmsProvider();
  const s = await startServer(store);
  const post = inbound(s, sms);
  try {
    const noSms = await post({ from: '+15555550100', body: '9' });
    assert.equal(noSms.status, 404);
    assert.match(noSms.json.message, /SMS is not set up/);
    assert.equal((await post({ from: '+15555550100', body: '9', workspaceId: 'ws_nope' })).status, 404);

    await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { sms: sms.settings() });
    assert.equal((await post({ from: '+15555550100', body: 'hello' })).status, 200);

    const unsigned = await post({ from: '+15555550100', body: 'STOP', signature: null });
    assert.equal(unsigned.status, 403);
    assert.match(unsigned.json.message, /X-Twilio-Signature header missing/);
    const forged = await post({ from: '+15555550100', body: 'STOP', signature: sign('not-the-token', `${s.url}/hooks/sms/${s.ws.id}`, { From: '+15555550100', Body: 'STOP' }) });
    assert.equal(forged.status, 403);
    assert.match(forged.json.message, /X-Twilio-Signature does not match/);
    // Signed for another address: the URL is part of what is signed.
    const elsewhere = await post({ from: '+15555550100', body: 'STOP', signedUrl: 'http://127.0.0.1:1' });
    assert.equal(elsewhere.status, 403);
    const account = await post({ from: '+15555550100', body: 'STOP', extra: { AccountSid: 'AC-someone-else' } });
    assert.equal(account.status, 403);
    assert.match(account.json.message, /AccountSid/);
    assert.equal((await store.db.selectFrom('suppressions').selectAll().execute()).length, 0, 'nothing refused was acted on');

    const noBody = await post({ from: '+15555550100' });
    assert.equal(noBody.status, 400);
    assert.equal(noBody.json.field, 'body.Body');
    const noFrom = await post({ body: '9' });
    assert.equal(noFrom.status, 400);
    assert.equal(noFrom.json.field, 'body.From');
    const json = await fetch(`${s.url}/hooks/sms/${s.ws.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ From: '+15555550100', Body: '9' }) });
    assert.equal(json.status, 415);

    // Behind a public URL, Twilio signs that URL (with or without the default port).
    await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { publicUrl: 'https://nps.example.com/' });
    assert.equal((await post({ from: '+15555550100', body: 'hello', signedUrl: 'https://nps.example.com' })).status, 200);
    assert.equal((await post({ from: '+15555550100', body: 'hello', signedUrl: 'https://nps.example.com:443' })).status, 200);
    assert.equal((await post({ from: '+15555550100', body: 'hello' })).status, 403);
  } finally {
    await s.close();
    await sms.close();
  }
});

forEachBackend('inbound SMS: an expired link takes no score; the latest valid contact does; late text is not a comment', async (store) => {
  const sms = await startSmsProvider();
  const s = await startServer(store);
  const post = inbound(s, sms);
  try {
    await s.call('PUT', '/api/v1/settings/delivery', s.ws.secretKey, { sms: sms.settings() });
    await s.call('PUT', '/api/v1/settings/contact-policy', s.ws.secretKey, { maxSurveys: 10, perDays: 1 });
    const a = (await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Short-lived', tokenTtlDays: 1, recontactDays: 0 })).json.survey.id;
    const b = (await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Other', recontactDays: 0, texts: { de: { followUp: 'Warum?' } }, defaultLanguage: 'de' })).json.survey.id;
    const phone = '+15555550123';
    const older = await sendSms(s, sms, b, phone, 1);
    const newer = await sendSms(s, sms, a, phone, 2);

    // The newer contact's link expired two days ago: the score goes to the older one, still valid.
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    await store.db.updateTable('contacts').set({ contacted_at: twoDaysAgo }).where('id', '=', newer).execute();
    await store.db.updateTable('contacts').set({ contacted_at: twoDaysAgo - 1000 }).where('id', '=', older).execute();
    const r = await post({ from: phone, body: '3' });
    assert.equal(r.message, 'Warum?', 'the follow-up in the survey\'s language');
    let answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.deepEqual(answers.json.items.map((x: any) => [x.contactId, x.score]), [[older, 3]]);

    // A day after the score, a text is just a text.
    const contact = await store.db.selectFrom('contacts').select('properties').where('id', '=', older).executeTakeFirstOrThrow();
    const props = JSON.parse(contact.properties);
    props.smsReply.scoredAt -= 86_400_000 + 1000;
    await store.db.updateTable('contacts').set({ properties: JSON.stringify(props) }).where('id', '=', older).execute();
    assert.equal((await post({ from: phone, body: 'It was fine really' })).text, EMPTY);
    answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.equal(answers.json.items[0].comment, null);

    // Both links expired: a score answers nothing.
    await store.db.updateTable('contacts').set({ contacted_at: Date.now() - 40 * 86_400_000 }).where('id', '=', older).execute();
    assert.equal((await post({ from: phone, body: '10' })).text, EMPTY);
    answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.deepEqual(answers.json.items.map((x: any) => [x.contactId, x.score]), [[older, 3]]);
  } finally {
    await s.close();
    await sms.close();
  }
});

forEachBackend('delivery settings: secrets are never shown, and a change that leaves them out keeps them', async (store) => {
  const s = await startServer(store);
  try {
    const key = s.ws.secretKey;
    const put = (body: unknown) => s.call('PUT', '/api/v1/settings/delivery', key, body);
    // The first SMS settings need the token.
    const first = await put({ sms: { url: 'https://sms.example.com', accountSid: 'AC1', from: '+15550001' } });
    assert.equal(first.status, 400);
    assert.equal(first.json.field, 'body.sms.authToken');
    assert.equal((await put({ sms: { url: 'https://sms.example.com', accountSid: 'AC1', authToken: 'tok-1', from: '+15550001' }, smtp: { host: 'smtp.example.com', port: 587, user: 'u', pass: 'secret-1', from: 'nps@example.com' } })).status, 200);
    const shown = (await s.call('GET', '/api/v1/settings/delivery', key)).json;
    assert.equal(shown.smtp.pass, '••••••');
    assert.equal(shown.sms.authToken, '••••••');
    assert.doesNotMatch(JSON.stringify(shown), /secret-1|tok-1/);

    // A form edits the host and sender without the secrets: they stay as they were.
    assert.equal((await put({ smtp: { host: 'mail.example.com', port: 465, secure: true, user: 'u', from: 'NPS <nps@example.com>' }, sms: { url: 'https://sms.example.com', accountSid: 'AC2', from: '+15550002' } })).status, 200);
    const row = await store.db.selectFrom('workspaces').select('settings').where('id', '=', s.ws.id).executeTakeFirstOrThrow();
    const saved = JSON.parse(row.settings);
    assert.deepEqual([saved.smtp.host, saved.smtp.pass, saved.sms.accountSid, saved.sms.authToken], ['mail.example.com', 'secret-1', 'AC2', 'tok-1']);
    // null removes the password; null removes a whole provider.
    await put({ smtp: { host: 'mail.example.com', port: 465, user: null, pass: null, from: 'nps@example.com' }, sms: null });
    const after = JSON.parse((await store.db.selectFrom('workspaces').select('settings').where('id', '=', s.ws.id).executeTakeFirstOrThrow()).settings);
    assert.deepEqual([after.smtp.pass, after.sms], [null, undefined]);
  } finally {
    await s.close();
  }
});
