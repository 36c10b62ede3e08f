import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';

async function counts(s: TestServer) {
  const db = s.store.db;
  const n = async (t: 'events' | 'profiles' | 'answers' | 'identities') =>
    Number((await db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { events: await n('events'), profiles: await n('profiles'), answers: await n('answers'), identities: await n('identities') };
}

// Every bad request is answered 4xx with the field named, and leaves no row behind.
forEachBackend('bad input gets a clear 4xx and stores nothing half-way', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    const before = await counts(s);
    const cases: Array<[string, () => ReturnType<TestServer['call']>, number, RegExp]> = [
      ['malformed JSON', () => s.call('POST', '/v1/batch', w, '{"batch": [ {"type": "track",'), 400, /Malformed JSON/],
      ['malformed JSON on a single call', () => s.call('POST', '/v1/track', w, 'not json', { 'content-type': 'text/plain' }), 400, /Malformed JSON/],
      ['empty body', () => s.call('POST', '/v1/track', w, ''), 400, /Empty body/],
      ['batch is not an array', () => s.call('POST', '/v1/batch', w, { batch: 'nope' }), 400, /batch/],
      ['wrong type for userId', () => s.call('POST', '/v1/track', w, { userId: { a: 1 }, event: 'X' }), 400, /userId/],
      ['track without event', () => s.call('POST', '/v1/track', w, { userId: 'u' }), 400, /event/],
      ['properties not an object', () => s.call('POST', '/v1/track', w, { userId: 'u', event: 'X', properties: [1, 2] }), 400, /properties/],
      ['missing identity', () => s.call('POST', '/v1/track', w, { event: 'X' }), 400, /userId or anonymousId/],
      ['identify without identity', () => s.call('POST', '/v1/identify', w, { traits: { a: 1 } }), 400, /userId or anonymousId/],
      ['alias without previousId', () => s.call('POST', '/v1/alias', w, { userId: 'u' }), 400, /previousId/],
      ['type that does not match the endpoint', () => s.call('POST', '/v1/track', w, { type: 'identify', userId: 'u', event: 'X' }), 400, /type/],
      ['bad timestamp', () => s.call('POST', '/v1/track', w, { userId: 'u', event: 'X', timestamp: 'yesterday-ish' }), 400, /timestamp/],
      ['score 11 as an event', () => s.call('POST', '/v1/track', w, { userId: 'bad', event: 'NPS Survey Responded', properties: { score: 11 } }), 400, /properties\.score/],
      ['score 11', () => s.call('POST', '/api/v1/answers', w, { person: { userId: 'bad' }, score: 11 }), 400, /score/],
      ['score -1', () => s.call('POST', '/api/v1/answers', w, { person: { userId: 'bad' }, score: -1 }), 400, /score/],
      ['score 7.5', () => s.call('POST', '/api/v1/answers', w, { person: { userId: 'bad' }, score: 7.5 }), 400, /score/],
      ['score as a string', () => s.call('POST', '/api/v1/answers', w, { person: { userId: 'bad' }, score: '9' }), 400, /score/],
      ['answer without a person', () => s.call('POST', '/api/v1/answers', w, { person: {}, score: 5 }), 400, /person/],
      ['answer with a bad email', () => s.call('POST', '/api/v1/answers', w, { person: { email: 'not-an-email' }, score: 5 }), 400, /person\.email/],
      ['answer with an unknown field', () => s.call('POST', '/api/v1/answers', w, { person: { userId: 'bad' }, score: 5, scroe: 5 }), 400, /scroe|additional/i],
      ['answer with a bad timestamp', () => s.call('POST', '/api/v1/answers', w, { person: { userId: 'bad' }, score: 5, timestamp: 'soon' }), 400, /timestamp/],
      ['oversized event', () => s.call('POST', '/v1/track', w, { userId: 'u', event: 'Big', properties: { blob: 'x'.repeat(40 * 1024) } }), 413, /32 KB/],
      ['oversized batch', () => s.call('POST', '/v1/batch', w, { batch: Array.from({ length: 30 }, (_, i) => ({ type: 'track', userId: 'u', event: 'Big', messageId: `big-${i}`, properties: { blob: 'x'.repeat(20 * 1024) } })) }), 413, /500 KB/],
      ['oversized batch, gzipped small', () => s.call('POST', '/v1/batch', w, gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'u', event: 'Z', properties: { z: '0'.repeat(600 * 1024) } }] })), { 'content-encoding': 'gzip', 'content-type': 'application/x-www-form-urlencoded' }), 413, /500 KB/],
      ['body that is not gzip but says so', () => s.call('POST', '/v1/batch', w, '{"batch":[]}', { 'content-encoding': 'gzip' }), 400, /decompress/],
      ['unknown content encoding', () => s.call('POST', '/v1/batch', w, '{"batch":[]}', { 'content-encoding': 'zstd9' }), 415, /Content-Encoding/],
      ['gzipped JSON where only the Segment routes decompress', () => s.call('POST', '/api/v1/answers', w, gzipSync(JSON.stringify({ person: { userId: 'bad' }, score: 5 })), { 'content-encoding': 'gzip', 'content-type': 'application/json' }), 415, /Content-Encoding.*uncompressed/],
      ['batch where nothing can be stored', () => s.call('POST', '/v1/batch', w, { batch: [{ type: 'track', event: 'no identity' }] }), 400, /No message in the batch/],
      ['metrics with a bad date', () => s.call('GET', '/api/v1/metrics/nps?from=notadate', s.ws.secretKey), 400, /from/],
      ['metrics with from after to', () => s.call('GET', '/api/v1/metrics/nps?from=2026-02-01&to=2026-01-01', s.ws.secretKey), 400, /to/],
      ['profile lookup with two identifiers', () => s.call('GET', '/api/v1/profiles?userId=a&email=b@c.d', s.ws.secretKey), 400, /exactly one/],
      ['journey rules with an unknown field', () => s.call('PUT', '/api/v1/settings/journey-stages', s.ws.secretKey, { rules: [{ stage: 'x', when: [{ field: 'age', op: 'gt', value: 1 }] }] }), 400, /field/],
    ];
    for (const [name, run, status, message] of cases) {
      const r = await run();
      assert.equal(r.status, status, `${name}: ${r.status} ${r.text}`);
      assert.match(r.json?.message ?? '', message, `${name}: ${r.text}`);
    }
    // The person named in the rejected answers was never created.
    assert.equal((await s.call('GET', '/api/v1/profiles?userId=bad', s.ws.secretKey)).status, 404);
    // A refused request leaves nothing behind, not even in the ingestion-errors list (that list is
    // for messages inside batches that were accepted).
    assert.deepEqual(await counts(s), before);
    const errs = await s.call('GET', '/api/v1/ingestion-errors', s.ws.secretKey);
    assert.equal(errs.json.items.length, 0, errs.text);
  } finally {
    await s.close();
  }
});

