import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Store } from '../src/store/db.ts';
import { artifactsDir, backends } from './helpers/backends.ts';
import { launchChromium, NO_BROWSER, watch, webBuild } from './helpers/browser.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { addUser, signIn as apiSignIn, type TestUser } from './helpers/sign-in.ts';

process.env.ADVOCATE_CLOCK_MS = '3600000';

/** Editing the workspace's themes on the Themes page: rename, add, remove, refusals, roles. */
describe('the theme editor in Chromium', { skip: NO_BROWSER }, () => {
  let browser: Browser;
  let store: Store;
  let s: TestServer;
  let analyst: TestUser;
  let viewer: TestUser;

  before(async () => {
    await webBuild();
    store = await backends()[0].open();
    s = await startServer(store);
    analyst = await addUser(store, s.ws.id, 'analyst');
    viewer = await addUser(store, s.ws.id, 'viewer');
    let n = 0;
    const post = async (score: number, comment: string | null) => {
      const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `p${n++}` }, score, channel: 'web', ...(comment ? { comment } : {}) });
      assert.equal(r.status, 201, r.text);
    };
    for (let i = 0; i < 14; i++) await post(i % 4, `The delivery was late, waited ${i + 3} days for my parcel`);
    for (let i = 0; i < 12; i++) await post(10, 'The staff in the shop were friendly and helpful');
    for (let i = 0; i < 20; i++) await post(i % 3 ? 9 : 8, null);
    // No theme knows wrapping yet; the three about wrapping paper are kept out by an exception.
    for (let i = 0; i < 6; i++) await post(4, `The gift wrapping was torn (${i})`);
    for (let i = 0; i < 3; i++) await post(10, 'Lovely wrapping paper');
    await s.tick();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await s?.close();
    await store?.close();
  });

  async function open(who: TestUser): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', reducedMotion: 'reduce' });
    const signIn = await context.request.post(`${s.url}/api/v1/session`, { data: { email: who.email, password: who.password } });
    assert.equal(signIn.status(), 200);
    await context.addInitScript(() => localStorage.setItem('advocate.signedIn', '1'));
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${s.url}/app/themes?range=all`);
    await page.locator('tbody tr[data-theme]').first().waitFor();
    return { context, page, problems };
  }

  const themesNow = async () => (await s.call('GET', '/api/v1/themes', s.ws.secretKey)).json as { version: number; themes: Array<{ id: string; name: string; terms: string[]; exclusions: string[] }> };
  const rankedIds = (page: Page) => page.locator('tbody tr[data-theme]').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.theme));

  /**
   * Texts the page showed at any moment, however briefly: the save button while saving, and the
   * sorting's progress, are gone again by the time a locator would look.
   */
  async function recordTexts(page: Page) {
    // A string, not a function: tsx would name the function with a helper the page does not have.
    await page.evaluate(`(() => {
      window.seen = [];
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-sorting], p[data-saved], form button[type=submit][disabled]')) window.seen.push(el.tagName + ': ' + el.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    return () => page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  }

  it('renames, adds and removes themes, shows the server\'s refusals with the edits kept, and lists the versions', { timeout: 180_000 }, async () => {
    const { context, page, problems } = await open(analyst);
    try {
      assert.deepEqual(await rankedIds(page), ['delivery', 'staff']);
      // The built-in themes' version: each save makes the next.
      const builtIn = (await themesNow()).version;
      const manage = page.locator('#manage');
      const saved = manage.locator('p[data-saved]');

      // Rename: the ranking and the filter bar name it anew, the id (and so its history) stays. The
      // name is typed text, markup and all, wherever it shows.
      const renamed = 'Shop floor <i>team</i>';
      await manage.getByRole('button', { name: 'Edit themes' }).click();
      assert.equal(await manage.getByRole('button', { name: 'Save themes' }).isDisabled(), true, 'nothing to save yet');
      const staff = manage.locator('fieldset[data-theme-id="staff"]');
      await staff.getByLabel('Name', { exact: true }).fill(renamed);
      assert.equal(await staff.locator('legend').innerText(), renamed);
      await manage.getByRole('button', { name: 'Save themes' }).click();
      await saved.filter({ hasText: `Saved as version ${builtIn + 1}.` }).waitFor();
      const staffRow = page.locator('tbody tr[data-theme="staff"] th');
      await staffRow.filter({ hasText: renamed }).waitFor({ timeout: 20_000 });
      assert.equal(await staffRow.innerText(), renamed);
      assert.equal(await staffRow.locator('i').count(), 0, 'no element from a name');
      await page.waitForFunction((name) => document.querySelector('#f-theme option[value="staff"]')?.textContent === name, renamed, { timeout: 20_000 });
      assert.equal((await themesNow()).themes.find((t) => t.id === 'staff')?.name, renamed);

      // Add: an id made from the name, as adopting makes it; terms and an exception, one a line.
      await manage.getByRole('button', { name: 'Edit themes' }).click();
      await manage.getByRole('button', { name: 'Add a theme' }).click();
      const added = manage.locator('fieldset[data-new-theme]');
      assert.equal(await page.evaluate(() => document.activeElement?.id), await added.getByLabel('Name', { exact: true }).getAttribute('id'), 'the new theme\'s name has the focus');
      await added.getByLabel('Name', { exact: true }).fill('Gift wrapping');
      assert.equal(await added.getByLabel('Id', { exact: true }).inputValue(), 'gift-wrapping');
      await added.getByLabel('Words and phrases that mention it').fill('wrapping');
      await added.getByLabel('Except in these phrases').fill('wrapping paper');
      assert.match(await manage.locator('form').innerText(), /A term matches whole words in any of their forms/, 'the matching rule is shown');
      const seen = await recordTexts(page);
      await manage.getByRole('button', { name: 'Save themes' }).click();
      await page.locator('tbody tr[data-theme="gift-wrapping"]').waitFor({ timeout: 20_000 });
      const row = page.locator('tbody tr[data-theme="gift-wrapping"]');
      assert.equal(await row.locator('th').innerText(), 'Gift wrapping');
      // Six comments mention the wrapping; the three about wrapping paper do not count.
      assert.match(await row.locator('td').nth(2).innerText(), /^6\s/);
      const drivers = (await s.call('GET', '/api/v1/metrics/drivers', s.ws.secretKey)).json;
      assert.equal(drivers.themes.find((t: { id: string }) => t.id === 'gift-wrapping')?.mentions, 6);
      await saved.filter({ hasText: `Saved as version ${builtIn + 2}. Every stored comment is sorted under it.` }).waitFor({ timeout: 20_000 });
      const shown = await seen();
      assert.ok(shown.some((t) => /^BUTTON: Saving…$/.test(t)), `save disabled while saving: ${shown.join(' | ')}`);
      assert.ok(shown.some((t) => new RegExp(`Sorting the stored comments under version ${builtIn + 2} of the themes: \\d+ of 35 \\(\\d+%\\)`).test(t)), `the sorting's progress: ${shown.join(' | ')}`);
      await page.waitForFunction(() => document.querySelector('#f-theme option[value="gift-wrapping"]')?.textContent === 'Gift wrapping', null, { timeout: 20_000 });

      // Refused: a new theme given an id another has. The server's message shows, pointing at the
      // input it names, and every edit is still there to fix.
      await manage.getByRole('button', { name: 'Edit themes' }).click();
      const delivery = manage.locator('fieldset[data-theme-id="delivery"]');
      await delivery.getByLabel('Name', { exact: true }).fill('Parcels and post');
      await manage.getByRole('button', { name: 'Add a theme' }).click();
      const courier = manage.locator('fieldset[data-new-theme]');
      await courier.getByLabel('Name', { exact: true }).fill('Couriers');
      await courier.getByLabel('Id', { exact: true }).fill('delivery');
      await courier.getByLabel('Words and phrases that mention it').fill('courier, van driver');
      await manage.getByRole('button', { name: 'Save themes' }).click();
      const refusal = manage.getByRole('alert');
      await refusal.waitFor();
      const index = (await themesNow()).themes.length;
      assert.match(await refusal.innerText(), new RegExp(`body\\.themes\\.${index}\\.id: "delivery" is given twice`));
      assert.match(await refusal.innerText(), new RegExp(`That is theme ${index + 1}, “Couriers”, its id\\. Your edits are still here\\.`));
      const idInput = courier.getByLabel('Id', { exact: true });
      assert.equal(await idInput.getAttribute('aria-invalid'), 'true');
      assert.equal(await page.evaluate(() => document.activeElement?.id), await idInput.getAttribute('id'), 'the named input has the focus');
      assert.match(await courier.locator('p.error').innerText(), /"delivery" is given twice/);
      assert.equal(await delivery.getByLabel('Name', { exact: true }).inputValue(), 'Parcels and post');
      assert.equal(await courier.getByLabel('Name', { exact: true }).inputValue(), 'Couriers');
      assert.equal(await courier.getByLabel('Words and phrases that mention it').inputValue(), 'courier, van driver');
      assert.equal(await manage.getByRole('button', { name: 'Save themes' }).isEnabled(), true);
      await manage.screenshot({ path: join(artifactsDir(), 'theme-editor-refused.png') });

      // Refused again, by the schema this time: a theme without a single word.
      await idInput.fill('couriers');
      await courier.getByLabel('Words and phrases that mention it').fill(' , \n');
      await manage.getByRole('button', { name: 'Save themes' }).click();
      await refusal.filter({ hasText: `body.themes.${index}.terms` }).waitFor();
      assert.equal(await courier.getByLabel('Words and phrases that mention it').getAttribute('aria-invalid'), 'true');
      assert.equal(await idInput.inputValue(), 'couriers');
      assert.equal((await themesNow()).version, builtIn + 2, 'nothing saved');
      // Discarding asks first, then leaves the themes as they were.
      await manage.getByRole('button', { name: 'Discard changes' }).click();
      await manage.getByRole('button', { name: 'Discard my edits' }).click();
      await manage.getByRole('button', { name: 'Edit themes' }).waitFor();
      assert.equal(await page.locator('tbody tr[data-theme="delivery"] th').innerText(), 'Delivery and shipping');

      // Remove, asked twice: the theme leaves the ranking (undo is offered until saved).
      await manage.getByRole('button', { name: 'Edit themes' }).click();
      await delivery.getByRole('button', { name: 'Remove theme' }).click();
      await delivery.getByRole('button', { name: 'Remove “Delivery and shipping”' }).click();
      await delivery.waitFor({ state: 'detached' });
      assert.match(await manage.locator('[data-removed]').innerText(), /Removed when you save: Delivery and shipping \(undo\)/);
      await manage.getByRole('button', { name: 'Save themes' }).click();
      await saved.filter({ hasText: `Saved as version ${builtIn + 3}. Every stored comment is sorted under it.` }).waitFor({ timeout: 20_000 });
      await page.locator('tbody tr[data-theme="delivery"]').waitFor({ state: 'detached', timeout: 20_000 });
      assert.deepEqual((await rankedIds(page))?.sort(), ['gift-wrapping', 'staff']);
      assert.equal((await themesNow()).themes.some((t) => t.id === 'delivery'), false);

      // The versions, newest first, each with when, who and how many themes.
      await manage.getByText(/^Versions \(4\)$/).click();
      const count = (await themesNow()).themes.length;
      const versions = manage.locator('li[data-version]');
      assert.deepEqual(await versions.evaluateAll((lis) => lis.map((li) => Number((li as HTMLElement).dataset.version))), [builtIn + 3, builtIn + 2, builtIn + 1, builtIn]);
      assert.match(await versions.first().innerText(), new RegExp(`^Version ${builtIn + 3} \\(current\\), saved .+ by you: ${count} themes Show its words$`));
      assert.equal(await versions.last().innerText(), `The built-in themes (version ${builtIn} in this release) Show its words`);
      // Going back: an older version shown whole, an edit started from it, saved as the newest.
      const older = manage.locator(`li[data-version="${builtIn + 2}"]`);
      await older.getByRole('button', { name: 'Show its words' }).click();
      await older.locator('tr[data-theme-id="delivery"]').waitFor();
      assert.equal(await older.locator('tr[data-theme-id="delivery"] th').innerText(), 'Delivery and shipping');
      assert.equal(await versions.first().getByRole('button', { name: /^Edit from/ }).count(), 0, 'the current version is edited with Edit themes');
      await page.screenshot({ path: join(artifactsDir(), 'theme-editor.png'), fullPage: true });
      await older.getByRole('button', { name: `Edit from version ${builtIn + 2}` }).click();
      assert.match(await manage.locator('[data-from]').innerText(), new RegExp(`^Starting from version ${builtIn + 2}\\. .*version ${builtIn + 3} stays`));
      assert.equal(await manage.locator('fieldset[data-theme-id="delivery"] legend').innerText(), 'Delivery and shipping');
      await manage.getByRole('button', { name: 'Save themes' }).click();
      await saved.filter({ hasText: `Saved as version ${builtIn + 4}.` }).waitFor({ timeout: 20_000 });
      const restored = (await s.call('GET', `/api/v1/themes/versions/${builtIn + 2}`, s.ws.secretKey)).json;
      assert.deepEqual((await themesNow()).themes, restored.themes, 'the current themes are those of the older version');
      await page.locator('tbody tr[data-theme="delivery"]').waitFor({ timeout: 20_000 });
      // On a phone the form scrolls down, never across.
      await page.setViewportSize({ width: 375, height: 800 });
      await manage.getByRole('button', { name: 'Edit themes' }).click();
      await manage.getByRole('button', { name: 'Add a theme' }).waitFor();
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth) <= 1, 'the editor is wider than a phone');
      // Chromium logs each refused request to the console: the two refusals asked for, nothing else.
      assert.deepEqual(problems.map((p) => (isRefusalLog(p) ? 'the 400 asked for' : p)), ['the 400 asked for', 'the 400 asked for']);
    } catch (err) {
      // What the page showed when it failed, and what went wrong in it.
      await page.screenshot({ path: join(artifactsDir(), 'theme-editor-failed.png'), fullPage: true });
      if (problems.length) console.error(problems);
      throw err;
    } finally {
      await context.close();
    }
  });

  it('shows a viewer the themes and their words, without a way to change them; the server refuses them anyway', { timeout: 60_000 }, async () => {
    const { context, page, problems } = await open(viewer);
    try {
      const manage = page.locator('#manage');
      await manage.getByText(/your role here is viewer/).waitFor();
      assert.equal(await manage.getByRole('button', { name: 'Edit themes' }).count(), 0);
      await manage.getByText('The words of each theme').click();
      const rows = await manage.locator('table.theme-words tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c as HTMLElement).innerText)));
      assert.deepEqual(rows, (await themesNow()).themes.map((t) => [t.name, t.terms.join(', '), t.exclusions.join(', ') || '–']));
      const me = await apiSignIn(s, viewer.email, viewer.password);
      const put = await me.call('PUT', '/api/v1/themes', { themes: [{ id: 'x', name: 'X', terms: ['x'] }] });
      assert.equal(put.status, 403, put.text);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});

/** How Chromium logs a request refused with 400 (it names neither the method nor the path). */
const isRefusalLog = (p: string) => /^console\.error: Failed to load resource: the server responded with a status of 400 \(Bad Request\)/.test(p);
