/**
 * The hosted survey surfaces: the link page (one-click email scores, the follow-up form, broken
 * links), unsubscribing, SMS short links, kiosk and open links with their QR codes, through HTTP on
 * both backends; then the kiosk and the link page in headless Chromium (SQLite only: the browser
 * talks HTTP, the storage paths are covered above).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { insertContact } from '../src/store/contacts.ts';
import type { Store } from '../src/store/db.ts';
import { SCRIPT } from '../src/surveys/pages.ts';
import { signContactToken } from '../src/surveys/tokens.ts';
import { artifactsDir, backends, forEachBackend } from './helpers/backends.ts';
import { launchChromium, NO_BROWSER, watch, type WatchOptions } from './helpers/browser.ts';
import { basic, startServer, type TestServer } from './helpers/server.ts';

const XSS = '<img src=x onerror=alert(1)>';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;

/** A GET whose redirect is not followed: its status and Location. */
async function redirectOf(s: TestServer, path: string) {
  const res = await fetch(s.url + path, { redirect: 'manual' });
  await res.body?.cancel();
  return { status: res.status, location: res.headers.get('location'), headers: res.headers };
}

async function createSurvey(s: TestServer, body: Record<string, unknown>): Promise<string> {
  const r = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, body);
  assert.equal(r.status, 201, r.text);
  return r.json.survey.id;
}

const answers = async (s: TestServer) => (await s.call('GET', '/api/v1/answers', s.ws.secretKey)).json.items as any[];

function assertPageHeaders(r: { headers: Headers }) {
  assert.match(r.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
  const csp = r.headers.get('content-security-policy') ?? '';
  for (const part of ["default-src 'none'", "connect-src 'self'", "form-action 'self'", "img-src 'self' data:"]) assert.ok(csp.includes(part), `CSP lacks ${part}: ${csp}`);
  assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]{20,}'/);
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(r.headers.get('cache-control'), 'no-store');
}

