import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Store } from '../src/store/db.ts';
import { DEFAULT_TAXONOMY } from '../src/text/taxonomy.ts';
import { artifactsDir, backends } from './helpers/backends.ts';
import { launchChromium, NO_BROWSER, watch, webBuild } from './helpers/browser.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { addUser, type TestUser } from './helpers/sign-in.ts';

process.env.ADVOCATE_CLOCK_MS = '3600000';

describe('the Themes page in Chromium', { skip: NO_BROWSER }, () => {
  let browser: Browser;
  let store: Store;
  let s: TestServer;
  let admin: TestUser;
  // Markup a customer typed: it must reach the page as the words typed.
  const HOSTILE = 'The delivery was <img src=x onerror="window.__xss=1"> late <b>again</b>';

  before(async () => {
    await webBuild();
    store = await backends()[0].open();
    s = await startServer(store);
    admin = await addUser(store, s.ws.id, 'admin');
    let n = 0;
    const post = async (score: number, comment: string | null, channel = 'web') => {
      const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `p${n++}` }, score, channel, ...(comment ? { comment } : {}) });
      assert.equal(r.status, 201, r.text);
    };
    for (let i = 0; i < 14; i++) await post(i % 4, `The delivery was late, waited ${i + 3} days for my parcel`, i % 2 ? 'email' : 'web');
    await post(1, HOSTILE);
    for (let i = 0; i < 12; i++) await post(10, 'The staff in the shop were friendly and helpful');
    for (let i = 0; i < 30; i++) await post(i % 3 ? 9 : 8, null);
    // Something no theme knows yet: discovered, then adopted on the page.
    for (let i = 0; i < 6; i++) await post(5, `They ran out of oat milk again (${i})`);
    await s.tick();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await s?.close();
    await store?.close();
  });

  it('ranks themes by impact with intervals, opens one with highlighted quotes, filters by theme, and shows comments as text', { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', reducedMotion: 'reduce' });
    const signIn = await context.request.post(`${s.url}/api/v1/session`, { data: { email: admin.email, password: admin.password } });
    assert.equal(signIn.status(), 200);
    await context.addInitScript(() => localStorage.setItem('advocate.signedIn', '1'));
    const page = await context.newPage();
    const problems = watch(page);
    try {
      await page.goto(`${s.url}/app/themes?range=all`);
      const rows = page.locator('tbody tr[data-theme]');
      await rows.first().waitFor();
      assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.theme)), ['delivery', 'staff']);
      const first = rows.first();
      assert.equal(await first.locator('th').innerText(), 'Delivery and shipping');
      // The impact with its sign, and its interval drawn with a text alternative.
      const api = (await s.call('GET', '/api/v1/metrics/drivers', s.ws.secretKey)).json;
      const impact = api.themes[0].impact as number;
      assert.match(await first.locator('td').first().innerText(), new RegExp(`^−${Math.abs(impact).toFixed(1)}`));
      assert.match(await first.locator('svg[role=img]').first().getAttribute('aria-label') ?? '', /points, 95% interval/);
      assert.ok(await first.locator('svg.spark').count(), 'a weekly sparkline');

      // Opening the theme: representative quotes with the theme's words marked, by sentiment.
      await first.getByRole('button', { name: 'Delivery and shipping' }).click();
      const detail = page.locator('#theme-detail');
      await detail.waitFor();
      assert.match(page.url(), /open=delivery/);
      const quotes = detail.locator('ul.answers > li');
      assert.equal(await quotes.count(), 3);
      const marks = detail.locator('mark.theme-mark.negative');
      assert.ok(await marks.count() >= 3, 'the mentions are marked as negative');
      assert.match(await marks.first().getAttribute('title') ?? '', /^Delivery and shipping \(negative\)$/);
      assert.equal((await detail.locator('table.compact').first().innerText()).includes('Email'), true, 'by channel');
      await page.screenshot({ path: join(artifactsDir(), 'themes-page.png'), fullPage: true });

      // A theme filter narrows every figure: from the filter bar, and it travels in the URL.
      // The filtered ranking is held back a moment: the unfiltered one stays meanwhile, marked busy and dimmed.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      await page.route(/\/api\/v1\/metrics\/drivers\?.*theme=staff/, async (route) => {
        await held;
        await route.continue();
      });
      await page.locator('#f-theme').selectOption('staff');
      await page.waitForURL(/theme=staff/);
      const busy = page.locator('.async[aria-busy="true"]').filter({ has: page.locator('tbody tr[data-theme="delivery"]') });
      await busy.waitFor();
      assert.equal(await busy.locator('tbody tr[data-theme]').first().evaluate((tr) => getComputedStyle(tr.closest('.async > *')!).opacity), '0.55');
      release();
      await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'), null, { timeout: 10_000 });
      await page.unroute(/\/api\/v1\/metrics\/drivers\?.*theme=staff/);
      assert.deepEqual(await page.locator('tbody tr[data-theme]').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.theme)), ['staff']);

      // Discovered: the oat milk, adopted under a name of our choosing; the ranking gains it once
      // the comments are sorted again in the background.
      await page.goto(`${s.url}/app/themes?range=all`);
      const proposal = page.locator('li[data-discovered="oat milk"]');
      await proposal.waitFor();
      assert.match(await proposal.innerText(), /6 comments/);
      await proposal.getByLabel('Theme name').fill('Milk choices');
      await proposal.getByRole('button', { name: 'Adopt as a theme' }).click();
      await page.locator('tbody tr[data-theme="milk-choices"]').waitFor({ timeout: 20_000 });
      await page.locator('li[data-discovered="oat milk"]').waitFor({ state: 'detached' });
      assert.equal((await s.call('GET', '/api/v1/themes', s.ws.secretKey)).json.version, DEFAULT_TAXONOMY.version + 1);

      // What the customers who wrote about a theme did next: the Impact page's behaviour, by theme.
      await page.goto(`${s.url}/app/impact`);
      await page.locator('#behaviour-theme').selectOption('delivery');
      await page.getByText('No one whose comment mentions Delivery and shipping yet').waitFor();

      // The hostile comment, where every answer is listed (the breakdowns page, by theme): text, not markup.
      await page.goto(`${s.url}/app/breakdowns?range=all&by=theme&row=delivery`);
      const hostile = page.locator('ul.answers li', { hasText: 'onerror' });
      await hostile.waitFor();
      assert.equal(await hostile.locator('img').count(), 0, 'no image element from a comment');
      assert.equal(await hostile.locator('b').count(), 0);
      assert.match(await hostile.locator('p.comment').innerText(), /<img src=x onerror="window.__xss=1"> late <b>again<\/b>/);
      // The marked word, then (for screen readers) which theme and how it was felt.
      assert.match(await hostile.locator('mark.theme-mark').first().innerText(), /^delivery\s*\(Delivery and shipping, \w+\)$/);
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);

      // The sentiment model: none while no passive has written a comment, and the page says what is
      // missing; trained from the page once there are, its held-out figures next to the lexicon's.
      await page.goto(`${s.url}/app/themes?range=all`);
      const model = page.locator('#sentiment-model');
      await model.getByText('No sentiment model yet').waitFor();
      assert.match(await model.innerText(), /at least 10 of each\. There are 21 comments from detractors, 0 from passives and 12 from promoters\./);
      await model.getByRole('button', { name: 'Train now' }).click();
      await model.getByRole('status').filter({ hasText: 'too few comments' }).waitFor();
      assert.match(await model.getByRole('status').innerText(), /short of neutral/);
      // The refusal is an answer (409), which the browser reports on its console.
      problems.splice(0, problems.length, ...problems.filter((p) => !/status of 409/.test(p)));
      for (let i = 0; i < 12; i++) {
        const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `passive${i}` }, score: 7 + (i % 2), comment: `It was fine, nothing special (${i})` });
        assert.equal(r.status, 201, r.text);
      }
      await model.getByRole('button', { name: 'Train now' }).click();
      await model.getByRole('status').filter({ hasText: 'Trained.' }).waitFor();
      const evaluation = model.locator('table[data-model-evaluation]');
      await evaluation.waitFor();
      const trained = (await s.call('GET', '/api/v1/text/model', s.ws.secretKey)).json;
      assert.equal(trained.model.examples, 45);
      assert.match(await model.innerText(), /Learnt from 45 comments/);
      const pct = (x: number) => `${Math.round(x * 100)}%`;
      assert.equal(await evaluation.locator('tr', { hasText: 'Labels right' }).innerText(), `Labels right\t${pct(trained.model.evaluation.accuracy)}\t${pct(trained.model.evaluation.lexiconAccuracy)}`);
      assert.ok(await model.getByRole('button', { name: 'Retrain now' }).isVisible());
      // The stored comments are read again with the new model, and the panel follows until all are.
      await model.getByText('All 45 comments are read by this model.').waitFor({ timeout: 30_000 });
      await model.screenshot({ path: join(artifactsDir(), 'sentiment-model.png') });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
