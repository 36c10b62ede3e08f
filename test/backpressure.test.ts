/**
 * The writer's back-pressure, for real: past ADVOCATE_LAG_MAX accepted-but-unprojected events, new
 * events are refused with 429 and Retry-After (nothing of them stored), and the Segment client,
 * which retries a 429, still delivers every event exactly once.
 */
import assert from 'node:assert/strict';
import { Analytics } from '@segment/analytics-node';
import { forEachBackend } from './helpers/backends.ts';

// Read when the writer module loads (in the SQLite writer's thread too): set before importing the server.
process.env.ADVOCATE_LAG_MAX = '150';
const { basic, startServer } = await import('./helpers/server.ts');

const batchOf = (wave: number, n: number) => ({
  batch: Array.from({ length: n }, (_, i) => ({ type: 'track', userId: `bp-${i % 20}`, event: 'Viewed', messageId: `w${wave}-${i}` })),
});

forEachBackend('back-pressure: past the lag limit new events get 429 with Retry-After, store nothing, and a retrying client loses nothing', async (store) => {
  const s = await startServer(store);
  try {
    const post = (body: unknown) => fetch(`${s.url}/v1/batch`, { method: 'POST', headers: { authorization: basic(s.ws.writeKey), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // Waves of concurrent batches, each sent the moment the one before is acknowledged, until the backlog is deep enough to refuse one.
    const accepted: number[] = [];
    const refused: number[] = [];
    let retryAfter: string | null = null;
    for (let wave = 0; wave < 50 && refused.length === 0; wave++) {
      const replies = await Promise.all(Array.from({ length: 8 }, (_, k) => post(batchOf(wave * 8 + k, 100)).then(async (r) => ({ r, k, text: await r.text() }))));
      for (const { r, k, text } of replies) {
        if (r.status === 429) {
          refused.push(wave * 8 + k);
          retryAfter = r.headers.get('retry-after');
          assert.match(JSON.parse(text).message, /behind; retry in a second/);
        } else {
          assert.equal(r.status, 200, text);
          accepted.push(wave * 8 + k);
        }
      }
    }
    assert.ok(refused.length > 0, 'no 429 after 50 waves of 800 events');
    assert.equal(retryAfter, '1');
    await s.settle();
    const stored = await store.db.selectFrom('events').select('message_id').where('workspace_id', '=', s.ws.id).execute();
    const ids = new Set(stored.map((r) => r.message_id));
    assert.equal(ids.size, stored.length, 'an event stored twice');
    for (const b of accepted) assert.ok(ids.has(`w${b}-0`) && ids.has(`w${b}-99`), `acknowledged batch ${b} missing`);
    for (const b of refused) assert.ok(!ids.has(`w${b}-0`), `refused batch ${b} was stored`);
    assert.equal(stored.length, accepted.length * 100);

    // The real client retries 429s: every event arrives, once.
    const analytics = new Analytics({ writeKey: s.ws.writeKey, host: s.url, flushAt: 100, flushInterval: 20, maxRetries: 20 });
    for (let i = 0; i < 3_000; i++) analytics.track({ userId: `client-${i % 50}`, event: 'Clicked', messageId: `client-${i}` });
    await analytics.closeAndFlush({ timeout: 60_000 });
    await s.settle();
    const fromClient = await store.db.selectFrom('events').select('message_id').where('workspace_id', '=', s.ws.id).where('message_id', 'like', 'client-%').execute();
    assert.equal(fromClient.length, 3_000);
    assert.equal(new Set(fromClient.map((r) => r.message_id)).size, 3_000);
  } finally {
    await s.close();
  }
});
