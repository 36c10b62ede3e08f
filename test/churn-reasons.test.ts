/**
 * Churn reasons as a CX lead reads them: in plain words, money in the workspace's currency, and
 * each listed only in the direction it pushes the risk (what raises it under factors, what lowers
 * it under lowering), checked against the trained model's own coefficients.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { FEATURES } from '../src/analytics/churn-features.ts';
import { explainRisk } from '../src/analytics/churn-model.ts';
import type { ChurnModel } from '../src/domain/churn-model.ts';
import { effectText, NEGLIGIBLE, reasonText, span, when } from '../src/analytics/churn-reasons.ts';
import { formatMoney } from '../src/domain/preferences.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';

process.env.ADVOCATE_CLOCK_MS = '3600000';

const DAY = 86_400_000;
const US = { currency: 'USD', locale: 'en-US' };
const DE = { currency: 'EUR', locale: 'de-DE' };
// Jargon the old reasons used, and reasons that read backwards to a person.
const JARGON = /latest answer by|last answered|channel:|\bweb\b|\bsms\b|standard deviation/i;

describe('churn reasons: wording and direction', () => {
  it('says when and how long as people do', () => {
    assert.deepEqual([0.5, 1.2, 3.9, 9, 20, 45, 150, 400, 800].map(when),
      ['today', 'yesterday', '3 days ago', 'last week', '2 weeks ago', '6 weeks ago', '5 months ago', 'over a year ago', '2 years ago']);
    assert.deepEqual([1, 10, 20, 150, 1000].map(span), ['1 day', '10 days', '2 weeks', '5 months', '2 years']);
  });

  it('words each reason from the person\'s facts, money in the workspace currency, later reads moving "when" on', () => {
    assert.equal(reasonText('latestScore', { score: 3, daysSinceAnswer: 8 }, US), 'Gave a 3 out of 10 last week');
    assert.equal(reasonText('latestScore', { score: 8, daysSinceAnswer: 0.2 }, US), 'Gave an 8 out of 10 today');
    assert.equal(reasonText('latestScore', { score: 3, daysSinceAnswer: 8 }, US, 30), 'Gave a 3 out of 10, 5 weeks ago', 'read a month after scoring');
    assert.equal(reasonText('daysSinceOrder', { daysSinceOrder: 20, below: true }, US), 'Last ordered 2 weeks ago', 'more recent than most: when, not how long');
    assert.equal(reasonText('daysSinceOrder', { daysSinceOrder: 150 }, US), 'Hasn\'t ordered in 5 months');
    assert.equal(reasonText('daysSinceOrder', { daysSinceOrder: 3 }, US), 'Last ordered 3 days ago');
    assert.equal(reasonText('revenuePastYear', { revenue: 119, below: true }, US), 'Spent only $119 in the past year');
    assert.equal(reasonText('revenuePastYear', { revenue: 1234.5, below: false }, DE)!.replace(/\s/g, ' '), 'Spent 1.235 € in the past year');
    assert.equal(reasonText('revenuePastYear', { revenue: 45.5, below: true }, DE)!.replace(/\s/g, ' '), 'Spent only 45,50 € in the past year');
    assert.equal(reasonText('ordersPastYear', { orders: 1, below: true }, US), 'Only 1 order in the past year');
    assert.equal(reasonText('scoreChange', { score: 4, previousScore: 9 }, US), 'Score dropped from 9 to 4 since the answer before');
    assert.equal(reasonText('scoreChange', { score: 7, previousScore: 7 }, US), null, 'an unchanged score is no reason');
    assert.equal(reasonText('noAnswer', {}, US), 'Has never answered an NPS survey');
    assert.equal(reasonText('daysSinceAnswer', { daysSinceAnswer: 1 }, US), null, 'said with the score, never alone');
    assert.equal(reasonText('channel:web', {}, US), null, 'the channel a survey was answered on is no reason');
    assert.equal(effectText('daysSinceOrder', 0.8), 'More time since the last order raises the risk');
    assert.equal(effectText('latestScore', -1.1), 'A higher latest NPS score lowers the risk');
    assert.equal(effectText('channel:sms', 0.2), 'Answering the latest survey by text message raises the risk');
  });

  it('lists a feature only in the direction it pushes, never a recent answer or a channel as a reason', () => {
    // Standardised by hand: every spread 1, means below; the person's values against them.
    const model: ChurnModel = {
      features: [...FEATURES, 'channel:web'], channels: ['web'],
      //        score noAns change days orders revenue        tenure answerAge web
      means: [7, 0.2, 0, 30, 4, Math.log1p(300), 400, 60, 0.5], sds: [1, 1, 1, 10, 1, 1, 100, 10, 1],
      intercept: -1, coefficients: [-0.5, 0.4, -0.1, 0.6, -0.3, -0.8, 0.01, -0.9, 0.7],
    };
    const values = Float64Array.from([3, 0, -5, 60, 6, Math.log1p(40), 410, 1, 0]);
    values[1] = 0;
    const r = explainRisk(model, { profileId: 'p', key: 'p', values, channel: 'web' });
    const raising = r.factors.filter((f) => f.contribution > 0).map((f) => [f.feature, f.text]);
    const lowering = r.factors.filter((f) => f.contribution < 0).map((f) => [f.feature, f.text]);
    // Contributions: score −0.5·(3−7) = 2; order gap 0.6·3 = 1.8; revenue −0.8·(log 41 − log 301) ≈ 1.6;
    // change −0.1·(−5) = 0.5; answer age −0.9·(1−60)/10 = 5.3 and web 0.7·0.5 = 0.35 raise it too but are no reasons;
    // orders −0.3·2 = −0.6 lowers it; tenure 0.01·0.1 is too small to mention; having answered is no reason.
    assert.deepEqual(raising, [
      ['latestScore', 'Gave a 3 out of 10 yesterday'],
      ['daysSinceOrder', 'Hasn\'t ordered in 2 months'],
      ['revenuePastYear', 'Spent only $40.00 in the past year'],
    ]);
    assert.deepEqual(lowering, [['ordersPastYear', '6 orders in the past year']]);
    for (const f of r.factors) assert.doesNotMatch(f.text, JARGON);
  });
});

/**
 * 120 customers relative to the real clock (the API trains as of now): each ordered twice in the
 * year before the cutoff and answered once; who stays follows the score and the spend, with
 * exceptions. Those who stay order again and answer again nine days ago.
 */
