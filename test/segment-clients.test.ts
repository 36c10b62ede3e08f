import assert from 'node:assert/strict';
import { Analytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { forEachBackend } from './helpers/backends.ts';
import { startServer } from './helpers/server.ts';

// The real client libraries, unchanged, pointed at our server over loopback.
forEachBackend('@segment/analytics-node sends every call type onto the right profiles', async (store) => {
  const s = await startServer(store);
  try {
    const analytics = new Analytics({ writeKey: s.ws.writeKey, host: s.url, flushAt: 3, flushInterval: 50, maxRetries: 1 });
    const errors: unknown[] = [];
    analytics.on('error', (e) => errors.push(e));
    analytics.page({ anonymousId: 'seg-anon-1', name: 'Pricing', properties: { path: '/pricing' }, context: { campaign: { name: 'autumn-sale', source: 'newsletter' } } as any });
    analytics.identify({ anonymousId: 'seg-anon-1', userId: 'seg-user-1', traits: { email: 'Ada@Example.com', plan: 'pro' } });
    analytics.track({ userId: 'seg-user-1', event: 'Order Completed', properties: { order_id: 'o1', revenue: 120.5, currency: 'USD' } });
    analytics.group({ userId: 'seg-user-1', groupId: 'acme', traits: { name: 'Acme Ltd' } });
    analytics.track({ anonymousId: 'seg-anon-2', event: 'Product Viewed', properties: { sku: 'x' } });
    analytics.alias({ userId: 'seg-user-1', previousId: 'seg-anon-2' });
    analytics.track({ userId: 'seg-user-1', event: 'NPS Survey Responded', properties: { score: 9, comment: 'Fast and friendly', channel: 'web' } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    assert.deepEqual(errors, []);

    const p = await s.call('GET', '/api/v1/profiles?userId=seg-user-1', s.ws.secretKey);
    assert.equal(p.status, 200, p.text);
    const ids = p.json.identities.map((i: any) => `${i.kind}:${i.value}`).sort();
    assert.deepEqual(ids, ['anonymousId:seg-anon-1', 'anonymousId:seg-anon-2', 'email:ada@example.com', 'userId:seg-user-1']);
    assert.equal(p.json.traits.plan, 'pro');
    assert.equal(p.json.computed.orderCount, 1);
    assert.equal(p.json.computed.lifetimeRevenue, 120.5);
    assert.equal(p.json.computed.lastCampaign, 'autumn-sale');
    assert.equal(p.json.computed.latestNps.score, 9);
    assert.deepEqual(p.json.groups, ['acme']);
    // The aliased visitor was merged in (the first visitor is merged or attached, depending on how
    // the client happened to batch the page and the identify); either way one person remains.
    assert.ok(p.json.mergedFrom.length >= 1);

    // The anonymous page view, made before the identify, is on the same timeline.
    const t = await s.call('GET', `/api/v1/profiles/${p.json.id}/timeline?limit=100`, s.ws.secretKey);
    const kinds = t.json.items.map((i: any) => `${i.type}:${i.name}`);
    for (const k of ['page:Pricing', 'identify:null', 'track:Order Completed', 'group:acme', 'track:Product Viewed', 'alias:seg-anon-2', 'track:NPS Survey Responded']) {
      assert.ok(kinds.includes(k), `${k} on the timeline: ${kinds.join(', ')}`);
    }
    const answer = t.json.items.find((i: any) => i.answer);
    assert.equal(answer.answer.comment, 'Fast and friendly');
    assert.equal(answer.answer.channel, 'web');
    // Nothing leaked into the other workspace.
    assert.equal((await s.call('GET', '/api/v1/profiles?userId=seg-user-1', s.other.secretKey)).status, 404);
  } finally {
    await s.close();
  }
});

forEachBackend('@rudderstack/rudder-sdk-node (gzip on) sends every call type onto the right profiles', async (store) => {
  const s = await startServer(store);
  try {
    const client = new RudderAnalytics(s.ws.writeKey, { dataPlaneUrl: s.url, flushAt: 100, flushInterval: 60_000, gzip: true, retryCount: 0, logLevel: 'error' } as any);
    client.page({ anonymousId: 'rs-anon', name: 'Home', properties: { path: '/' } } as any);
    client.identify({ anonymousId: 'rs-anon', userId: 'rs-user', traits: { email: 'grace@example.com', phone: '+44 20 7946 0000' } } as any);
    client.track({ userId: 'rs-user', event: 'Order Completed', properties: { revenue: 30, order_id: 'r1' } } as any);
    client.track({ userId: 'rs-user', event: 'Order Completed', properties: { total: 12.25, order_id: 'r2' } } as any);
    client.group({ userId: 'rs-user', groupId: 'globex', traits: { plan: 'enterprise' } } as any);
    client.screen({ userId: 'rs-user', name: 'Settings' } as any);
    client.alias({ userId: 'rs-user', previousId: 'rs-old-anon' } as any);
    await client.flush();

    const p = await s.call('GET', '/api/v1/profiles?phone=%2B442079460000', s.ws.secretKey);
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.userId, 'rs-user');
    assert.equal(p.json.computed.orderCount, 2);
    assert.equal(p.json.computed.lifetimeRevenue, 42.25);
    assert.deepEqual(p.json.groups, ['globex']);
    const t = await s.call('GET', `/api/v1/profiles/${p.json.id}/timeline`, s.ws.secretKey);
    assert.equal(t.json.items.length, 7);
    assert.ok(t.json.items.some((i: any) => i.type === 'screen' && i.name === 'Settings'));
    // The alias attached the previous id: an event sent with it lands on the same person.
    const again = await s.call('POST', '/v1/track', s.ws.writeKey, { anonymousId: 'rs-old-anon', event: 'Came Back' });
    assert.equal(again.status, 200);
    const byOld = await s.call('GET', '/api/v1/profiles?anonymousId=rs-old-anon', s.ws.secretKey);
    assert.equal(byOld.json.id, p.json.id);
  } finally {
    await s.close();
  }
});
