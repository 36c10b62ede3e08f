import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { churnedFrom, loadChurnHistory } from '../src/analytics/churn-features.ts';
import { retrainChurnModel } from '../src/analytics/churn-training.ts';
import { InsightEngine } from '../src/analytics/engine.ts';
import { demoTruth } from '../src/demo/generate.ts';
import { createDemoWorkspace, type DemoWorkspace } from '../src/demo/load.ts';
import { atRisk } from '../src/store/churn-models.ts';
import type { Store } from '../src/store/db.ts';
import { backfillTexts } from '../src/text/answers.ts';
import { backends } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';

// One demo workspace (8,000 customers, fixed seed and date) for every planted finding: detractors
// churn more, the planted campaign lifts NPS, the weak channel, and the churn model's accuracy.
const DAY = 86_400_000;
process.env.ADVOCATE_CLOCK_MS = '3600000';
process.env.ADVOCATE_JOB_POLL_MS = '30';

const iso = (t: number) => new Date(t).toISOString();

async function get(s: TestServer, path: string, key: string) {
  const r = await s.call('GET', path, key);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.json;
}

// ------------------------------------------------------------------ the demo's planted findings

// SQLite only: this is about the analysis at scale; the storage itself is tested on both backends
// in impact.test.ts, churn.test.ts and insight.test.ts.
describe('on the demo data, the API finds the relationships the generator planted', () => {
  const NOW = Date.UTC(2026, 5, 1);
  // 8,000 customers load in about half a minute and give the campaign ~700 exposed answers to judge.
  const OPTIONS = { customers: 8_000, seed: 42, now: NOW };
  const truth = demoTruth(OPTIONS);
  let store: Store;
  let s: TestServer;
  let demo: DemoWorkspace;
  const asOf = `asOf=${iso(NOW)}`;

  before(async () => {
    store = await backends()[0].open();
    s = await startServer(store);
    demo = await createDemoWorkspace(store, { ...OPTIONS, quiet: true, writer: s.services.writer });
  });
  after(async () => {
    await s?.close();
    await store?.close();
  });

  it('detractors churn significantly more than promoters and buy less', async (t) => {
    const b = await get(s, `/api/v1/metrics/behaviour?${asOf}`, demo.secretKey);
    const [promoters, passives, detractors] = b.categories;
    t.diagnostic(`demo behaviour: churn promoters ${(100 * promoters.churned.share).toFixed(1)}%, passives ${(100 * passives.churned.share).toFixed(1)}%, detractors ${(100 * detractors.churned.share).toFixed(1)}% (${b.detractorsVsPromoters.churnRate.diff.toFixed(1)} points, p ${b.detractorsVsPromoters.churnRate.p.toExponential(1)}); revenue per customer ${promoters.revenuePerCustomer.toFixed(2)} / ${passives.revenuePerCustomer.toFixed(2)} / ${detractors.revenuePerCustomer.toFixed(2)}; revenue-weighted NPS ${b.revenueWeighted.nps.toFixed(1)} vs ${b.revenueWeighted.unweightedNps.toFixed(1)}; ${b.customers} customers`);
    // Planted: churn hazard ×3 for detractors and ×0.6 for promoters, orders ×0.65 and ×1.1.
    assert.ok(b.detractorsVsPromoters.churnRate.significant && b.detractorsVsPromoters.churnRate.diff > 15, 'detractors churn far more');
    assert.ok(promoters.churned.share < passives.churned.share && passives.churned.share < detractors.churned.share, 'churn rises from promoters to detractors');
    assert.ok(detractors.churned.low > promoters.churned.high, 'the intervals do not even overlap');
    assert.ok(b.detractorsVsPromoters.revenuePerCustomer.significant && b.detractorsVsPromoters.revenuePerCustomer.diff < 0, 'detractors spend less');
    assert.ok(b.detractorsVsPromoters.ordersPerCustomer.significant && b.detractorsVsPromoters.ordersPerCustomer.diff < 0, 'detractors order less');
    assert.ok(detractors.repeat.share < promoters.repeat.share);
    assert.ok(b.detractorsStillBuying.count > 0 && b.detractorsStillBuying.share < promoters.buying.share);
    // Promoters spend more, so weighting by revenue lifts NPS.
    assert.ok(b.revenueWeighted.nps > b.revenueWeighted.unweightedNps);
    assert.equal(b.findings.length, 3);
  });

  it('the planted campaign lifts NPS; the naive comparison overstates it; a campaign without effect is not credited', async (t) => {
    const campaigns = await get(s, '/api/v1/impact/campaigns', demo.secretKey);
    const planted = campaigns.items.find((c: { campaign: string }) => c.campaign === truth.campaign.name);
    assert.ok(planted && Date.parse(planted.firstAt) >= truth.campaign.startsAt && Date.parse(planted.firstAt) < truth.campaign.endsAt, 'exposure starts with the campaign');
    assert.equal(campaigns.items.length, 6);

    const r = await get(s, `/api/v1/impact/campaign?campaign=${encodeURIComponent(truth.campaign.name)}`, demo.secretKey);
    const naive = await get(s, `/api/v1/impact/campaign?campaign=${encodeURIComponent(truth.campaign.name)}&baseline=all`, demo.secretKey);
    const line = (x: typeof r) => `before/after ${x.beforeAfter.change.diff.toFixed(1)} (p ${x.beforeAfter.change.p.toFixed(3)}, ${x.beforeAfter.pairs} pairs), unexposed ${x.unexposedBeforeAfter.change.diff.toFixed(1)} (${x.unexposedBeforeAfter.pairs} pairs), net ${x.netChange.difference.diff.toFixed(1)} (p ${x.netChange.difference.p.toFixed(3)}), exposed vs not ${x.exposedVsNot.difference.diff.toFixed(1)} (p ${x.exposedVsNot.difference.p.toExponential(1)}, ${x.exposedVsNot.exposed.n} vs ${x.exposedVsNot.unexposed.n})`;
    t.diagnostic(`demo ${truth.campaign.name} (planted +${truth.campaign.npsLift}): ${line(r)}; naive exposed vs not ${naive.exposedVsNot.difference.diff.toFixed(1)}`);
    // Exposed vs comparable unexposed: positive, significant, and its interval holds the planted lift.
    assert.equal(r.exposedVsNot.verdict.finding, 'higher');
    assert.ok(r.exposedVsNot.difference.low <= truth.campaign.npsLift && truth.campaign.npsLift <= r.exposedVsNot.difference.high);
    // The same people before and after, net of the unexposed: positive, its interval holds the lift.
    assert.ok(r.netChange.difference.diff > 0);
    assert.ok(r.netChange.difference.low <= truth.campaign.npsLift && truth.campaign.npsLift <= r.netChange.difference.high);
    assert.ok(r.beforeAfter.pairs >= 200 && r.unexposedBeforeAfter.pairs >= 200);
    // Newcomers in the unexposed side make the campaign look better than it is (DemoTruth).
    assert.ok(naive.exposedVsNot.difference.diff > r.exposedVsNot.difference.diff);

    // Campaigns with no planted effect are not credited with one, however the naive side reads.
    for (const name of ['Refer a Friend', 'Gift Guide', 'Mid-Year Sale']) {
      const other = await get(s, `/api/v1/impact/campaign?campaign=${encodeURIComponent(name)}`, demo.secretKey);
      const otherNaive = await get(s, `/api/v1/impact/campaign?campaign=${encodeURIComponent(name)}&baseline=all`, demo.secretKey);
      t.diagnostic(`demo ${name}: ${line(other)}; naive exposed vs not ${otherNaive.exposedVsNot.difference.diff.toFixed(1)} (${otherNaive.exposedVsNot.verdict.finding})`);
      for (const v of [other.exposedVsNot.verdict, other.netChange.verdict]) assert.notEqual(v.finding, 'higher', `${name}: ${v.text}`);
      assert.doesNotMatch(other.summary, /^Likely a real effect/);
      if (name === 'Mid-Year Sale') assert.ok(otherNaive.exposedVsNot.difference.diff > other.exposedVsNot.difference.diff, 'newcomers flatter every campaign');
    }
  });

  it('the weak channel stands out in the channel breakdown', async () => {
    const b = await get(s, '/api/v1/metrics/breakdown?by=channel', demo.secretKey);
    const rows = b.rows as Array<{ value: string; nps: number; mark: string | null }>;
    const weak = rows.find((r) => r.value === truth.weakChannel)!;
    assert.equal(weak.mark, 'lower', `${truth.weakChannel} is significantly below the other channels`);
    assert.equal(rows.reduce((a, r) => (r.nps < a.nps ? r : a)).value, truth.weakChannel, 'and the lowest of all');
    for (const r of rows.filter((r) => r.value !== truth.weakChannel)) assert.notEqual(r.mark, 'lower', `${r.value} is not singled out`);
  });

  it('the Themes ranking puts the planted theme first: late parcels cost the most points', async () => {
    // The text consumer analyses comments on the bus as they arrive, by the lexicon until the demo's
    // own model is learnt; the stored ones are then read again by the model in the background, which
    // is what a visitor sees a moment later: that re-reading done here (as its job would), then the
    // bus caught up. Only the bus: a tick would also run the clock's due survey waves over 8,000 customers.
    await s.bus.catchUp();
    await backfillTexts(store.db, s.services.textModels, { workspaceId: demo.workspaceId });
    await s.bus.catchUp();
    const d = await get(s, '/api/v1/metrics/drivers', demo.secretKey);
    assert.ok(d.commented > 1000, `${d.commented} comments analysed`);
    const [first, ...rest] = d.themes;
    assert.equal(first.id, truth.costliestTheme, `ranked: ${d.themes.map((t: any) => `${t.id} ${t.impact?.toFixed(1)}`).join(', ')}`);
    assert.ok(first.readable && first.impactHigh < 0, `${first.id} costs points, the whole interval below zero: [${first.impactLow}, ${first.impactHigh}]`);
    assert.ok(first.netSentiment < 0, `net sentiment of ${first.id}: ${first.netSentiment}; ${JSON.stringify(d.themes.map((t: any) => [t.id, t.netSentiment]))}`);
    assert.ok(rest.every((t: any) => !t.readable || Math.abs(t.impact) <= Math.abs(first.impact)));
    assert.equal(first.quotes.length, 3);
    for (const q of first.quotes) assert.ok(q.text.themes.some((t: any) => t.id === truth.costliestTheme), `a quote about ${truth.costliestTheme}: ${q.comment}`);
  });

  // The churn model, trained as of the demo's last day: the generator ties churn to satisfaction
  // (detractors churn three times as often after answering), and the model must find that out of sample.
  it('finds score as a risk factor, with a held-out AUC well above chance, and ranks those who then churn first', async (t) => {
    {
      const engine = new InsightEngine(store.db);
      const t0 = performance.now();
      const model = await retrainChurnModel(store.db, engine, demo.workspaceId, NOW);
      const ms = performance.now() - t0;
      const coefficient = (f: string) => model.model.coefficients[model.model.features.indexOf(f)];
      t.diagnostic(`demo churn model: AUC ${model.metrics.auc?.toFixed(3)} [${model.metrics.aucInterval?.low.toFixed(3)}, ${model.metrics.aucInterval?.high.toFixed(3)}] (folds ${model.metrics.folds.map((f) => f.auc?.toFixed(3)).join(', ')}), base rate ${model.metrics.baseRate.toFixed(3)}, ${model.metrics.customers} customers, scored ${model.metrics.scored}, trained in ${Math.round(ms)} ms; latest score ${coefficient('latestScore').toFixed(3)}`);
      // Orders are rare (about one in a hundred days), so whether someone orders in the next 90 days is
      // partly chance whatever is known: about 0.65 is what this label allows (adding visit activity
      // as a feature moved it by 0.016). The interval shows it is far from chance.
      assert.ok(model.metrics.auc! >= 0.62, `AUC ${model.metrics.auc}`);
      assert.ok(model.metrics.aucInterval!.low > 0.58, JSON.stringify(model.metrics.aucInterval));
      assert.ok(coefficient('latestScore') < -0.3, 'a lower score, a higher risk');
      // The strongest single effect is the score.
      const strongest = model.model.features[model.model.coefficients.reduce((best, c, j, all) => (Math.abs(c) > Math.abs(all[best]) ? j : best), 0)];
      assert.equal(strongest, 'latestScore');

      // Out of time: a model trained 90 days ago ranks people then; those it put on top did churn more.
      const then = NOW - 90 * DAY;
      const past = await retrainChurnModel(store.db, engine, demo.workspaceId, then);
      const ranked = await atRisk(store.db, demo.workspaceId, past.id, { limit: 100_000 });
      const h = await loadChurnHistory(store.db, demo.workspaceId, past.definition, await engine.answers(demo.workspaceId), NOW);
      const fifth = Math.floor(ranked.length / 5);
      const rate = (xs: typeof ranked) => xs.filter((x) => churnedFrom(h, x.profileId, then)).length / xs.length;
      const [topRate, bottomRate] = [rate(ranked.slice(0, fifth)), rate(ranked.slice(-fifth))];
      t.diagnostic(`demo at-risk list 90 days ago: ${ranked.length} customers; churned since: top fifth ${topRate.toFixed(3)}, bottom fifth ${bottomRate.toFixed(3)}`);
      assert.ok(topRate > bottomRate + 0.2, `top ${topRate} vs bottom ${bottomRate}`);
      assert.ok(ranked[0].factors.some((f) => /^Gave an? [0-6] out of 10/.test(f.text)), JSON.stringify(ranked[0].factors));
    }
  });
});