async function history(s: TestServer) {
  const now = Date.now();
  const cutoff = now - 90 * DAY;
  const people: Array<{ score: number; revenue: number; stays: boolean }> = [];
  const messages: Array<Record<string, unknown>> = [];
  const ts = (t: number) => new Date(t).toISOString();
  for (let i = 0; i < 120; i++) {
    const u = `c${i}`;
    const score = i % 11;
    const amount = i % 3 === 0 ? 20 : 200;
    const stays = (score >= 6 || (amount === 200 && score >= 3)) !== (i % 13 === 0);
    people.push({ score, stays, revenue: stays ? 2 * amount + 30 : 2 * amount });
    messages.push({ type: 'identify', userId: u, traits: { email: `c${i}@example.com`, name: `Customer ${i}` }, timestamp: ts(cutoff - 300 * DAY) });
    for (const back of [200, 30 + (i % 7)]) messages.push({ type: 'track', userId: u, event: 'Order Completed', properties: { revenue: amount }, timestamp: ts(cutoff - back * DAY) });
    messages.push({ type: 'track', userId: u, event: 'NPS Survey Responded', properties: { score, channel: i % 2 ? 'email' : 'web' }, timestamp: ts(cutoff - 15 * DAY) });
    if (stays) {
      messages.push({ type: 'track', userId: u, event: 'Order Completed', properties: { revenue: 30 }, timestamp: ts(cutoff + 20 * DAY) });
      messages.push({ type: 'track', userId: u, event: 'NPS Survey Responded', properties: { score, channel: 'web' }, timestamp: ts(now - 9 * DAY) });
    }
  }
  const r = await s.call('POST', '/v1/batch', s.ws.writeKey, { batch: messages });
  assert.equal(r.status, 200, r.text);
  await s.settle();
  return people;
}

interface Reason { text: string; feature: string; contribution: number }
interface Item { profileId: string; email: string; risk: number; factors: Reason[]; lowering: Reason[] }

