import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { categoryOf, isValidScore } from '../src/domain/category.ts';
import { demoTruth, demoWindow, generateDemo, type DemoOptions } from '../src/demo/generate.ts';
import { Random } from '../src/domain/random.ts';
import { NPS_RESPONDED, ORDER_COMPLETED } from '../src/domain/event.ts';
import type { SpecMessage } from '../src/ingest/types.ts';

const DAY = 86_400_000;
// A fixed clock: the generator must not read the real one when `now` is given.
const NOW = Date.UTC(2026, 5, 1);

function digest(options: DemoOptions): string {
  const h = createHash('sha256');
  for (const batch of generateDemo(options)) h.update(JSON.stringify(batch));
  return h.digest('hex');
}

function nps(scores: number[]): number {
  let p = 0;
  let d = 0;
  for (const s of scores) {
    const c = categoryOf(s);
    if (c === 'promoter') p++;
    else if (c === 'detractor') d++;
  }
  return (100 * (p - d)) / scores.length;
}

describe('seeded random', () => {
  it('repeats for a seed and stays in range', () => {
    const a = new Random(7);
    const b = new Random(7);
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      assert.equal(x, b.next());
      assert.ok(x >= 0 && x < 1);
    }
    assert.notEqual(new Random(8).next(), new Random(7).next());
    const r = new Random(1);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += r.poisson(3);
    assert.ok(Math.abs(sum / 20_000 - 3) < 0.1);
    assert.match(r.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('demo generator: determinism', () => {
  const small = { customers: 300, seed: 7, now: NOW };
  it('gives identical output for identical options', () => {
    assert.equal(digest(small), digest({ ...small }));
  });
  it('gives different output for a different seed', () => {
    assert.notEqual(digest(small), digest({ ...small, seed: 8 }));
  });
  it('scales with customers and months', () => {
    let customers = 0;
    const { start, end } = demoWindow({ months: 3, now: NOW });
    for (const batch of generateDemo({ customers: 50, months: 3, now: NOW })) {
      customers++;
      for (const m of batch) {
        const t = Date.parse(String(m.timestamp));
        assert.ok(t > start && t < end);
      }
    }
    assert.equal(customers, 50);
  });
});

// One streaming pass over the default run gathers everything the assertions need, so the
// messages themselves are never all held in memory.
interface Answer {
  user: string;
  t: number;
  score: number;
  channel: string;
  comment?: string;
}

describe('demo generator: default run', () => {
  const options = { now: NOW };
  const truth = demoTruth(options);
  const { start, end } = demoWindow(options);
  let customers = 0;
  let ms = 0;
  const problems: string[] = [];
  const byType = new Map<string, number>();
  const byEvent = new Map<string, number>();
  const messageIds = new Set<string>();
  let messages = 0;
  const answers: Answer[] = [];
  const orders = new Map<string, number[]>();
  const activity = new Map<string, number[]>();
  const firstSeen = new Map<string, number>();
  const exposedAt = new Map<string, number>();
  let nonNumericRevenue = 0;
  let identifiesMerging = 0;

  before(() => {
    const t0 = performance.now();
    for (const batch of generateDemo(options)) {
      customers++;
      let prev = -Infinity;
      let userId = '';
      const anonymousPages = new Set<string>();
      batch.forEach((m: SpecMessage, i) => {
        messages++;
        const problem = (why: string) => problems.length < 20 && problems.push(`${m.messageId}: ${why}`);
        if (!m.type) problem('no type');
        if (!m.messageId) problem('no messageId');
        else if (messageIds.has(m.messageId)) problem('duplicate messageId');
        else messageIds.add(m.messageId);
        if (!m.userId && !m.anonymousId) problem('no identity');
        const t = typeof m.timestamp === 'string' ? Date.parse(m.timestamp) : NaN;
        if (!(t > start && t < end)) problem(`timestamp ${m.timestamp} out of window`);
        if (t < prev) problem('not chronological');
        prev = t;
        if ((m.context?.library as { name?: string } | undefined)?.name !== 'advocate-demo') problem('no library');
        byType.set(m.type, (byType.get(m.type) ?? 0) + 1);

        if (i === 0) {
          if (m.type !== 'page' || m.userId) problem('first message is not an anonymous page view');
        }
        if (m.type === 'page' && !m.userId && m.anonymousId) anonymousPages.add(m.anonymousId);
        if (m.type === 'identify') {
          userId = m.userId ?? '';
          const traits = m.traits ?? {};
          for (const k of ['email', 'name', 'plan', 'country', 'created_at']) if (traits[k] === undefined) problem(`identify without ${k}`);
          // The identify must carry the anonymous visitor's id, or the visit stays a stranger.
          if (m.userId && m.anonymousId && anonymousPages.has(m.anonymousId)) identifiesMerging++;
        }
        if (m.type === 'alias' && (!m.userId || !anonymousPages.has(m.previousId ?? ''))) problem('alias does not join an earlier anonymous visitor');
        if (m.type === 'group' && !m.groupId) problem('group without groupId');
        if (!m.userId) return;
        const u = m.userId;
        if (!firstSeen.has(u)) firstSeen.set(u, t);

        if (m.type === 'track') byEvent.set(m.event!, (byEvent.get(m.event!) ?? 0) + 1);
        if (m.event === ORDER_COMPLETED) {
          const p = m.properties ?? {};
          if (typeof p.revenue !== 'number' || typeof p.total !== 'number' || !Array.isArray(p.products) || p.currency !== 'USD') nonNumericRevenue++;
          (orders.get(u) ?? orders.set(u, []).get(u)!).push(t);
        }
        if (m.type === 'page' || m.type === 'screen' || m.event === ORDER_COMPLETED) (activity.get(u) ?? activity.set(u, []).get(u)!).push(t);
        if ((m.event === 'Campaign Email Opened' || m.event === 'Campaign Clicked') && m.properties?.campaign === truth.campaign.name && !exposedAt.has(u)) exposedAt.set(u, t);
        if (m.event === NPS_RESPONDED) {
          const p = m.properties ?? {};
          if (!isValidScore(p.score)) problem(`bad score ${String(p.score)}`);
          if ('journey_stage' in p || 'stage' in p) problem('answer carries a stage');
          if (p.comment !== undefined && (typeof p.comment !== 'string' || !p.comment)) problem('empty comment');
          answers.push({ user: u, t, score: p.score as number, channel: String(p.channel), comment: p.comment as string | undefined });
        }
      });
      if (!userId) problems.push(`customer ${customers} never identified`);
    }
    ms = performance.now() - t0;
  });

  it('produces well-formed Segment messages', () => {
    assert.deepEqual(problems, []);
    assert.equal(customers, 5000);
    assert.equal(messageIds.size, messages);
    assert.equal(identifiesMerging, 5000);
    for (const type of ['identify', 'track', 'page', 'screen', 'group', 'alias']) assert.ok((byType.get(type) ?? 0) > 0, `no ${type} messages`);
    for (const event of [ORDER_COMPLETED, 'Order Delivered', 'Campaign Email Opened', 'Campaign Clicked']) assert.ok((byEvent.get(event) ?? 0) > 100, `too few ${event}`);
    assert.equal(nonNumericRevenue, 0);
    // Streaming keeps this fast; the bound is loose so a slow CI machine does not fail it.
    assert.ok(ms < 15_000, `generation took ${Math.round(ms)} ms`);
  });

  it('has about 3,000 answers with plausible scores and comments', () => {
    assert.ok(answers.length >= 2500 && answers.length <= 3500, `${answers.length} answers`);
    const overall = nps(answers.map((a) => a.score));
    assert.ok(overall >= 5 && overall <= 35, `NPS ${overall}`);
    for (const c of truth.channels) assert.ok(answers.some((a) => a.channel === c), `no ${c} answers`);
    const repeat = answers.length - new Set(answers.map((a) => a.user)).size;
    assert.ok(repeat > 100, 'some customers answer twice');
    const comments = answers.filter((a) => a.comment).map((a) => a.comment!);
    const share = comments.length / answers.length;
    assert.ok(share > 0.55 && share < 0.75, `comment share ${share}`);
    assert.ok(new Set(comments).size > 300, 'comments are varied');
    assert.ok(comments.some((c) => /not bad at all/i.test(c)) && comments.some((c) => /never had a problem/i.test(c)), 'negations present');
    const buyers = orders.size;
    assert.ok(buyers < customers * 0.9, 'some customers never order');
  });

  it('plants a weak channel', () => {
    const weak = nps(answers.filter((a) => a.channel === truth.weakChannel).map((a) => a.score));
    const rest = nps(answers.filter((a) => a.channel !== truth.weakChannel).map((a) => a.score));
    assert.ok(rest - weak >= 10, `${truth.weakChannel} ${weak.toFixed(1)} vs rest ${rest.toFixed(1)}`);
  });

  it('plants a campaign that lifts NPS', () => {
    const { startsAt, endsAt } = truth.campaign;
    const period = answers.filter((a) => a.t >= startsAt && a.t < endsAt + 90 * DAY);
    const exposed = period.filter((a) => (exposedAt.get(a.user) ?? Infinity) < a.t);
    const unexposed = period.filter((a) => !exposedAt.has(a.user));
    assert.ok(exposed.length > 200 && unexposed.length > 200);
    const lift = nps(exposed.map((a) => a.score)) - nps(unexposed.map((a) => a.score));
    assert.ok(lift >= 5, `lift ${lift.toFixed(1)}`);
    // Against comparable customers (already customers before the launch) the lift still holds.
    const comparable = unexposed.filter((a) => (firstSeen.get(a.user) ?? Infinity) < startsAt);
    const fairLift = nps(exposed.map((a) => a.score)) - nps(comparable.map((a) => a.score));
    assert.ok(fairLift >= 5, `lift vs comparable ${fairLift.toFixed(1)}`);
  });

  it('plants behaviour that follows sentiment', () => {
    const horizon = 90 * DAY;
    const followed = answers.filter((a) => a.t < NOW - horizon);
    const after = (category: string) => {
      const group = followed.filter((a) => categoryOf(a.score) === category);
      const orderCount = group.reduce((s, a) => s + (orders.get(a.user) ?? []).filter((t) => t > a.t && t <= a.t + horizon).length, 0);
      const silent = group.filter((a) => !(activity.get(a.user) ?? []).some((t) => t > a.t + DAY)).length;
      return { orders: orderCount / group.length, churn: silent / group.length };
    };
    const promoters = after('promoter');
    const passives = after('passive');
    const detractors = after('detractor');
    assert.ok(promoters.orders > detractors.orders * 1.5, `orders ${promoters.orders} vs ${detractors.orders}`);
    assert.ok(passives.orders > detractors.orders && passives.orders < promoters.orders);
    assert.ok(detractors.churn > promoters.churn + 0.08, `churn ${detractors.churn} vs ${promoters.churn}`);
  });
});
