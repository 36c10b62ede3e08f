import assert from 'node:assert/strict';
import { forEachBackend } from './helpers/backends.ts';
import { startServer } from './helpers/server.ts';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

forEachBackend('identify merges two existing profiles; events, answers and traits follow the survivor', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    const t0 = Date.UTC(2026, 0, 1);
    // Two separate people as far as we know: an anonymous browser and a known customer.
    await s.call('POST', '/v1/batch', w, {
      batch: [
        { type: 'page', anonymousId: 'browser-1', name: 'Home', messageId: 'p1', timestamp: iso(t0), context: { campaign: { name: 'winter', source: 'google' } } },
        { type: 'track', anonymousId: 'browser-1', event: 'NPS Survey Responded', messageId: 'a1', timestamp: iso(t0 + DAY), properties: { score: 4, channel: 'web', comment: 'slow site' } },
        { type: 'identify', userId: 'cust-9', messageId: 'i1', timestamp: iso(t0 + 2 * DAY), traits: { plan: 'basic', email: 'nine@example.com' } },
        { type: 'track', userId: 'cust-9', event: 'Order Completed', messageId: 'o1', timestamp: iso(t0 + 3 * DAY), properties: { revenue: 50 } },
      ],
    });
    const anon = (await s.call('GET', '/api/v1/profiles?anonymousId=browser-1', s.ws.secretKey)).json;
    const known = (await s.call('GET', '/api/v1/profiles?userId=cust-9', s.ws.secretKey)).json;
    assert.notEqual(anon.id, known.id);

    // Now the browser logs in.
    const r = await s.call('POST', '/v1/identify', w, { userId: 'cust-9', anonymousId: 'browser-1', messageId: 'i2', timestamp: iso(t0 + 4 * DAY), traits: { plan: 'pro' } });
    assert.equal(r.status, 200);
    const merged = (await s.call('GET', '/api/v1/profiles?anonymousId=browser-1', s.ws.secretKey)).json;
    assert.equal(merged.id, known.id, 'the identified profile survives');
    assert.equal(merged.traits.plan, 'pro');
    assert.equal(merged.traits.email, 'nine@example.com');
    assert.equal(merged.computed.orderCount, 1);
    assert.equal(merged.computed.latestNps.score, 4);
    assert.equal(merged.computed.firstSeen, iso(t0));
    assert.equal(merged.mergedFrom.length, 1);
    assert.equal(merged.mergedFrom[0].profileId, anon.id);
    // The old id still answers, with the survivor.
    assert.equal((await s.call('GET', `/api/v1/profiles/${anon.id}`, s.ws.secretKey)).json.id, known.id);
    const tl = (await s.call('GET', `/api/v1/profiles/${known.id}/timeline`, s.ws.secretKey)).json;
    assert.deepEqual(tl.items.map((i: any) => i.messageId), ['i2', 'o1', 'i1', 'a1', 'p1']);
    const answers = (await s.call('GET', `/api/v1/answers?profileId=${known.id}`, s.ws.secretKey)).json;
    assert.equal(answers.items.length, 1);
    assert.equal(answers.items[0].comment, 'slow site');
    // The merge is recorded with what the merged profile had.
    const rec = await s.store.db.selectFrom('merges').selectAll().where('merged_id', '=', anon.id).executeTakeFirstOrThrow();
    assert.equal(rec.status, 'merged');
    assert.match(rec.details, /browser-1/);
    // Trait history keeps both values of plan.
    const hist = (await s.call('GET', `/api/v1/profiles/${known.id}/traits/history?trait=plan`, s.ws.secretKey)).json;
    assert.deepEqual(hist.changes.map((c: any) => [c.value, c.previous]), [['pro', 'basic'], ['basic', null]]);
  } finally {
    await s.close();
  }
});

forEachBackend('two different userIds are never merged implicitly; alias can join them', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    await s.call('POST', '/v1/identify', w, { userId: 'alice', anonymousId: 'shared-laptop', messageId: 'x1' });
    await s.call('POST', '/v1/identify', w, { userId: 'bob', messageId: 'x2' });
    // Bob logs in on Alice's laptop: the anonymous id is Alice's, but Bob is not Alice.
    await s.call('POST', '/v1/identify', w, { userId: 'bob', anonymousId: 'shared-laptop', messageId: 'x3' });
    const alice = (await s.call('GET', '/api/v1/profiles?userId=alice', s.ws.secretKey)).json;
    const bob = (await s.call('GET', '/api/v1/profiles?userId=bob', s.ws.secretKey)).json;
    assert.notEqual(alice.id, bob.id);
    const refused = await s.store.db.selectFrom('merges').selectAll().where('status', '=', 'refused').execute();
    assert.equal(refused.length, 1);
    assert.match(refused[0].reason, /alice/);
    // An explicit alias from a renamed account does merge.
    await s.call('POST', '/v1/alias', w, { userId: 'bob', previousId: 'alice', messageId: 'x4' });
    assert.equal((await s.call('GET', '/api/v1/profiles?userId=alice', s.ws.secretKey)).json.id, bob.id);
  } finally {
    await s.close();
  }
});