forEachBackend('churn reasons on a trained model: plain words, the right direction, the workspace currency', async (store) => {
  const s = await startServer(store);
  try {
    const key = s.ws.secretKey;
    const people = await history(s);
    const trained = await s.call('POST', '/api/v1/churn/model', key);
    assert.equal(trained.status, 201, trained.text);
    const model = trained.json.model;
    const coef = (f: string) => model.coefficients.find((c: { feature: string }) => c.feature === f);
    assert.ok(coef('latestScore').coefficient < 0, 'a lower score, a higher risk');
    assert.equal(coef('latestScore').effect, 'A higher latest NPS score lowers the risk');
    assert.ok(coef('revenuePastYear').coefficient < 0, 'less spent, a higher risk');
    for (const c of model.coefficients) assert.match(c.effect, Math.abs(c.coefficient) < NEGLIGIBLE ? /no difference$/ : c.coefficient > 0 ? / raises the risk$/ : / lowers the risk$/);
    assert.doesNotMatch(model.coefficients.map((c: { name: string }) => c.name).join('; '), /Latest answer by/);

    const list = await s.call('GET', '/api/v1/churn/at-risk?limit=500', key);
    assert.equal(list.status, 200, list.text);
    const items = list.json.items as Item[];
    assert.equal(items.length, people.filter((p) => p.stays).length);
    const person = (i: Item) => people[Number(/^c(\d+)@/.exec(i.email)![1])];

    let scoreReasons = 0;
    let moneyReasons = 0;
    for (const item of items) {
      const p = person(item);
      assert.ok(item.factors.length <= 3 && item.lowering.length <= 2);
      for (const f of item.factors) assert.ok(f.contribution > 0, `${item.email}: "${f.text}" listed as raising the risk with ${f.contribution}`);
      for (const f of item.lowering) assert.ok(f.contribution < 0, `${item.email}: "${f.text}" listed as lowering the risk with ${f.contribution}`);
      for (const f of [...item.factors, ...item.lowering]) {
        assert.doesNotMatch(f.text, JARGON, item.email);
        assert.ok(!f.feature.startsWith('channel:') && f.feature !== 'daysSinceAnswer', `${f.feature} is no reason to list`);
        // The direction agrees with the model: the coefficient times the person's standardised value.
        if (f.feature === 'latestScore') {
          const c = coef('latestScore');
          assert.ok(Math.abs(f.contribution - c.coefficient * (p.score - c.mean) / c.sd) < 1e-9, `${item.email} score contribution`);
          assert.equal(f.text, `Gave ${p.score === 8 ? 'an' : 'a'} ${p.score} out of 10 last week`);
          assert.equal(item.factors.includes(f), p.score < c.mean, `${item.email}: a score of ${p.score} against the average ${c.mean.toFixed(1)}`);
          scoreReasons++;
        }
        if (f.feature === 'revenuePastYear') {
          const c = coef('revenuePastYear');
          assert.ok(Math.abs(f.contribution - c.coefficient * (Math.log1p(p.revenue) - c.mean) / c.sd) < 1e-9, `${item.email} revenue contribution`);
          const below = Math.log1p(p.revenue) < c.mean;
          assert.equal(f.text, `Spent ${below ? 'only ' : ''}${formatMoney(p.revenue, US, p.revenue >= 100 ? 0 : undefined)} in the past year`);
          assert.equal(item.factors.includes(f), below);
          moneyReasons++;
        }
      }
    }
    assert.ok(scoreReasons >= 10 && moneyReasons >= 10, `${scoreReasons} score and ${moneyReasons} money reasons to check`);
    const detractor = items.find((i) => person(i).score <= 6 && person(i).revenue < 100)!;
    assert.ok(detractor, 'a detractor who spends little is still a customer');
    const said = detractor.factors.map((f) => f.text);
    for (const t of [`Gave a ${person(detractor).score} out of 10 last week`, 'Spent only $70.00 in the past year']) assert.ok(said.includes(t), `"${t}" in ${JSON.stringify(said)}`);
    const promoter = items.find((i) => person(i).score === 10 && person(i).revenue > 100)!;
    assert.ok(promoter.lowering.some((f) => f.text === 'Gave a 10 out of 10 last week'), JSON.stringify(promoter));
    assert.ok(!promoter.factors.some((f) => f.feature === 'latestScore'));

    // The same reasons read in the workspace's currency and locale as soon as it changes.
    const put = await s.call('PUT', '/api/v1/settings/workspace', key, { currency: 'EUR', locale: 'de-DE' });
    assert.equal(put.status, 200, put.text);
    const one = await s.call('GET', `/api/v1/profiles/${detractor.profileId}/churn-risk`, key);
    assert.equal(one.status, 200, one.text);
    const euros = one.json.factors.find((f: Reason) => f.feature === 'revenuePastYear');
    assert.equal(euros.text.replace(/\s/g, ' '), 'Spent only 70,00 € in the past year');
    assert.deepEqual(one.json.factors.map((f: Reason) => f.feature), detractor.factors.map((f) => f.feature));
    const csv = await s.call('GET', '/api/v1/churn/at-risk?format=csv&limit=500', key);
    const rows = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
    const row = rows.find((r) => r.profile_id === detractor.profileId)!;
    assert.ok([row.reason_1, row.reason_2, row.reason_3].some((t) => t.replace(/\s/g, ' ') === 'Spent only 70,00 € in the past year'), JSON.stringify(row));
    assert.ok(!csv.text.includes('$'), 'no dollars left in a euro workspace');

    // The other workspace keeps its own currency and sees none of these people.
    assert.deepEqual((await s.call('GET', '/api/v1/settings/workspace', s.other.secretKey)).json.preferences.currency, 'USD');
    assert.equal((await s.call('GET', `/api/v1/profiles/${detractor.profileId}/churn-risk`, s.other.secretKey)).status, 404);
  } finally {
    await s.close();
  }
});