forEachBackend('inside an accepted batch, bad messages are kept as ingestion errors and good ones stored', async (store) => {
  const s = await startServer(store);
  try {
    const r = await s.call('POST', '/v1/batch', s.ws.writeKey, {
      batch: [
        { type: 'track', userId: 'ok-1', event: 'Signed Up', messageId: 'good-1' },
        { type: 'track', userId: 'ok-1', event: 'NPS Survey Responded', messageId: 'bad-score', properties: { score: 7.5 } },
        { type: 'track', userId: 'ok-1', event: 'Big', messageId: 'too-big', properties: { blob: 'x'.repeat(33 * 1024) } },
        { type: 'wat', userId: 'ok-1', messageId: 'bad-type' },
        { type: 'page', anonymousId: 'ok-2', name: 'Home', messageId: 'good-2' },
        // The limit is in bytes: 10,000 euro signs are 30 KB as UTF-8, 12,000 are 36 KB.
        { type: 'track', userId: 'ok-1', event: 'Euro', messageId: 'euro-fits', properties: { blob: '€'.repeat(10_000) } },
        { type: 'track', userId: 'ok-1', event: 'Euro', messageId: 'euro-big', properties: { blob: '€'.repeat(12_000) } },
      ],
    }, { accept: 'application/json' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.stored, 3);
    assert.deepEqual(r.json.rejected.map((x: any) => x.messageId), ['bad-score', 'too-big', 'bad-type', 'euro-big']);
    const errs = await s.call('GET', '/api/v1/ingestion-errors?limit=2', s.ws.secretKey);
    assert.equal(errs.json.items.length, 2);
    const rest = await s.call('GET', `/api/v1/ingestion-errors?cursor=${errs.json.nextCursor}`, s.ws.secretKey);
    const all = [...errs.json.items, ...rest.json.items];
    assert.deepEqual(all.map((e: any) => e.messageId).sort(), ['bad-score', 'bad-type', 'euro-big', 'too-big']);
    assert.match(all.find((e: any) => e.messageId === 'euro-big').error, /batch\[6\]: message is larger than 32 KB/);
    assert.match(all.find((e: any) => e.messageId === 'bad-score').error, /batch\[1\]\.properties\.score/);
    assert.match(all.find((e: any) => e.messageId === 'bad-type').error, /batch\[3\]\.type/);
    // What is kept of a refused message is an excerpt, never the whole 33 KB.
    for (const e of all) {
      assert.equal(e.kind, 'rejected');
      assert.equal(e.replayable, false);
      const kept = typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload);
      assert.ok(kept.length <= 2_001, `${e.messageId}: ${kept.length} characters kept`);
    }
    assert.match(String(all.find((e: any) => e.messageId === 'too-big').payload), /^\{"type":"track","userId":"ok-1".*…$/);
    assert.deepEqual((await s.call('GET', '/api/v1/ingestion/status', s.ws.secretKey)).json, { pending: 0, errors: 4 });
    // The other workspace sees none of it.
    assert.equal((await s.call('GET', '/api/v1/ingestion-errors', s.other.secretKey)).json.items.length, 0);
  } finally {
    await s.close();
  }
});

forEachBackend('keys: unknown, missing, revoked, public-key and secret-key misuse', async (store) => {
  const s = await startServer(store);
  try {
    const ev = { userId: 'k', event: 'X' };
    assert.equal((await s.call('POST', '/v1/track', null, ev)).status, 401);
    const unknown = await s.call('POST', '/v1/track', 'adv_pk_doesnotexist000000000000000000', ev);
    assert.equal(unknown.status, 401);
    assert.match(unknown.json.message, /Unknown or revoked key/);
    // writeKey in the body works (analytics.js style) ...
    const fromBrowser = await s.call('POST', '/v1/t', null, { ...ev, writeKey: s.ws.writeKey }, { 'content-type': 'text/plain' });
    assert.equal(fromBrowser.status, 200);
    // Browser libraries post from customers' sites: the answer must be readable from any origin.
    assert.equal(fromBrowser.headers.get('access-control-allow-origin'), '*');
    const preflight = await s.call('OPTIONS', '/v1/batch', null, undefined, { origin: 'https://shop.example', 'access-control-request-method': 'POST' });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-encoding/);
    // ... a public key can write but read nothing
    for (const path of ['/api/v1/profiles?userId=k', '/api/v1/metrics/nps', '/api/v1/answers', '/api/v1/keys', '/api/v1/ingestion-errors', '/api/v1/workspace']) {
      const r = await s.call('GET', path, s.ws.writeKey);
      assert.equal(r.status, 403, path);
      assert.match(r.json.message, /public write key/);
    }
    assert.equal((await s.call('POST', '/api/v1/keys', s.ws.writeKey, { kind: 'secret', name: 'escalate' })).status, 403);
    // A secret key must not be handed to a browser through the settings endpoint.
    assert.equal((await s.call('GET', `/v1/projects/${s.ws.secretKey}/settings`)).status, 403);
    const settings = await s.call('GET', `/v1/projects/${s.ws.writeKey}/settings`);
    assert.equal(settings.status, 200);
    assert.equal(settings.json.integrations['Segment.io'].apiKey, s.ws.writeKey);
    assert.match(settings.json.integrations['Segment.io'].apiHost, /^127\.0\.0\.1:\d+\/v1$/);
    // Keys are stored hashed: the database never holds one in clear.
    const rows = await s.store.db.selectFrom('api_keys').select(['key_hash', 'prefix']).execute();
    for (const r of rows) {
      assert.notEqual(r.key_hash, s.ws.secretKey);
      assert.equal(r.key_hash.length, 64);
    }
    // Create, use, revoke.
    const created = await s.call('POST', '/api/v1/keys', s.ws.secretKey, { kind: 'secret', name: 'ci' });
    assert.equal(created.status, 201);
    assert.equal((await s.call('GET', '/api/v1/workspace', created.json.key)).json.id, s.ws.id);
    const list = await s.call('GET', '/api/v1/keys', s.ws.secretKey);
    assert.ok(list.json.items.every((k: any) => !('key' in k)));
    assert.equal((await s.call('DELETE', `/api/v1/keys/${created.json.id}`, s.ws.secretKey)).status, 200);
    assert.equal((await s.call('GET', '/api/v1/workspace', created.json.key)).status, 401);
    // One workspace cannot revoke another's keys.
    const otherKeys = await s.call('GET', '/api/v1/keys', s.other.secretKey);
    assert.equal((await s.call('DELETE', `/api/v1/keys/${otherKeys.json.items[0].id}`, s.ws.secretKey)).status, 404);
  } finally {
    await s.close();
  }
});