forEachBackend('answers: context at answer time, comment update with token, idempotency, latest vs previous score', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    const now = Date.now();
    await s.call('POST', '/v1/batch', w, {
      batch: [
        { type: 'identify', userId: 'c1', messageId: 'c1-i', timestamp: iso(now - 200 * DAY), traits: { name: 'Cleo' } },
        { type: 'track', userId: 'c1', event: 'Order Completed', messageId: 'c1-o1', timestamp: iso(now - 120 * DAY), properties: { revenue: 80 } },
        { type: 'track', userId: 'c1', event: 'Order Completed', messageId: 'c1-o2', timestamp: iso(now - 10 * DAY), properties: { total: 20 } },
        { type: 'page', userId: 'c1', name: 'Offer', messageId: 'c1-p', timestamp: iso(now - 2 * DAY), context: { campaign: { name: 'spring-promo', source: 'newsletter' }, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile' } },
      ],
    });
    const first = await s.call('POST', '/api/v1/answers', w, { person: { userId: 'c1' }, score: 6, channel: 'email', timestamp: iso(now - DAY), messageId: 'ans-1' });
    assert.equal(first.status, 201, first.text);
    const a = first.json.answer;
    assert.equal(a.category, 'detractor');
    assert.deepEqual(a.context, { journeyStage: 'repeat', daysSinceLastOrder: 9, daysSinceFirstSeen: 199, campaign: 'spring-promo', utmSource: 'newsletter', device: null });
    assert.equal(a.comment, null);

    // The score is stored the moment it is sent; the comment follows with the token.
    const noToken = await s.call('PATCH', `/api/v1/answers/${a.id}`, w, { comment: 'too pricey' });
    assert.equal(noToken.status, 403);
    const badToken = await s.call('PATCH', `/api/v1/answers/${a.id}`, w, { comment: 'x', updateToken: 'forged' });
    assert.equal(badToken.status, 403);
    const ok = await s.call('PATCH', `/api/v1/answers/${a.id}`, w, { comment: 'too pricey', updateToken: first.json.updateToken });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.answer.comment, 'too pricey');
    const ev = (await s.call('GET', `/api/v1/profiles/${a.profileId}/timeline?type=track&limit=1`, s.ws.secretKey)).json.items[0];
    assert.equal(ev.name, 'NPS Survey Responded');
    assert.equal(ev.properties.comment, 'too pricey');
    assert.equal(ev.properties.score, 6);

    // Redelivery with the same messageId returns the first answer, never a second one.
    const again = await s.call('POST', '/api/v1/answers', w, { person: { userId: 'c1' }, score: 6, channel: 'email', messageId: 'ans-1' });
    assert.equal(again.status, 200);
    assert.equal(again.json.duplicate, true);
    assert.equal(again.json.answer.id, a.id);

    // A newer answer becomes the latest; an older one arriving late does not displace it.
    await s.call('POST', '/api/v1/answers', w, { person: { userId: 'c1' }, score: 10, channel: 'web', timestamp: iso(now) });
    await s.call('POST', '/api/v1/answers', w, { person: { userId: 'c1' }, score: 3, channel: 'sms', timestamp: iso(now - 50 * DAY) });
    const p = (await s.call('GET', '/api/v1/profiles?userId=c1', s.ws.secretKey)).json;
    assert.equal(p.computed.latestNps.score, 10);
    assert.equal(p.computed.previousNpsScore, 6);
    assert.equal(p.computed.npsChange, 4);
    assert.equal(p.computed.orderCount, 2);
    assert.equal(p.computed.lifetimeRevenue, 100);
    assert.equal(p.computed.journeyStage, 'repeat');
    assert.equal(p.computed.tenureDays, 200);

    // A new person by email only; later identify with that email joins them to the customer.
    const byEmail = await s.call('POST', '/api/v1/answers', w, { person: { email: 'New@Example.com', traits: { name: 'Nia' } }, score: 9, channel: 'store', properties: { location: 'Leeds' } });
    assert.equal(byEmail.status, 201);
    assert.deepEqual(byEmail.json.answer.properties, { location: 'Leeds' });
    await s.call('POST', '/v1/identify', w, { userId: 'nia-1', traits: { email: 'new@example.com' } });
    const nia = (await s.call('GET', '/api/v1/profiles?userId=nia-1', s.ws.secretKey)).json;
    assert.equal(nia.id, byEmail.json.answer.profileId);
    assert.equal(nia.traits.name, 'Nia');
    assert.equal(nia.computed.latestNps.score, 9);
  } finally {
    await s.close();
  }
});

