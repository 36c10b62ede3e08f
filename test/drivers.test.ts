import assert from 'node:assert/strict';
import { test } from 'node:test';
import { netSentiment, splitPoints, themeImpact, themeRegression, themeSentiment } from '../src/domain/drivers.ts';
import { npsSummary, type NpsCounts } from '../src/domain/nps.ts';
import { Random } from '../src/domain/random.ts';
import { representativeQuotes } from '../src/text/quotes.ts';
import { discoverThemes } from '../src/text/discover.ts';
import { ThemeMatcher } from '../src/text/themes.ts';
import { DEFAULT_TAXONOMY } from '../src/text/taxonomy.ts';
import { forEachBackend } from './helpers/backends.ts';
import { latestTaxonomy, saveTaxonomy, taxonomyVersion, taxonomyVersions } from '../src/store/taxonomies.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { startServer } from './helpers/server.ts';
import { until } from './helpers/wait.ts';

/** The built-in themes' version; a workspace's first edit is the one after it. */
const BUILT_IN = DEFAULT_TAXONOMY.version;

process.env.ADVOCATE_CLOCK_MS = '3600000';
process.env.ADVOCATE_JOB_POLL_MS = '30';

const near = (actual: number | null, expected: number, tolerance: number, what: string) =>
  assert.ok(actual != null && Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not ${expected} ± ${tolerance}`);

test('drivers: impact and its interval match the reference values of docs/STATS.md', () => {
  const withTheme: NpsCounts = { promoters: 4, passives: 10, detractors: 26 };
  const all: NpsCounts = { promoters: 84, passives: 60, detractors: 56 };
  const t = themeImpact(all, withTheme);
  near(t.with.nps, -55, 1e-9, 'NPS_T');
  near(t.without.nps, 31.25, 1e-9, 'NPS_notT');
  near(npsSummary(all).nps, 14, 1e-9, 'NPS_all');
  near(t.difference.diff, -86.25, 1e-9, 'diff');
  near(t.difference.low, -110.154, 0.001, 'diff low');
  near(t.difference.high, -62.346, 0.001, 'diff high');
  assert.equal(t.share, 0.2);
  near(t.impact, -17.25, 1e-9, 'impact');
  near(t.impactLow, -22.031, 0.001, 'impact low');
  near(t.impactHigh, -12.469, 0.001, 'impact high');
  // se of the impact: 2.4392 points.
  near((t.impactHigh! - t.impact!) / 1.959964, 2.4392, 0.0001, 'se');
  assert.equal(t.readable, true);
});

test('drivers: a bootstrap over answers agrees with the interval', () => {
  // The reference's 200 answers, resampled 2,000 times within the two groups (the share is taken as
  // fixed, as in STATS.md): the spread of the impact is its standard error.
  const values = (p: number, pa: number, d: number) => [...Array(p).fill(1), ...Array(pa).fill(0), ...Array(d).fill(-1)] as number[];
  const mentioning = values(4, 10, 26);
  const others = values(80, 50, 30);
  const r = new Random(7);
  const draw = (group: number[]): NpsCounts => {
    const c: NpsCounts = { promoters: 0, passives: 0, detractors: 0 };
    for (let i = 0; i < group.length; i++) {
      const v = group[r.int(0, group.length - 1)];
      c[v === 1 ? 'promoters' : v === 0 ? 'passives' : 'detractors']++;
    }
    return c;
  };
  const impacts: number[] = [];
  for (let b = 0; b < 2000; b++) {
    const t = draw(mentioning);
    const o = draw(others);
    impacts.push(themeImpact({ promoters: t.promoters + o.promoters, passives: t.passives + o.passives, detractors: t.detractors + o.detractors }, t).impact!);
  }
  const mean = impacts.reduce((a, b) => a + b, 0) / impacts.length;
  const sd = Math.sqrt(impacts.reduce((a, b) => a + (b - mean) ** 2, 0) / (impacts.length - 1));
  near(mean, -17.25, 0.3, 'bootstrap mean');
  // 2,000 resamples estimate an se to within about 3%.
  near(sd, 2.4392, 2.4392 * 0.08, 'bootstrap se');
});

test('drivers: regression shares add up, and one theme alone gets its difference as coefficient', () => {
  // One indicator with an intercept: the coefficient is mean(value | T) − mean(value | not T).
  const rows: Array<{ t: number[]; v: number }> = [];
  const add = (t: number[], v: number, times: number) => { for (let i = 0; i < times; i++) rows.push({ t, v }); };
  add([0], 1, 4); add([0], 0, 10); add([0], -1, 26);
  add([], 1, 80); add([], 0, 50); add([], -1, 30);
  const sums = (k: number) => {
    const m = k + 1;
    const xtx = new Float64Array(m * m);
    const xty = new Float64Array(m);
    for (const r of rows) {
      const x = [1, ...Array.from({ length: k }, (_, j) => (r.t.includes(j) ? 1 : 0))];
      for (let a = 0; a < m; a++) {
        xty[a] += x[a] * r.v;
        for (let b = 0; b < m; b++) xtx[a * m + b] += x[a] * x[b];
      }
    }
    return { xtx, xty };
  };
  const one = sums(1);
  const beta = themeRegression(one.xtx, one.xty, 1);
  near(beta[1], -0.8625, 1e-6, 'coefficient');
  near(beta[0], 0.3125, 1e-6, 'intercept');

  // Three themes, one of them never mentioned: no coefficient, no share; the parts add up.
  rows.length = 0;
  add([0], -1, 30); add([0, 1], -1, 5); add([1], 1, 40); add([1], 0, 10); add([], 1, 50); add([], 0, 30); add([], -1, 20);
  const three = sums(3);
  const b3 = themeRegression(three.xtx, three.xty, 3);
  assert.ok(Math.abs(b3[3]) < 1e-3, `unmentioned theme ${b3[3]}`);
  const nps = ((40 + 50 - 35 - 20) / rows.length) * 100;
  const split = splitPoints(nps, b3.subarray(1), [35, 45, 0]);
  near(split.parts.reduce((a, p) => a + p.lost, 0), 100 - nps, 1e-9, 'lost adds up');
  near(split.parts.reduce((a, p) => a + p.gained, 0), nps + 100, 1e-9, 'gained adds up');
  assert.ok(split.parts[0].lost > 0 && split.parts[0].gained === 0);
  assert.ok(split.parts[1].gained > 0 && split.parts[1].lost === 0);
  assert.deepEqual([split.parts[2].lost, split.parts[2].gained], [0, 0]);
});

test('drivers: a theme\'s sentiment in a comment, and net sentiment', () => {
  assert.equal(themeSentiment(['negative', 'positive'], 'negative'), 'neutral');
  assert.equal(themeSentiment(['negative', 'negative', 'positive'], 'positive'), 'negative');
  assert.equal(themeSentiment([], 'positive'), 'positive');
  assert.equal(netSentiment(3, 1, 10), 20);
  assert.equal(netSentiment(0, 0, 0), null);
});

test('drivers: representative quotes are the comments closest to the centre, the same every time', () => {
  const candidates = [
    { id: 'a', text: 'Delivery was late again, two days late' },
    { id: 'b', text: 'Late delivery, the parcel arrived days late' },
    { id: 'c', text: 'My delivery came late and the box was damaged' },
    { id: 'd', text: 'Courier lost it' },
    { id: 'e', text: 'I love the colour of the new jumper my aunt bought for my birthday in the delivery week' },
  ];
  const first = representativeQuotes(candidates, 2);
  assert.deepEqual(first, representativeQuotes([...candidates].reverse(), 2));
  assert.ok(!first.includes('e') && !first.includes('d'), `off-centre comments chosen: ${first}`);
  assert.deepEqual(representativeQuotes([], 3), []);
});

forEachBackend('drivers: themes ranked by impact over HTTP, theme and sentiment as filters and breakdowns, quotes as text, edits followed', async (store) => {
  const s = await startServer(store);
  try {
    const key = s.ws.secretKey;
    let n = 0;
    const post = async (score: number, comment?: string, channel = 'web') => {
      const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `p${n++}` }, score, channel, ...(comment ? { comment } : {}) });
      assert.equal(r.status, 201, r.text);
      return r.json.answer.id as string;
    };
    // Delivery: 12 mentions, all detractors. Staff: 10 mentions, promoters. Billing: one, in markup.
    // 30 without a comment (20 promoters, 10 passives).
    const hostile = '<img src=x onerror=alert(1)> charged twice on my bill';
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await post(i % 3, `The delivery was late, waited ${i + 2} days for the parcel`, i % 3 ? 'email' : 'web'));
    const billed = await post(0, hostile);
    for (let i = 0; i < 10; i++) await post(10, 'The staff were friendly and helpful');
    for (let i = 0; i < 20; i++) await post(9);
    for (let i = 0; i < 10; i++) await post(8);
    await s.tick();

    const get = async (path: string) => {
      const r = await s.call('GET', path, key);
      assert.equal(r.status, 200, r.text);
      return r.json;
    };
    const d = await get('/api/v1/metrics/drivers');
    assert.equal(d.total.n, 53);
    assert.equal(d.commented, 23);
    assert.equal(d.withTheme, 23);
    const [first, second] = d.themes;
    assert.equal(first.id, 'delivery');
    assert.equal(first.name, 'Delivery and shipping');
    assert.equal(first.mentions, 12);
    // All 53: 30 promoters (10 staff, 20 silent), 10 passives, 13 detractors (12 delivery, 1 billing).
    near(d.total.nps, ((30 - 13) / 53) * 100, 1e-9, 'NPS');
    // Without delivery: 30 promoters, 10 passives, 1 detractor.
    near(first.without.nps, ((30 - 1) / 41) * 100, 1e-9, 'NPS without delivery');
    near(first.impact, ((30 - 13) / 53) * 100 - ((30 - 1) / 41) * 100, 1e-9, 'impact');
    assert.ok(first.impactLow < first.impact && first.impact < first.impactHigh);
    assert.equal(first.negative, 12);
    assert.equal(first.netSentiment, -100);
    assert.equal(second.id, 'staff');
    assert.ok(second.impact > 0);
    // One mention cannot be read: ranked last, saying why.
    const billing = d.themes.at(-1);
    assert.deepEqual([billing.id, billing.readable, billing.why], ['billing', false, 'only 1 answer mentions it']);
    near(d.themes.reduce((a: number, t: any) => a + t.pointsLost, 0), d.pointsLost, 1e-6, 'lost adds up');
    near(d.themes.reduce((a: number, t: any) => a + t.pointsGained, 0), d.pointsGained, 1e-6, 'gained adds up');
    assert.equal(first.trend.at(-1).n, 12, 'this week');
    assert.deepEqual(first.byChannel.map((c: any) => [c.value, c.label, c.n]), [['email', 'Email', 8], ['web', 'Web', 4]]);
    assert.equal(first.quotes.length, 3);
    assert.ok(first.quotes.every((a: any) => ids.includes(a.id) && a.text.themes.some((t: any) => t.id === 'delivery')));
    // Quotes come back as the words sent: markup is text to the client, never interpreted here.
    assert.deepEqual(billing.quotes.map((a: any) => [a.id, a.comment]), [[billed, hostile]]);

    // theme and sentiment filter every figure.
    const nps = await get('/api/v1/metrics/nps?theme=delivery');
    assert.equal(nps.n, 12);
    assert.equal(nps.nps, -100);
    assert.equal((await get('/api/v1/metrics/nps?sentiment=positive')).n, 10);
    assert.equal((await get('/api/v1/metrics/nps?sentiment=negative,positive')).n, 23);
    assert.equal((await get('/api/v1/metrics/nps?theme=staff,delivery')).n, 22);
    assert.equal((await get('/api/v1/metrics/nps?theme=nothing-like-it')).n, 0);
    const bad = await s.call('GET', '/api/v1/metrics/nps?sentiment=angry', key);
    assert.equal(bad.status, 400);
    assert.match(bad.json.error?.message ?? bad.text, /sentiment/);
    const byTheme = await get('/api/v1/metrics/breakdown?by=theme');
    assert.deepEqual(byTheme.rows.map((r: any) => [r.value, r.label, r.n]).sort(), [['billing', 'Billing and payments', 1], ['delivery', 'Delivery and shipping', 12], ['staff', 'Staff', 10]]);
    assert.equal(byTheme.total.n, 53);
    const bySentiment = await get('/api/v1/metrics/breakdown?by=sentiment');
    assert.deepEqual(bySentiment.rows.map((r: any) => [r.value, r.n]), [[null, 30], ['negative', 13], ['positive', 10]]);
    const trend = await get('/api/v1/metrics/trend?theme=delivery&interval=day');
    assert.equal(trend.points.reduce((a: number, p: any) => a + p.n, 0), 12);
    const csv = await s.call('GET', '/api/v1/metrics/drivers?format=csv', key);
    assert.equal(csv.status, 200);
    assert.match(csv.text.split('\n')[0], /^theme,theme_id,mentions/);
    assert.match(csv.text, /Delivery and shipping,delivery,12,/);
    const breakdownCsv = await s.call('GET', '/api/v1/metrics/breakdown?by=theme&sentiment=negative&format=csv', key);
    assert.match(breakdownCsv.text, /delivery,12,/);

    // An edited comment moves its answer from one theme to another in the figures.
    assert.equal((await s.call('PATCH', `/api/v1/answers/${ids[0]}`, key, { comment: 'The staff member was rude' })).status, 200);
    await s.tick();
    assert.equal((await get('/api/v1/metrics/nps?theme=delivery')).n, 11);
    assert.equal((await get('/api/v1/metrics/nps?theme=staff')).n, 11);

    // Another workspace sees none of it; write keys read nothing.
    const other = (await s.call('GET', '/api/v1/metrics/drivers', s.other.secretKey)).json;
    assert.deepEqual([other.total.n, other.themes], [0, []]);
    assert.equal((await s.call('GET', '/api/v1/metrics/drivers', s.ws.writeKey)).status, 403);
  } finally {
    await s.close();
  }
});

forEachBackend('themes: a workspace edits its themes (a new version), its comments are sorted again in the background, and every figure follows', async (store) => {
  const s = await startServer(store);
  try {
    const key = s.ws.secretKey;
    let n = 0;
    const post = async (score: number, comment: string) => {
      const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `p${n++}` }, score, comment });
      assert.equal(r.status, 201, r.text);
    };
    for (let i = 0; i < 6; i++) await post(2, 'The oat milk was sold out again and the flat white was cold');
    for (let i = 0; i < 6; i++) await post(10, 'Lovely barista, great flat white');
    await s.tick();
    const before = (await s.call('GET', '/api/v1/themes', key)).json;
    assert.equal(before.version, BUILT_IN);
    assert.equal(before.analysis, undefined, 'progress only when asked');
    assert.ok(before.themes.some((t: any) => t.id === 'delivery'));
    assert.equal((await s.call('GET', '/api/v1/metrics/nps?theme=coffee', key)).json.n, 0);

    // Their own words: a coffee theme, stock renamed from nothing, delivery dropped, staff kept and renamed.
    const themes = [
      { id: 'coffee', name: 'Coffee', terms: ['flat white', 'espresso', 'latte', ' flat  white '] },
      { id: 'stock', name: 'Out of stock', terms: ['sold out', 'out of stock'], exclusions: ['not sold out'] },
      { id: 'staff', name: 'Baristas', terms: ['barista', 'staff'] },
    ];
    const put = await s.call('PUT', '/api/v1/themes', key, { themes });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.version, BUILT_IN + 1);
    assert.deepEqual(put.json.themes.map((t: any) => [t.id, t.name]), [['coffee', 'Coffee'], ['stock', 'Out of stock'], ['staff', 'Baristas']]);
    assert.deepEqual(put.json.themes[0].terms, ['flat white', 'espresso', 'latte'], 'trimmed, repeats dropped');
    const sorted = await until('every comment sorted under the new version', async () => {
      const t = (await s.call('GET', '/api/v1/themes?progress=true', key)).json;
      return t.analysis.current === t.analysis.comments ? t : null;
    }, 30_000);
    assert.equal(sorted.analysis.comments, 12);
    assert.equal((await s.call('GET', '/api/v1/metrics/nps?theme=coffee', key)).json.n, 12);
    assert.equal((await s.call('GET', '/api/v1/metrics/nps?theme=stock', key)).json.n, 6);
    const d = (await s.call('GET', '/api/v1/metrics/drivers', key)).json;
    assert.deepEqual(d.themes.map((t: any) => t.id).sort(), ['coffee', 'staff', 'stock']);
    // The filters offer the current themes: delivery, removed, is gone from them.
    const dims = (await s.call('GET', '/api/v1/metrics/dimensions', key)).json.items;
    assert.deepEqual(dims.find((x: any) => x.name === 'theme').values, ['coffee', 'stock', 'staff']);
    assert.equal(d.themes.find((t: any) => t.id === 'staff').name, 'Baristas');
    const listed = (await s.call('GET', '/api/v1/answers?theme=stock&limit=1', key)).json.items[0];
    assert.deepEqual(listed.text.themes.map((t: any) => t.name).sort(), ['Coffee', 'Out of stock']);
    const analyzed = (await s.call('POST', '/api/v1/text/analyze', key, { texts: ['An espresso, please'] })).json;
    assert.equal(analyzed.taxonomyVersion, BUILT_IN + 1);
    assert.deepEqual(analyzed.items[0].themes.map((t: any) => t.id), ['coffee']);
    const versions = (await s.call('GET', '/api/v1/themes/versions', key)).json.items;
    assert.deepEqual(versions.map((v: any) => [v.version, v.themes]), [[BUILT_IN + 1, 3]]);

    // Bad lists are refused, naming the field, and change nothing.
    const refused = [
      [{ themes: [] }, /body\.themes/],
      [{ themes: [{ id: 'Coffee!', name: 'x', terms: ['x'] }] }, /body\.themes\.0\.id/],
      [{ themes: [{ id: 'a', name: 'A', terms: [] }] }, /body\.themes\.0\.terms/],
      [{ themes: [{ id: 'a', name: ' ', terms: ['x'] }] }, /body\.themes\.0\.name/],
      [{ themes: [{ id: 'a', name: 'A', terms: ['x'] }, { id: 'a', name: 'B', terms: ['y'] }] }, /body\.themes\.1\.id.*twice/],
      [{ themes: [{ id: 'a', name: 'Coffee', terms: ['x'] }, { id: 'b', name: ' coffee ', terms: ['y'] }] }, /body\.themes\.1\.name.*theme 1 too/],
    ] as const;
    for (const [body, field] of refused) {
      const r = await s.call('PUT', '/api/v1/themes', key, body);
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.message, field);
    }
    // An edit made from an older version would undo a colleague's save unseen: refused, naming both versions.
    const stale = await s.call('PUT', '/api/v1/themes', key, { themes, basedOn: BUILT_IN });
    assert.equal(stale.status, 409, stale.text);
    assert.match(stale.json.message, new RegExp(`body\\.basedOn: the themes are at version ${BUILT_IN + 1} now, not ${BUILT_IN}`));
    assert.equal((await s.call('GET', '/api/v1/themes', key)).json.version, BUILT_IN + 1);
    // Write keys cannot; another workspace keeps the built-in themes.
    assert.equal((await s.call('PUT', '/api/v1/themes', s.ws.writeKey, { themes })).status, 403);
    assert.equal((await s.call('GET', '/api/v1/themes', s.other.secretKey)).json.version, BUILT_IN);

    // A saved version can be read whole, in this workspace only; the built-in themes too.
    assert.equal((await s.call('GET', '/api/v1/themes/versions', key)).json.builtIn, BUILT_IN);
    const v1 = await s.call('GET', `/api/v1/themes/versions/${BUILT_IN + 1}`, key);
    assert.equal(v1.status, 200, v1.text);
    assert.deepEqual(v1.json.themes, sorted.themes);
    assert.equal(typeof v1.json.createdAt, 'string');
    for (const [path, who, status, field] of [
      [`/api/v1/themes/versions/${BUILT_IN + 1}`, s.other.secretKey, 404, 'params.version'],
      [`/api/v1/themes/versions/${BUILT_IN}`, key, 404, 'params.version'],
      ['/api/v1/themes/versions/x', key, 400, 'params.version'],
      [`/api/v1/themes/versions/${BUILT_IN + 1}`, s.ws.writeKey, 403, undefined],
    ] as const) {
      const r = await s.call('GET', path, who);
      assert.equal(r.status, status, `${path}: ${r.text}`);
      if (field) assert.match(r.json.message, new RegExp(field.replace('.', '\\.')), r.text);
    }
    const builtIn = (await s.call('GET', '/api/v1/themes/built-in', key)).json;
    assert.equal(builtIn.version, BUILT_IN);
    assert.deepEqual(builtIn.themes.map((t: any) => t.id), DEFAULT_TAXONOMY.themes.map((t) => t.id));
    // Going back to them is an edit like any other: the next version, the comments sorted again.
    const back = await s.call('PUT', '/api/v1/themes', key, { themes: builtIn.themes, basedOn: BUILT_IN + 1 });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.json.version, BUILT_IN + 2);
    assert.deepEqual(back.json.themes, builtIn.themes);
    await until('sorted under the built-in themes again', async () => (await s.call('GET', '/api/v1/metrics/nps?theme=coffee', key)).json.n === 0 || null, 30_000);
  } finally {
    await s.close();
  }
});

forEachBackend('themes: a workspace\'s own themes stay current, and editable from their version, when a release raises the built-in version past it', async (store) => {
  const ws = (await createWorkspace(store.db, 'Older')).id;
  const themes = [{ id: 'coffee', name: 'Coffee', terms: ['latte'], exclusions: [] }];
  // Saved under a release whose built-in themes were version 1.
  assert.equal((await saveTaxonomy(store.db, ws, themes, 1, null)).version, 2);
  // A release whose built-in themes are version 5: the workspace is still at its own 2, and an edit made from it is saved above both.
  assert.equal((await latestTaxonomy(store.db, ws))!.version, 2);
  assert.equal((await saveTaxonomy(store.db, ws, themes, 5, null, { basedOn: 2 })).version, 6);
  await assert.rejects(saveTaxonomy(store.db, ws, themes, 5, null, { basedOn: 5 }), /at version 6 now, not 5/);
  assert.deepEqual((await taxonomyVersions(store.db, ws)).map((v) => v.version), [6, 2]);
  assert.deepEqual((await taxonomyVersion(store.db, ws, 2))?.themes, themes);
  assert.equal(await taxonomyVersion(store.db, ws, 5), null);
});

test('discovered themes: noun phrases many comments share, grouped when used together, less what the themes know', () => {
  const comments = [
    ...Array.from({ length: 8 }, (_, i) => ({ id: `o${i}`, text: `The oat milk ran out ${i} times, no oat milk again` })),
    ...Array.from({ length: 5 }, (_, i) => ({ id: `l${i}`, text: `My loyalty card was refused at the till (${i})` })),
    ...Array.from({ length: 6 }, (_, i) => ({ id: `d${i}`, text: `The delivery was late by ${i} days` })),
    { id: 'x', text: 'Great experience overall' },
    // Not themes: praise ("love" read as a noun), a phrase holding a theme's mention, a saying, a relative told.
    ...Array.from({ length: 6 }, (_, i) => ({ id: `n${i}`, text: `Love this shop! Great value for money, a no-brainer. Told my sister (${i})` })),
  ];
  const matcher = new ThemeMatcher({ version: 1, themes: [{ id: 'delivery', name: 'Delivery', terms: ['delivery'] }, { id: 'price', name: 'Price', terms: ['value for money'] }] });
  const found = discoverThemes(comments, matcher, { minComments: 3 });
  assert.deepEqual(found.map((f) => [f.name, f.ids.length]), [['oat milk', 8], ['shop', 6], ['loyalty card', 5]]);
  assert.deepEqual(found[2].terms.slice(0, 2), ['loyalty card', 'card'], 'its head noun joins it');
  assert.deepEqual(discoverThemes([], matcher), []);
});

forEachBackend('discovered themes over HTTP: proposed with volume, NPS and quotes; adopting one makes a theme and sorts history again', async (store) => {
  const s = await startServer(store);
  try {
    const key = s.ws.secretKey;
    let n = 0;
    const post = async (score: number, comment: string) => assert.equal((await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `p${n++}` }, score, comment })).status, 201);
    for (let i = 0; i < 7; i++) await post(3, `They ran out of oat milk again, visit ${i}`);
    for (let i = 0; i < 5; i++) await post(9, `The loyalty card is a nice touch ${i}`);
    for (let i = 0; i < 8; i++) await post(10, 'Quick delivery');
    await s.tick();
    const d = await s.call('GET', '/api/v1/themes/discovered', key);
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.sample, 20);
    const oat = d.json.items.find((i: any) => i.name === 'oat milk');
    assert.ok(oat, JSON.stringify(d.json.items.map((i: any) => i.name)));
    assert.equal(oat.comments, 7);
    assert.equal(oat.nps.nps, -100);
    assert.equal(oat.quotes.length, 2);
    assert.ok(!d.json.items.some((i: any) => i.name === 'delivery'), 'a known theme is not proposed');

    // Adopt it under a name of the workspace's choosing; fold the loyalty card into staff.
    const adopted = await s.call('POST', '/api/v1/themes/adopt', key, { name: 'Milk alternatives', terms: oat.terms });
    assert.equal(adopted.status, 200, adopted.text);
    assert.deepEqual(adopted.json.themes.at(-1), { id: 'milk-alternatives', name: 'Milk alternatives', terms: oat.terms, exclusions: [] });
    const folded = await s.call('POST', '/api/v1/themes/adopt', key, { into: 'staff', terms: ['loyalty card'] });
    assert.equal(folded.json.version, BUILT_IN + 2);
    assert.ok(folded.json.themes.find((t: any) => t.id === 'staff').terms.includes('loyalty card'));
    await until('history sorted again', async () => {
      const t = (await s.call('GET', '/api/v1/themes?progress=true', key)).json;
      return t.analysis.current === t.analysis.comments ? t : null;
    }, 30_000);
    assert.equal((await s.call('GET', '/api/v1/metrics/nps?theme=milk-alternatives', key)).json.n, 7);
    assert.equal((await s.call('GET', '/api/v1/metrics/nps?theme=staff', key)).json.n, 5);
    const again = (await s.call('GET', '/api/v1/themes/discovered', key)).json;
    assert.ok(!again.items.some((i: any) => i.name === 'oat milk'), 'adopted: no longer proposed');

    const bad = await s.call('POST', '/api/v1/themes/adopt', key, { into: 'nothing-like-it', terms: ['x'] });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /body\.into/);
    assert.equal((await s.call('POST', '/api/v1/themes/adopt', key, { terms: ['x'] })).json.message.includes('body.name'), true);
    assert.equal((await s.call('POST', '/api/v1/themes/adopt', s.ws.writeKey, { name: 'x', terms: ['x'] })).status, 403);
    assert.deepEqual((await s.call('GET', '/api/v1/themes/discovered', s.other.secretKey)).json, { sample: 0, items: [] });
  } finally {
    await s.close();
  }
});

forEachBackend('drivers: what the customers who complained about a theme did next (behaviour filtered by theme and sentiment)', async (store) => {
  const s = await startServer(store);
  try {
    const DAY = 86_400_000;
    const now = Date.now();
    const A = now - 200 * DAY;
    const iso = (t: number) => new Date(t).toISOString();
    const track = (userId: string, event: string, t: number, properties: Record<string, unknown>) => ({ type: 'track', userId, event, timestamp: iso(t), properties });
    const answer = (userId: string, score: number, comment: string) => track(userId, 'NPS Survey Responded', A, { score, channel: 'email', comment });
    const order = (userId: string, t: number, revenue: number) => track(userId, 'Order Completed', t, { order_id: `${userId}-${t}`, revenue });
    const batch = [
      // Two complained about the delivery: one never ordered again, one did.
      order('late1', A - 20 * DAY, 50), answer('late1', 2, 'The delivery was late and nobody told me'),
      order('late2', A - 20 * DAY, 50), answer('late2', 3, 'Delivery took two weeks'), order('late2', A + 10 * DAY, 40),
      // A detractor about the price, who kept buying; a happy one.
      order('dear', A - 20 * DAY, 50), answer('dear', 4, 'Far too expensive'), order('dear', A + 5 * DAY, 60),
      order('fan', A - 20 * DAY, 50), answer('fan', 10, 'Lovely staff'), order('fan', A + 5 * DAY, 70),
    ];
    const r = await s.call('POST', '/v1/batch', s.ws.writeKey, { batch });
    assert.equal(r.status, 200, r.text);
    await s.settle();
    await s.tick();
    const get = async (query: string) => {
      const res = await s.call('GET', `/api/v1/metrics/behaviour?days=90&asOf=${iso(now)}${query}`, s.ws.secretKey);
      assert.equal(res.status, 200, res.text);
      return res.json;
    };
    const all = await get('');
    assert.equal(all.customers, 4);
    assert.equal(all.where, undefined);
    const late = await get('&theme=delivery');
    assert.deepEqual(late.where, { theme: ['delivery'] });
    assert.equal(late.customers, 2);
    const detractors = late.categories.find((c: any) => c.category === 'detractor');
    assert.deepEqual([detractors.customers, detractors.buying.count, detractors.revenue], [2, 1, 40]);
    assert.equal((await get('&sentiment=positive')).customers, 1);
    assert.equal((await get('&theme=delivery,price')).customers, 3);
    const bad = await s.call('GET', '/api/v1/metrics/behaviour?sentiment=furious', s.ws.secretKey);
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /sentiment/);
  } finally {
    await s.close();
  }
});