forEachBackend("no request can read or change another workspace's data", async (store) => {
  const s = await startServer(store);
  try {
    const a = await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: 'same-id', email: 'p@example.com' }, score: 2, comment: 'private to A' });
    assert.equal(a.status, 201, a.text);
    const answerId = a.json.answer.id;
    const profileId = a.json.answer.profileId;
    const B = s.other.secretKey;
    assert.equal((await s.call('GET', `/api/v1/profiles/${profileId}`, B)).status, 404);
    assert.equal((await s.call('GET', `/api/v1/profiles/${profileId}/timeline`, B)).status, 404);
    assert.equal((await s.call('GET', `/api/v1/profiles/${profileId}/traits/history`, B)).status, 404);
    assert.equal((await s.call('GET', '/api/v1/profiles?email=p@example.com', B)).status, 404);
    assert.equal((await s.call('GET', `/api/v1/answers/${answerId}`, B)).status, 404);
    assert.equal((await s.call('PATCH', `/api/v1/answers/${answerId}`, B, { comment: 'defaced' })).status, 404);
    // A's update token is worthless with B's public key.
    assert.equal((await s.call('PATCH', `/api/v1/answers/${answerId}`, s.other.writeKey, { comment: 'defaced', updateToken: a.json.updateToken })).status, 403);
    assert.equal((await s.call('GET', '/api/v1/answers', B)).json.items.length, 0);
    assert.equal((await s.call('GET', '/api/v1/metrics/nps', B)).json.n, 0);
    // The same userId in B is a different person, and A's answer is untouched.
    await s.call('POST', '/api/v1/answers', s.other.writeKey, { person: { userId: 'same-id' }, score: 10 });
    const inA = await s.call('GET', '/api/v1/profiles?userId=same-id', s.ws.secretKey);
    const inB = await s.call('GET', '/api/v1/profiles?userId=same-id', B);
    assert.notEqual(inA.json.id, inB.json.id);
    assert.equal(inA.json.computed.latestNps.score, 2);
    assert.equal((await s.call('GET', `/api/v1/answers/${answerId}`, s.ws.secretKey)).json.answer.comment, 'private to A');
    // The same messageId in two workspaces is two messages, not a duplicate.
    const m = { userId: 'x', event: 'Y', messageId: 'shared-message-id' };
    assert.equal((await s.call('POST', '/v1/track', s.ws.writeKey, m, { accept: 'application/json' })).json.stored, 1);
    assert.equal((await s.call('POST', '/v1/track', s.other.writeKey, m, { accept: 'application/json' })).json.stored, 1);
  } finally {
    await s.close();
  }
});
