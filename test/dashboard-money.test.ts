/**
 * Money, counts and dates on the dashboard in the workspace's currency and locale, not the
 * browser's: a demo workspace set to EUR / de-DE (the browser stays en-US) shows euros with German
 * digit grouping on the impact and profile pages, and no money without its currency. Photographed
 * at 1280 and 390 px into test-artifacts/. SQLite only, like the other browser tests.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createDemoWorkspace, type DemoWorkspace } from '../src/demo/load.ts';
import { buildApp } from '../src/http/app.ts';
import { addMember } from '../src/store/accounts.ts';
import type { Store } from '../src/store/db.ts';
import { artifactsDir, backends } from './helpers/backends.ts';
import { launchChromium, NO_BROWSER, signIn, watch, webBuild } from './helpers/browser.ts';
import { keyedCaller, type Call } from './helpers/server.ts';

const DAY = 86_400_000;
// Euros as de-DE writes them: "1.380,50 €" (a no-break space before the sign).
const EUROS = /^-?\d{1,3}(\.\d{3})*,\d{2}\s€$/;
// Money without its currency, as the pages used to write it ("146.00", "spent only 119").
const BARE_MONEY = /\$|\bUSD\b|(?<![\d.,]|p [=<] )\d+\.\d{2}(?![\d€])|\bspent (only )?(?![\d.,]+\s€)\d/i;

interface Server { url: string; store: Store; demo: DemoWorkspace; admin: { email: string; password: string }; call: Call; close(): Promise<void> }
let server: Server;

before(async () => {
  await webBuild();
  const store = await backends()[0].open();
  const demo = await createDemoWorkspace(store, { customers: 500, quiet: true });
  const admin = { email: 'money@example.com', password: 'correct horse battery staple' };
  assert.equal((await addMember(store.db, demo.workspaceId, { email: admin.email, name: 'Mona Money', role: 'admin', password: admin.password })).status, 'created');
  const { app, services: { writer } } = await buildApp({ store });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  server = { url, store, demo, admin, call: keyedCaller(url, writer), async close() { await app.close(); await store.close(); } };
});

after(async () => {
  await server?.close();
});

describe('money on the dashboard in the workspace currency', { skip: NO_BROWSER }, () => {
  let browser: Browser;
  let buyer: string;

  before(async () => {
    browser = await launchChromium();
    const key = server.demo.secretKey;
    const put = await server.call('PUT', '/api/v1/settings/workspace', key, { currency: 'EUR', locale: 'de-DE', timeZone: 'Europe/Berlin' });
    assert.equal(put.status, 200, put.text);
    // A customer whose money is known to the cent: two orders, 1,234.50 and 146.00.
    const at = (days: number) => new Date(Date.now() - days * DAY).toISOString();
    const batch = await server.call('POST', '/v1/batch', server.demo.writeKey, { batch: [
      { type: 'identify', userId: 'money-check', traits: { name: 'Greta Geld', email: 'greta@example.com' }, timestamp: at(200) },
      { type: 'track', userId: 'money-check', event: 'Order Completed', properties: { revenue: 1234.5, order_id: 'o-1' }, timestamp: at(40) },
      { type: 'track', userId: 'money-check', event: 'Order Completed', properties: { revenue: 146, order_id: 'o-2' }, timestamp: at(10) },
    ] });
    assert.equal(batch.status, 200, batch.text);
    const profile = await server.call('GET', '/api/v1/profiles?userId=money-check', key);
    assert.equal(profile.status, 200, profile.text);
    buyer = profile.json.id;
    const model = await server.call('POST', '/api/v1/churn/model', key);
    assert.equal(model.status, 201, model.text);
  });

  after(async () => {
    await browser?.close();
  });

  async function open(width: number): Promise<{ page: Page; problems: string[] }> {
    // The browser speaks American English: what the page shows must come from the workspace.
    const context = await browser.newContext({ viewport: { width, height: 900 }, locale: 'en-US', timezoneId: 'America/Los_Angeles', reducedMotion: 'reduce' });
    const page = await context.newPage();
    const problems = watch(page);
    await signIn(page, `${server.url}/app`, server.admin);
    return { page, problems };
  }

  const shot = (page: Page, name: string, width: number) => page.screenshot({ path: join(artifactsDir(), `dashboard-money-${name}-${width}.png`), fullPage: true });

  it('shows euros with German grouping on the impact page, in the behaviour table, its findings and the churn reasons', { timeout: 120_000 }, async () => {
    for (const width of [1280, 390]) {
      const { page, problems } = await open(width);
      await page.goto(`${server.url}/app/impact`);
      const behaviour = page.locator('#behaviour');
      await behaviour.getByRole('table').waitFor();
      await page.locator('#churn').getByText('Out-of-sample AUC').waitFor();
      await page.locator('#churn table').waitFor();

      // Every cell of the revenue column is euros, written as de-DE writes them.
      const header = await behaviour.locator('thead th').allInnerTexts();
      const col = header.indexOf('Revenue per customer');
      assert.ok(col >= 0, header.join(' | '));
      const cells = await behaviour.locator(`tbody tr > :nth-child(${col + 1})`).allInnerTexts();
      assert.equal(cells.length, 3);
      for (const c of cells) assert.match(c.trim(), EUROS, `revenue per customer "${c}"`);
      const findings = await behaviour.locator('ul li').allInnerTexts();
      // The demo's size decides whether there are enough detractors to compare; when there are, in euros.
      const spending = findings.find((f) => /spent/.test(f));
      if (spending) assert.match(spending, /spent \d{1,3}(\.\d{3})*,\d{2}\s€ per customer and promoters \d{1,3}(\.\d{3})*,\d{2}\s€/);
      // Counts and decimals in the locale too: orders per customer "1,25", not "1.25".
      const orders = await behaviour.locator(`tbody tr > :nth-child(${header.indexOf('Orders per customer') + 1})`).allInnerTexts();
      for (const o of orders) assert.match(o.trim(), /^\d+,\d{2}$/);

      const reasons = await page.locator('#churn tbody td:nth-child(3)').allInnerTexts();
      assert.ok(reasons.length > 0);
      for (const r of reasons) {
        assert.doesNotMatch(r, /last answered|latest answer by/i, 'no jargon, no reason read backwards');
        if (/Spent/.test(r)) assert.match(r, /Spent (only )?[\d.,]+\s€/, r);
      }
      const text = await page.locator('main').innerText();
      assert.doesNotMatch(text, BARE_MONEY, 'no money without its currency');
      await shot(page, 'impact', width);
      assert.deepEqual(problems, []);
      await page.context().close();
    }
  });

  it('shows a person\'s lifetime value and orders in euros, and their days in the workspace\'s time zone', { timeout: 120_000 }, async () => {
    for (const width of [1280, 390]) {
      const { page, problems } = await open(width);
      await page.goto(`${server.url}/app/people/${buyer}`);
      await page.getByRole('heading', { level: 1, name: 'Greta Geld' }).waitFor();
      const computed = page.locator('section[aria-labelledby=h-computed]');
      await computed.getByText('Lifetime revenue').waitFor();
      const lifetime = await computed.locator('dt', { hasText: 'Lifetime revenue' }).locator('xpath=following-sibling::dd[1]').innerText();
      assert.match(lifetime, /^1\.380,50\s€$/, 'the two orders, in euros, German grouping');
      const timeline = page.locator('ol.timeline');
      await timeline.locator('li').first().waitFor();
      await timeline.getByText(/revenue: 1\.234,50\s€/).waitFor();
      await timeline.getByText(/revenue: 146,00\s€/).waitFor();
      // Dates as de-DE writes them ("12. März 2026, 14:05"), not the browser's en-US.
      const times = await timeline.locator('time').allInnerTexts();
      for (const t of times) assert.match(t, /^\d{1,2}\. \S+ \d{4}, \d{2}:\d{2}$/, t);
      const text = await page.locator('main').innerText();
      assert.doesNotMatch(text, BARE_MONEY, 'no money without its currency');
      await shot(page, 'profile', width);
      assert.deepEqual(problems, []);
      await page.context().close();
    }
  });
});
