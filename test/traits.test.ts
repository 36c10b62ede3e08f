/**
 * The controls' API: GET /api/v1/traits offers the traits people who answered carry, with the
 * answers each value keeps, counted exactly as the trait filter counts them; breakdown rows carry
 * a readable label next to their value. On both backends, with another workspace that must not
 * show through.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { dimensionValueLabel } from '../src/domain/dimension-labels.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer } from './helpers/server.ts';

it('labels dimension values as people read them, and leaves values people named alone', () => {
  assert.deepEqual(
    ['sms', 'email', 'web', 'store', 'app'].map((v) => dimensionValueLabel('channel', v)),
    ['SMS', 'Email', 'Web', 'In-store', 'In-app'],
  );
  assert.equal(dimensionValueLabel('stage', 'repeat'), 'Repeat customer');
  assert.equal(dimensionValueLabel('channel', 'phone_call'), 'Phone call', 'an unknown code still reads as words');
  assert.equal(dimensionValueLabel('campaign', 'spring_sale'), 'spring_sale', 'a name someone chose stays as they wrote it');
  assert.equal(dimensionValueLabel('channel', null), '(not set)');
  assert.equal(dimensionValueLabel('channel', 'constructor'), 'Constructor', "Object's own names are not labels");
});

forEachBackend('traits: the picker lists known traits with the answers each value keeps, the same count the trait filter gives; breakdown rows carry labels', async (store) => {
  const s = await startServer(store);
  try {
    // 45 people: plan pro/plus/basic (9/12/24), a nested company.size, and identifiers (email,
    // created_at) that differ for everyone, and a moment with two values (invited_at). Pro people answer twice.
    const batch = Array.from({ length: 45 }, (_, i) => ({
      type: 'identify', userId: `u${i}`, messageId: `id-u${i}`,
      traits: { plan: i % 5 === 0 ? 'pro' : i % 3 === 0 ? 'plus' : 'basic', email: `u${i}@example.com`, created_at: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString(), company: { size: i % 2 ? 'small' : 'large' }, beta: i % 9 === 0, invited_at: i % 2 ? '2025-03-01T10:00:00.000Z' : '2025-04-01T10:00:00.000Z' },
    }));
    assert.equal((await s.call('POST', '/v1/batch', s.ws.writeKey, { batch })).status, 200);
    const survey = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Post-purchase NPS' });
    assert.equal(survey.status, 201, survey.text);
    for (let i = 0; i < 45; i++) {
      const times = i % 5 === 0 ? 2 : 1;
      for (let k = 0; k < times; k++) {
        const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `u${i}` }, score: (i + k) % 11, channel: i % 2 ? 'sms' : 'store', surveyId: survey.json.survey.id });
        assert.equal(r.status, 201, r.text);
      }
    }
    // The other workspace has traits of its own, which must not show here.
    assert.equal((await s.call('POST', '/v1/batch', s.other.writeKey, { batch: [{ type: 'identify', userId: 'x', messageId: 'id-x', traits: { secret_plan: 'gold' } }] })).status, 200);
    assert.equal((await s.call('POST', '/api/v1/answers', s.other.writeKey, { person: { userId: 'x' }, score: 3 })).status, 201);

    const traits = await s.call('GET', '/api/v1/traits', s.ws.secretKey);
    assert.equal(traits.status, 200, traits.text);
    const byName = new Map<string, { answers: number; distinct: number; values: Array<{ value: string; answers: number }> }>(traits.json.items.map((t: { name: string }) => [t.name, t]));
    assert.deepEqual([...byName.keys()].sort(), ['beta', 'company.size', 'plan'], 'identifiers (email, created_at) and moments (invited_at) are no picker; nested traits with dots');
    const plan = byName.get('plan')!;
    assert.deepEqual(plan.values, [{ value: 'basic', answers: 24 }, { value: 'pro', answers: 18 }, { value: 'plus', answers: 12 }], 'most frequent first, counted in answers');
    assert.equal(plan.answers, 54);
    assert.deepEqual(byName.get('beta')!.values.map((v) => v.value).sort(), ['false', 'true'], 'booleans as the filter reads them');
    // Each listed value keeps exactly that many answers as a filter: the picker and the figure agree.
    for (const [name, t] of byName) {
      for (const v of t.values) {
        const nps = await s.call('GET', `/api/v1/metrics/nps?trait.${name}=${encodeURIComponent(v.value)}`, s.ws.secretKey);
        assert.equal(nps.status, 200, nps.text);
        assert.equal(nps.json.n, v.answers, `${name}=${v.value}`);
      }
    }
    const other = await s.call('GET', '/api/v1/traits', s.other.secretKey);
    assert.deepEqual(other.json.items.map((t: { name: string }) => t.name), ['secret_plan']);
    assert.equal((await s.call('GET', '/api/v1/traits', s.ws.writeKey)).status, 403, 'a public write key cannot read traits');

    // A later answer counts in the next list.
    assert.equal((await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: 'u1' }, score: 9 })).status, 201);
    const again = await s.call('GET', '/api/v1/traits', s.ws.secretKey);
    assert.equal(again.json.items.find((t: { name: string }) => t.name === 'plan').answers, 55);

    // Breakdown rows: the value as stored, the label as read.
    const byChannel = await s.call('GET', '/api/v1/metrics/breakdown?by=channel', s.ws.secretKey);
    assert.equal(byChannel.status, 200, byChannel.text);
    assert.deepEqual(Object.fromEntries(byChannel.json.rows.map((r: { value: string; label: string }) => [r.value, r.label])), { sms: 'SMS', store: 'In-store', api: 'API' });
    const bySurvey = await s.call('GET', '/api/v1/metrics/breakdown?by=survey', s.ws.secretKey);
    assert.deepEqual(bySurvey.json.rows.map((r: { value: string | null; label: string }) => [r.value, r.label]).sort(), [[null, '(not set)'], [survey.json.survey.id, 'Post-purchase NPS']]);
    const byPlan = await s.call('GET', '/api/v1/metrics/breakdown?by=trait.plan', s.ws.secretKey);
    assert.ok(byPlan.json.rows.every((r: { value: string; label: string }) => r.label === r.value), 'trait values read as written');
  } finally {
    await s.close();
  }
});