describe('the page script', () => {
  it('stays under 4 KB and never writes markup', () => {
    assert.ok(Buffer.byteLength(SCRIPT) < 4096, `${Buffer.byteLength(SCRIPT)} bytes`);
    assert.doesNotMatch(SCRIPT, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });
});

forEachBackend('pages: an email one-click score, the follow-up form without JavaScript, and broken links', async (store) => {
  const s = await startServer(store);
  try {
    const surveyId = await createSurvey(s, { name: 'NPS' });
    const token = await signContactToken(store.db, { w: s.ws.id, c: 'con_test1', s: surveyId, v: 1, ch: 'email', em: 'a@example.com', x: inSeconds(3600) });

    const first = await s.call('GET', `/s/${token}?score=9`, null);
    assert.equal(first.status, 200, first.text);
    assertPageHeaders(first);
    assert.match(first.text, /<html lang="en"/);
    assert.match(first.text, /<a class="sc" href="\?score=9" data-score="9" aria-current="true">9<\/a>/);
    assert.match(first.text, /<form id="s2" method="post" action="\/s\/[^"]+">/, 'the follow-up form is shown');
    assert.match(first.text, /<label class="q" for="comment" id="fu">What do you like most about Test\?<\/label>/);
    let stored = await answers(s);
    assert.deepEqual(stored.map((a) => [a.score, a.channel, a.contactId, a.surveyId]), [[9, 'email', 'con_test1', surveyId]]);

    const second = await s.call('GET', `/s/${token}?score=3`, null);
    assert.equal(second.status, 200);
    assert.match(second.text, /We are sorry to hear that\. What disappointed you\?/);
    // Link checkers send HEAD: it shows the page but records nothing.
    assert.equal((await s.call('HEAD', `/s/${token}?score=10`, null)).status, 200);
    stored = await answers(s);
    assert.deepEqual(stored.map((a) => [a.id, a.score]), [[stored[0].id, 3]], 'a second click updates the one answer');

    const posted = await s.call('POST', `/s/${token}`, null, new URLSearchParams({ score: '', comment: `Too slow ${XSS}` }).toString(), FORM);
    assert.equal(posted.status, 200, posted.text);
    assert.match(posted.text, /Thank you for telling us\. We will look into it\./);
    stored = await answers(s);
    assert.deepEqual(stored.map((a) => [a.score, a.comment]), [[3, `Too slow ${XSS}`]]);

    const plain = await s.call('GET', `/s/${token}`, null, undefined, { 'accept-language': 'fr-CH, de;q=0.9, en;q=0.8' });
    assert.match(plain.text, /<html lang="fr"/);
    assert.match(plain.text, /<form id="s2" method="post" action="[^"]+" hidden>/, 'without a score the page starts at the scale');
    assert.match(plain.text, /Quelle est la probabilité/);

    const badScore = await s.call('GET', `/s/${token}?score=11`, null);
    assert.equal(badScore.status, 400);
    assert.match(badScore.text, /score: &quot;11&quot; is not a whole number from 0 to 10/);
    assert.equal((await s.call('GET', `/s/${token}?score=nine`, null)).status, 400);
    const badCsat = await s.call('POST', `/s/${token}`, null, 'csat=9', FORM);
    assert.equal(badCsat.status, 400);
    assert.match(badCsat.text, /csat: &quot;9&quot; is not a whole number from 1 to 5/);

    const expired = await signContactToken(store.db, { w: s.ws.id, c: 'con_old', s: surveyId, v: 1, ch: 'email', em: 'a@example.com', x: inSeconds(-60) });
    const gone = await s.call('GET', `/s/${expired}?score=10`, null);
    assert.equal(gone.status, 410);
    assertPageHeaders(gone);
    assert.match(gone.text, /<h1>This survey link has expired<\/h1>/);
    assert.match(gone.text, /Error 410/);
    const forged = await s.call('GET', `/s/${token.slice(0, -4)}AAAA?score=10`, null);
    assert.equal(forged.status, 401);
    assert.match(forged.text, /This link is not valid/);
    assert.equal((await answers(s)).length, 1, 'neither created an answer');

    // Survey wording and company names are text, never markup.
    const hostile = await createSurvey(s, { name: 'Hostile', companyName: `Acme ${XSS}`, texts: { en: { question: `Really? ${XSS}` } } });
    const hostileToken = await signContactToken(store.db, { w: s.ws.id, c: 'con_xss', s: hostile, v: 1, ch: 'email', x: inSeconds(3600) });
    const escaped = await s.call('GET', `/s/${hostileToken}`, null);
    assert.equal(escaped.status, 200);
    assert.ok(!escaped.text.includes(XSS), 'raw markup in the page');
    assert.match(escaped.text, /<h1 id="q">Really\? &lt;img src=x onerror=alert\(1\)&gt;<\/h1>/);
  } finally {
    await s.close();
  }
});

forEachBackend('pages: unsubscribing by the confirmation page and by RFC 8058 one-click, also from expired links', async (store) => {
  const s = await startServer(store);
  try {
    const surveyId = await createSurvey(s, { name: 'NPS', companyName: 'Acme' });
    const eligibility = async (email: string) =>
      (await s.call('GET', `/api/v1/eligibility?surveyId=${surveyId}&channel=email&email=${encodeURIComponent(email)}`, s.ws.secretKey)).json;
    assert.equal((await eligibility('a@example.com')).ask, true);

    const token = await signContactToken(store.db, { w: s.ws.id, c: 'con_u1', s: surveyId, v: 1, ch: 'email', em: 'a@example.com', x: inSeconds(3600) });
    const confirm = await s.call('GET', `/u/${token}`, null);
    assert.equal(confirm.status, 200);
    assertPageHeaders(confirm);
    assert.match(confirm.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
    assert.match(confirm.text, /Unsubscribe from Acme surveys\?/);
    assert.match(confirm.text, /<form method="post" action="\/u\/[^"]+"><button class="go" type="submit">Unsubscribe<\/button><\/form>/);
    assert.equal((await eligibility('a@example.com')).ask, true, 'opening the page unsubscribes nobody');
    const done = await s.call('POST', `/u/${token}`, null, '', FORM);
    assert.equal(done.status, 200, done.text);
    assert.match(done.text, /You are unsubscribed/);
    const a = await eligibility('a@example.com');
    assert.equal(a.code, 'unsubscribed');
    assert.match(a.reason, /\(email link\)/);

    // One-click from a mail client, on a link whose survey part has long expired.
    const old = await signContactToken(store.db, { w: s.ws.id, c: 'con_u2', s: surveyId, v: 1, ch: 'email', em: 'b@example.com', x: inSeconds(-90 * 86_400) });
    assert.equal((await s.call('GET', `/s/${old}`, null)).status, 410);
    const oneClick = await s.call('POST', `/u/${old}`, null, 'List-Unsubscribe=One-Click', FORM);
    assert.equal(oneClick.status, 200, oneClick.text);
    assert.equal((await eligibility('b@example.com')).code, 'unsubscribed');
    // RFC 8058 prefers multipart/form-data.
    const multi = await signContactToken(store.db, { w: s.ws.id, c: 'con_u3', s: surveyId, v: 1, ch: 'email', em: 'c@example.com', x: inSeconds(3600) });
    const boundary = 'x-boundary-1';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    assert.equal((await s.call('POST', `/u/${multi}`, null, body, { 'content-type': `multipart/form-data; boundary=${boundary}` })).status, 200);
    assert.equal((await eligibility('c@example.com')).code, 'unsubscribed');

    const forged = await s.call('POST', `/u/${token.slice(0, -4)}AAAA`, null, 'List-Unsubscribe=One-Click', FORM);
    assert.equal(forged.status, 401);
    const anonymous = await signContactToken(store.db, { w: s.ws.id, c: 'con_u4', s: surveyId, v: 1, ch: 'web', a: 'anon-1', x: inSeconds(3600) });
    assert.equal((await s.call('POST', `/u/${anonymous}`, null, '', FORM)).status, 400, 'a link without an address has nothing to unsubscribe');
  } finally {
    await s.close();
  }
});

forEachBackend('pages: an SMS short link redirects to the survey page of its contact', async (store) => {
  const s = await startServer(store);
  try {
    const surveyId = await createSurvey(s, { name: 'NPS', tokenTtlDays: 30 });
    const now = Date.now();
    const contact = (id: string, code: string, sentAt: number) => insertContact(store.db, {
      id, workspace_id: s.ws.id, survey_id: surveyId, survey_version: 1, profile_id: null, channel: 'sms', status: 'sent', reason: null,
      user_id: 'user-sms', anonymous_id: null, email: null, phone: '+15550100', short_code: code, properties: '{}', scheduled_at: null,
      contacted_at: sentAt, answered_at: null, answer_id: null, error: null, attempts: 1, created_at: sentAt, updated_at: sentAt,
    });
    await contact('con_sms1', 'Ab3dE5gH7j', now);
    await contact('con_sms2', 'OldOldOld1', now - 31 * 86_400_000);

    const r = await redirectOf(s, '/r/Ab3dE5gH7j');
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const location = r.location!;
    assert.match(location, /^\/s\/[\w-]+\.[\w-]+$/);
    const page = await s.call('GET', `${location}?score=8`, null);
    assert.equal(page.status, 200, page.text);
    const stored = await answers(s);
    assert.deepEqual(stored.map((a) => [a.score, a.channel, a.contactId]), [[8, 'sms', 'con_sms1']]);
    const profile = await s.call('GET', '/api/v1/profiles?userId=user-sms', s.ws.secretKey);
    assert.equal(profile.json.id, stored[0].profileId, 'answered as the person the text went to');

    const expired = await s.call('GET', '/r/OldOldOld1', null);
    assert.equal(expired.status, 410, 'a texted link lasts tokenTtlDays from the text, like the long link');
    const unknown = await s.call('GET', '/r/nope', null);
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /This link is unknown/);
  } finally {
    await s.close();
  }
});

forEachBackend('pages: kiosk and open links, their QR codes, and who may make them', async (store) => {
  const s = await startServer(store);
  try {
    const surveyId = await createSurvey(s, { name: 'NPS' });
    const link = async (body: unknown, key = s.ws.secretKey, headers?: Record<string, string>) => s.call('POST', `/api/v1/surveys/${surveyId}/links`, key, body, headers);

    const kiosk = await link({ kind: 'kiosk', location: 'Store 12' });
    assert.equal(kiosk.status, 201, kiosk.text);
    assert.equal(kiosk.json.kind, 'kiosk');
    assert.equal(kiosk.json.location, 'Store 12');
    assert.ok(kiosk.json.url.startsWith(`${s.url}/k/`), kiosk.json.url);
    // Links are built on the public URL (here the listening address), never on what a request claims.
    const proxied = await link({ kind: 'open' }, s.ws.secretKey, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'surveys.example.com' });
    assert.ok(proxied.json.url.startsWith(`${s.url}/o/`), proxied.json.url);
    assert.equal(proxied.json.location, null);

    assert.equal((await link({ kind: 'kiosk' }, s.ws.writeKey)).status, 403);
    assert.equal((await s.call('GET', `/api/v1/surveys/${surveyId}/qr`, s.ws.writeKey)).status, 403);
    assert.equal((await link({ kind: 'kiosk' }, s.other.secretKey)).status, 404);
    assert.equal((await s.call('GET', `/api/v1/surveys/${surveyId}/qr`, s.other.secretKey)).status, 404);
    assert.equal((await link({ kind: 'poster' })).status, 400);
    assert.equal((await link({ kind: 'open', location: 'x'.repeat(101) })).status, 400);

    // QR codes encode what /links gives.
    const open = await link({ kind: 'open', location: 'Receipt' });
    const svg = await s.call('GET', `/api/v1/surveys/${surveyId}/qr?location=Receipt`, s.ws.secretKey);
    assert.equal(svg.status, 200, svg.text);
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.equal(svg.headers.get('x-survey-url'), open.json.url);
    assert.match(svg.text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="512" height="512"[^>]*>.*<\/svg>\s*$/s);
    const png = await fetch(`${s.url}/api/v1/surveys/${surveyId}/qr?kind=kiosk&location=Store%2012&format=png&size=256`, { headers: { authorization: basic(s.ws.secretKey) } });
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.equal(png.headers.get('x-survey-url'), kiosk.json.url);
    const bytes = Buffer.from(await png.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(bytes.readUInt32BE(16), 256, 'PNG width');
    assert.equal((await s.call('GET', `/api/v1/surveys/${surveyId}/qr?size=64`, s.ws.secretKey)).status, 400);

    // Each use of an open link is a new anonymous respondent.
    const openToken = open.json.url.split('/o/')[1];
    for (const score of [7, 10]) {
      const r = await redirectOf(s, `/o/${openToken}`);
      assert.equal(r.status, 302);
      assert.equal((await s.call('GET', `${r.location}?score=${score}`, null)).status, 200);
    }
    const stored = await answers(s);
    assert.deepEqual(stored.map((a) => [a.score, a.channel, a.properties.location]).sort(), [[10, 'link', 'Receipt'], [7, 'link', 'Receipt']]);
    assert.notEqual(stored[0].profileId, stored[1].profileId);

    const kioskToken = kiosk.json.url.split('/k/')[1];
    const page = await s.call('GET', `/k/${kioskToken}`, null);
    assert.equal(page.status, 200);
    assert.match(page.text, /data-mode="kiosk" data-start="\/api\/v1\/kiosk\/[^"]+\/start" data-reset="8"/);
    const started = await s.call('POST', `/api/v1/kiosk/${kioskToken}/start`, null);
    assert.equal(started.status, 200, started.text);
    assert.notEqual(started.json.token, kioskToken);
    assert.equal((await s.call('POST', `/api/v1/responses/${started.json.token}`, null, { score: 6 })).status, 201);

    // A link of one kind is not the other, and a person's survey link is neither.
    const person = await signContactToken(store.db, { w: s.ws.id, c: 'con_p', s: surveyId, v: 1, ch: 'kiosk', em: 'p@example.com', x: inSeconds(3600) });
    assert.equal((await s.call('GET', `/k/${openToken}`, null)).status, 401);
    assert.equal((await redirectOf(s, `/o/${kioskToken}`)).status, 401);
    assert.equal((await s.call('GET', `/k/${person}`, null)).status, 401);
    const personStart = await s.call('POST', `/api/v1/kiosk/${person}/start`, null);
    assert.equal(personStart.status, 401);
    assert.equal(personStart.json.statusCode, 401, 'API routes answer JSON');
    assert.equal((await s.call('GET', `/s/${kioskToken}?score=5`, null)).status, 401, 'a link token answers nothing by itself');

    // The survey as it is now decides, not as it was when the link was made.
    const current = (await s.call('GET', `/api/v1/surveys/${surveyId}`, s.ws.secretKey)).json.survey.definition;
    await s.call('PUT', `/api/v1/surveys/${surveyId}`, s.ws.secretKey, { ...current, channels: { ...current.channels, kiosk: { enabled: false, resetSeconds: 8 } } });
    const closed = await s.call('GET', `/k/${kioskToken}`, null);
    assert.equal(closed.status, 410);
    assert.match(closed.text, /This survey is closed here/);
    assert.equal((await s.call('POST', `/api/v1/kiosk/${kioskToken}/start`, null)).status, 410);
    assert.equal((await redirectOf(s, `/o/${openToken}`)).status, 302, 'open links are a channel of their own');
    await s.call('PUT', `/api/v1/surveys/${surveyId}`, s.ws.secretKey, { ...current, status: 'paused' });
    assert.equal((await redirectOf(s, `/o/${openToken}`)).status, 410);

    const doc = (await s.call('GET', '/openapi.json', null)).json;
    for (const path of ['/s/{token}', '/u/{token}', '/r/{code}', '/k/{token}', '/o/{token}', '/api/v1/kiosk/{token}/start', '/api/v1/surveys/{id}/links', '/api/v1/surveys/{id}/qr']) {
      assert.ok(Object.values(doc.paths[path] ?? {}).some((op: any) => op.summary), `${path} in /openapi.json`);
    }
  } finally {
    await s.close();
  }
});

// ---------------------------------------------------------------------------------------------
// In the browser

// Console errors (CSP violations among them) named by their source, and any 4xx too: a survey page
// a respondent opens makes no request that fails.
const STRICT: WatchOptions = { consoleAt: 'source', httpFrom: 400 };

const isResponse = (r: { url(): string; request(): { method(): string } }) => r.request().method() === 'POST' && /\/api\/v1\/responses\/[^/]+$/.test(new URL(r.url()).pathname);

describe('hosted survey pages in Chromium', { skip: NO_BROWSER }, () => {
  let store: Store;
  let s: TestServer;
  let browser: Browser;

  before(async () => {
    store = await backends()[0].open();
    s = await startServer(store);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    await store?.close();
  });

  it('kiosk at 1024 px: answers, thanks, starts over for the next person, and again after a walk-away', async () => {
    const surveyId = await createSurvey(s, { name: 'Kiosk NPS', companyName: 'Acme', brandColor: '#0f766e', channels: { kiosk: { resetSeconds: 2 } } });
    const { json } = await s.call('POST', `/api/v1/surveys/${surveyId}/links`, s.ws.secretKey, { kind: 'kiosk', location: 'Store 12' });
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'en-US', hasTouch: true });
    const page = await context.newPage();
    const problems = watch(page, STRICT);
    await page.clock.install(); // real time until fast-forwarded
    await page.goto(json.url);
    const question = page.getByRole('heading', { name: 'How likely are you to recommend Acme to a friend or colleague?' });
    await question.waitFor();
    const sizes = await page.locator('.sc').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.width, r.height]));
    assert.ok(sizes.every(([w, h]) => w >= 60 && h >= 60), `touch targets: ${JSON.stringify(sizes)}`);
    await page.screenshot({ path: join(artifactsDir(), 'kiosk-1024.png') });

    let answered = page.waitForResponse(isResponse);
    await page.getByRole('button', { name: '10, Extremely likely' }).tap();
    assert.equal((await answered).status(), 201);
    await page.screenshot({ path: join(artifactsDir(), 'kiosk-1024-followup.png') });
    await page.getByLabel('What do you like most about Acme?').fill('Friendly staff');
    answered = page.waitForResponse(isResponse);
    await page.getByRole('button', { name: 'Send' }).tap();
    assert.equal((await answered).status(), 200);
    await page.getByRole('heading', { name: 'Thank you! We are glad you are happy.' }).waitFor();
    assert.equal(await question.isVisible(), false);
    assert.equal(await page.getByRole('link').count(), 0, 'no links off a kiosk');
    const thanked = Date.now();
    await question.waitFor({ timeout: 10_000 });
    assert.ok(Date.now() - thanked >= 1_500, 'starts over after resetSeconds');
    assert.equal(await page.getByRole('button', { name: '10, Extremely likely' }).getAttribute('aria-pressed'), 'false');
    assert.equal(await page.locator('#comment').inputValue(), '');

    answered = page.waitForResponse(isResponse);
    await page.getByRole('button', { name: '2', exact: true }).tap();
    assert.equal((await answered).status(), 201);
    await page.getByLabel('We are sorry to hear that. What disappointed you?').waitFor();
    await page.getByLabel('We are sorry to hear that. What disappointed you?').fill('Never sent');
    await page.clock.fastForward(30_000);
    assert.equal(await page.locator('#s2').isVisible(), true, 'still answering after 30 s');
    await page.clock.fastForward(61_000);
    await page.locator('#s2').waitFor({ state: 'hidden' });
    assert.equal(await question.isVisible(), true);

    await page.setViewportSize({ width: 768, height: 1024 }); // the tablet turned to portrait
    const portrait = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      boxes: [...document.querySelectorAll('.sc')].map((b) => b.getBoundingClientRect()).map((r) => [r.width, r.height]),
    }));
    assert.ok(portrait.scrollWidth <= 768 && portrait.boxes.every(([w, h]) => w >= 48 && h >= 60), JSON.stringify(portrait));
    await page.screenshot({ path: join(artifactsDir(), 'kiosk-768-portrait.png') });

    const stored = (await answers(s)).filter((a) => a.surveyId === surveyId);
    assert.deepEqual(stored.map((a) => [a.score, a.comment, a.channel, a.properties.location]).sort(), [[10, 'Friendly staff', 'kiosk', 'Store 12'], [2, null, 'kiosk', 'Store 12']]);
    assert.notEqual(stored[0].profileId, stored[1].profileId, 'each respondent is an anonymous visitor of their own');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('link page at 390 px: keyboard only, a hostile comment stays text, promoters get the review link', async () => {
    const surveyId = await createSurvey(s, { name: 'NPS', companyName: 'Acme', csat: true, promoterLink: { url: 'https://reviews.example/acme', label: 'Review us' } });
    const token = await signContactToken(store.db, { w: s.ws.id, c: 'con_browser1', s: surveyId, v: 1, ch: 'email', em: 'k@example.com', x: inSeconds(3600) });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
    const page = await context.newPage();
    const problems = watch(page, STRICT);
    await page.goto(`${s.url}/s/${token}`);
    await page.getByRole('group', { name: 'How likely are you to recommend Acme to a friend or colleague?' }).waitFor();
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      boxes: [...document.querySelectorAll('.sc')].map((b) => b.getBoundingClientRect()).map((r) => [r.width, r.height, r.right]),
    }));
    assert.ok(layout.scrollWidth <= 390, `scrolls sideways: ${layout.scrollWidth}`);
    assert.ok(layout.boxes.every(([w, h, right]) => w >= 24 && h >= 44 && right <= 390), JSON.stringify(layout.boxes));
    await page.screenshot({ path: join(artifactsDir(), 'link-page-390.png') });

    for (let i = 0; i < 10; i++) await page.keyboard.press('Tab'); // 0 … 9
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), '9');
    let answered = page.waitForResponse(isResponse);
    await page.keyboard.press('Enter');
    assert.equal((await answered).status(), 201);
    await page.waitForFunction(() => document.activeElement?.id === 'comment');
    assert.equal(page.url(), `${s.url}/s/${token}`, 'answered without leaving the page');
    await page.screenshot({ path: join(artifactsDir(), 'link-page-390-followup.png') });
    await page.keyboard.type(XSS);
    await page.keyboard.press('Tab'); // CSAT 1
    await page.keyboard.press('ArrowRight'); // CSAT 2
    await page.keyboard.press('ArrowRight'); // CSAT 3
    await page.keyboard.press('Tab'); // Send
    answered = page.waitForResponse(isResponse);
    await page.keyboard.press('Enter');
    assert.equal((await answered).status(), 200);
    await page.waitForFunction(() => document.activeElement?.id === 'ty');
    assert.equal(await page.locator('#ty').textContent(), 'Thank you! We are glad you are happy.');
    const review = page.getByRole('link', { name: 'Review us' });
    assert.equal(await review.getAttribute('href'), 'https://reviews.example/acme');
    assert.equal(await page.locator('img').count(), 0);
    await page.screenshot({ path: join(artifactsDir(), 'link-page-390-thanks.png') });

    const stored = (await answers(s)).filter((a) => a.surveyId === surveyId);
    assert.deepEqual(stored.map((a) => [a.score, a.comment, a.csat]), [[9, XSS, 3]]);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('link page without JavaScript: score links and the form post work; QR SVG is well-formed XML', async () => {
    const surveyId = await createSurvey(s, { name: 'NPS', companyName: 'Acme' });
    const token = await signContactToken(store.db, { w: s.ws.id, c: 'con_nojs', s: surveyId, v: 1, ch: 'email', x: inSeconds(3600) });
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, javaScriptEnabled: false });
    const page = await context.newPage();
    const problems = watch(page, STRICT);
    await page.goto(`${s.url}/s/${token}`);
    await page.getByRole('link', { name: '4', exact: true }).click();
    await page.waitForURL(/\?score=4$/);
    await page.getByLabel('We are sorry to hear that. What disappointed you?').fill(`No script ${XSS}`);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('heading', { name: 'Thank you for telling us. We will look into it.' }).waitFor();
    const stored = (await answers(s)).filter((a) => a.surveyId === surveyId);
    assert.deepEqual(stored.map((a) => [a.score, a.comment]), [[4, `No script ${XSS}`]]);
    assert.deepEqual(problems, []);
    await context.close();

    const svg = await s.call('GET', `/api/v1/surveys/${surveyId}/qr`, s.ws.secretKey);
    const check = await browser.newPage();
    const parsed = await check.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? null, root: doc.documentElement.nodeName };
    }, svg.text);
    assert.deepEqual(parsed, { error: null, root: 'svg' });
    await check.close();
  });
});
