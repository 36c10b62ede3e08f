/**
 * Chromium for the browser tests, and a watch on what goes wrong in a page. One copy, so that every
 * browser test finds, skips or fails for want of a browser the same way, and fails on the same kinds
 * of trouble, each named well enough to fix (eight files used to carry their own, drifting, copies).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildWeb, measureFirstPage, WEB_DIST, webBuilt, type WebBuild } from '../../web/build.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
/** For `describe(…, { skip: NO_BROWSER })`: locally a missing browser skips the browser tests, visibly; in CI (.ci/run installs it) it fails them. */
export const NO_BROWSER: false | string = existsSync(CHROMIUM) || IN_CI ? false : `no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`;

let built: Promise<WebBuild> | undefined;

/**
 * The dashboard as `npm install` builds it. test/run.ts builds it once before the test files start
 * (ADVOCATE_TEST_WEB_BUILT=1), so files running side by side never rebuild web/dist under each
 * other's pages; a test file run on its own builds it itself.
 */
export function webBuild(): Promise<WebBuild> {
  built ??= process.env.ADVOCATE_TEST_WEB_BUILT === '1' && webBuilt()
    ? Promise.resolve({ dir: WEB_DIST, files: 0, ...measureFirstPage() })
    : buildWeb({ quiet: true });
  return built;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface WatchOptions {
  /**
   * Name the script or document a console error came from rather than the page's URL: a CSP
   * violation on a hosted survey page is reported against the resource that broke the rule.
   */
  consoleAt?: 'page' | 'source';
  /** The lowest HTTP status that counts as a problem: 500 by default; pages that must never meet a 4xx say 400. */
  httpFrom?: number;
}

/**
 * Console errors, uncaught exceptions, failed replies and dialogs (dismissed) of a page: a test
 * asserts the list stays empty.
 */
export function watch(page: Page, opts: WatchOptions = {}): string[] {
  const problems: string[] = [];
  const httpFrom = opts.httpFrom ?? 500;
  page.on('console', (m) => m.type() === 'error' && problems.push(`console.error: ${m.text()} (${opts.consoleAt === 'source' ? m.location().url : page.url()})`));
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message} (${page.url()})`));
  // The console names only the page; the failing request itself is what a fix needs.
  page.on('response', (r) => r.status() >= httpFrom && problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`));
  page.on('dialog', (d) => {
    problems.push(`dialog (${d.type()}): ${d.message()}`);
    void d.dismiss();
  });
  return problems;
}

/**
 * Opens `url` of the dashboard signed out, signs in on the sign-in page the app sends the person to,
 * and waits for the signed-in app (where the person was going).
 */
export async function signIn(page: Page, url: string, who: { email: string; password: string }): Promise<void> {
  await page.goto(url);
  await page.waitForURL(/\/app\/sign-in/);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('header.topbar').waitFor();
}
