/**
 * The Impact page with a churn model whose accuracy could not be measured (no cross-validation fold
 * had both outcomes): the API says auc and aucInterval are null (src/api-types/churn.ts), and the
 * page says so instead of failing. Found when the dashboard took its types from the server's
 * schemas (issue 13, item 8): its own copy had promised an interval every time. SQLite only: the
 * dashboard talks HTTP, storage is the churn suites' concern.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { buildApp } from '../src/http/app.ts';
import { addMember } from '../src/store/accounts.ts';
import { saveChurnModel } from '../src/store/churn-models.ts';
import type { Store } from '../src/store/db.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { backends } from './helpers/backends.ts';
import { launchChromium, NO_BROWSER, signIn, watch, webBuild } from './helpers/browser.ts';

const USER = { email: 'analyst@example.com', name: 'Ana', password: 'correct horse battery staple' };
const DAY = 86_400_000;

let store: Store;
let url: string;
let closeApp: () => Promise<void>;
let browser: Browser;

before(async () => {
  await webBuild();
  store = await backends()[0].open();
  const ws = await createWorkspace(store.db, 'Acme');
  assert.equal((await addMember(store.db, ws.id, { ...USER, role: 'analyst' })).status, 'created');
  const trainedAt = Date.now() - DAY;
  await saveChurnModel(store.db, ws.id, trainedAt, {
    trainedAt,
    definition: { inactiveDays: 90, event: null },
    metrics: {
      auc: null, aucInterval: null, folds: [{ n: 12, churned: 0, auc: null }, { n: 11, churned: 11, auc: null }],
      baseRate: 0.48, customers: 23, churned: 11, cutoff: trainedAt - 90 * DAY, iterations: 12, converged: true, trainingMs: 40, scored: 0,
    },
    model: { features: ['daysSinceOrder'], channels: [], means: [40], sds: [20], intercept: -0.1, coefficients: [0.8] },
  }, []);
  const { app } = await buildApp({ store });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  closeApp = async () => {
    await app.close();
    await store.close();
  };
});

after(async () => {
  await browser?.close();
  await closeApp?.();
});

describe('a churn model without a measured accuracy, in Chromium', { skip: NO_BROWSER }, () => {
  before(async () => {
    browser = await launchChromium();
  });

  it('shows the model with its accuracy as unknown, and no interval', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    try {
      const page = await context.newPage();
      const problems = watch(page);
      await signIn(page, `${url}/app/impact`, USER);
      const churn = page.locator('#churn');
      await churn.getByText('Out-of-sample AUC').waitFor({ timeout: 15_000 });
      const text = await churn.innerText();
      assert.match(text, /Out-of-sample AUC – \(0\.5 is a coin toss\), learnt from 23 customers of whom 48% churned/);
      assert.doesNotMatch(text, /95% interval/);
      assert.match(text, /Raises the risk|What raises and lowers the risk/);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