forEachBackend('journey stages follow configurable rules; timeline pages never overlap', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    const now = Date.now();
    const batch = Array.from({ length: 25 }, (_, i) => ({ type: 'track', userId: 'pager', event: `E${i}`, messageId: `pg-${i}`, timestamp: iso(now - (i % 5) * DAY) }));
    batch.push({ type: 'track', userId: 'pager', event: 'Order Completed', messageId: 'pg-order', timestamp: iso(now - 100 * DAY), properties: { revenue: 5 } } as any);
    await s.call('POST', '/v1/batch', w, { batch });
    const p = (await s.call('GET', '/api/v1/profiles?userId=pager', s.ws.secretKey)).json;
    assert.equal(p.computed.journeyStage, 'lapsed');
    const rules = [
      { stage: 'vip', when: [{ field: 'lifetime_revenue', op: 'gte', value: 5 }] },
      { stage: 'other', when: [] },
    ];
    const put = await s.call('PUT', '/api/v1/settings/journey-stages', s.ws.secretKey, { rules });
    assert.equal(put.status, 200, put.text);
    assert.equal((await s.call('GET', `/api/v1/profiles/${p.id}`, s.ws.secretKey)).json.computed.journeyStage, 'vip');
    const ans = await s.call('POST', '/api/v1/answers', w, { person: { userId: 'pager' }, score: 8 });
    assert.equal(ans.json.answer.context.journeyStage, 'vip');
    // The other workspace keeps the defaults.
    assert.equal((await s.call('GET', '/api/v1/settings/journey-stages', s.other.secretKey)).json.rules[0].stage, 'lapsed');

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await s.call('GET', `/api/v1/profiles/${p.id}/timeline?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, s.ws.secretKey)).json;
      seen.push(...page.items.map((i: any) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(seen.length, 27);
    assert.equal(new Set(seen).size, 27);
  } finally {
    await s.close();
  }
});

forEachBackend('clock skew is corrected from sentAt and originalTimestamp', async (store) => {
  const s = await startServer(store);
  try {
    // A device whose clock is a year behind: the event happened 5 s before it was sent.
    const deviceNow = Date.now() - 365 * DAY;
    const before = Date.now();
    await s.call('POST', '/v1/batch', s.ws.writeKey, {
      sentAt: iso(deviceNow),
      batch: [{ type: 'track', userId: 'skewed', event: 'Tapped', messageId: 'sk-1', originalTimestamp: iso(deviceNow - 5000) }],
    });
    const ev = (await s.call('GET', `/api/v1/profiles/${(await s.call('GET', '/api/v1/profiles?userId=skewed', s.ws.secretKey)).json.id}/timeline`, s.ws.secretKey)).json.items[0];
    const t = Date.parse(ev.timestamp);
    assert.ok(t >= before - 5000 - 50 && t <= Date.now() - 5000 + 50, `corrected ${ev.timestamp}`);
  } finally {
    await s.close();
  }
});

forEachBackend('redelivery is idempotent: in one commit, after projection, and for answers', async (store) => {
  const s = await startServer(store);
  try {
    const batch = {
      batch: [
        { type: 'track', userId: 'r1', event: 'Order Completed', messageId: 'dup-order', properties: { revenue: 10 } },
        { type: 'track', userId: 'r1', event: 'Order Completed', messageId: 'dup-order', properties: { revenue: 10 } },
        { type: 'track', userId: 'r1', event: 'NPS Survey Responded', messageId: 'dup-answer', properties: { score: 8 } },
      ],
    };
    await s.call('POST', '/v1/batch', s.ws.writeKey, batch);
    await s.settle();
    // The client retries the whole batch later (its first reply was lost), then once more at once.
    await s.call('POST', '/v1/batch', s.ws.writeKey, batch);
    await s.call('POST', '/v1/batch', s.ws.writeKey, batch);
    const p = (await s.call('GET', '/api/v1/profiles?userId=r1', s.ws.secretKey)).json;
    assert.equal(p.computed.orderCount, 1);
    assert.equal(p.computed.lifetimeRevenue, 10);
    const t = (await s.call('GET', `/api/v1/profiles/${p.id}/timeline`, s.ws.secretKey)).json;
    assert.equal(t.items.length, 2);
    assert.equal((await s.call('GET', '/api/v1/answers', s.ws.secretKey)).json.items.length, 1);
    // The answers API names the answer the first delivery created.
    const again = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: 'r1' }, score: 8, messageId: 'dup-answer' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.duplicate, true);
    assert.equal(again.json.answer.id, t.items.find((i: any) => i.answer).answer.id);
    assert.equal(await s.store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow().then((r) => Number(r.n)), 2);
  } finally {
    await s.close();
  }
});
