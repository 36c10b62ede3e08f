/**
 * The door's limits (src/domain/limits.ts, src/domain/text.ts): every limit is accepted at its edge
 * and refused one past it with a 4xx naming the field, on both backends, and nothing the door lets
 * through is refused later by a column (which on PostgreSQL used to stall projection for everyone).
 * Issue 11, defects 0, 2, 3, 4, 12 and 13.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { LIMITS } from '../src/domain/limits.ts';
import { forEachBackend } from './helpers/backends.ts';
import { basic, startServer, type TestServer } from './helpers/server.ts';

const nest = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};

/** Raw bytes as the body (fetch would re-encode a string as valid UTF-8). */
function postBytes(s: TestServer, path: string, key: string, body: Buffer): Promise<{ status: number; json: any }> {
  const url = new URL(s.url + path);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: basic(key), 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The first profile holding `userId`, or null. */
async function profileOf(s: TestServer, params: Record<string, string>) {
  const r = await s.call('GET', `/api/v1/profiles?${new URLSearchParams(params)}`, s.ws.secretKey);
  return r.status === 200 ? r.json : null;
}

forEachBackend('limits: deep nesting is refused with 400 naming the field on every JSON route; batches refuse the message alone', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    // 32 levels of objects and arrays in all are accepted, 33 are not: the body is level 1, properties level 2.
    const ok = await s.call('POST', '/v1/track', w, { userId: 'deep', event: 'E', properties: { a: nest(30) } });
    assert.equal(ok.status, 200, ok.text);
    const tooDeep = await s.call('POST', '/v1/track', w, { userId: 'deep', event: 'E', properties: { a: nest(31) } });
    assert.equal(tooDeep.status, 400, tooDeep.text);
    assert.match(tooDeep.json.message, /^body\.properties\.a(\[0\])+: nests deeper than 32 levels/);

    // Built as text: JSON.stringify itself cannot write these.
    const hostile = '['.repeat(5_000) + '1' + ']'.repeat(5_000);
    const deepObjects = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    for (const path of ['/v1/track', '/v1/identify', '/v1/page', '/v1/screen', '/v1/t', '/v1/group', '/v1/alias']) {
      const r = await s.call('POST', path, w, `{"userId":"deep","previousId":"x","groupId":"g","event":"E","properties":{"a":${hostile}},"traits":{"a":${hostile}}}`);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.match(r.json.field, /^body\.(properties|traits)\.a/, path);
    }
    for (const path of ['/api/v1/answers']) {
      const r = await s.call('POST', path, w, `{"person":{"userId":"deep"},"score":9,"properties":${deepObjects}}`);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.equal(r.json.field.slice(0, 17), 'body.properties.a');
    }
    const delighted = await s.call('POST', '/v1/people', s.ws.secretKey, `{"email":"deep@example.com","properties":${deepObjects}}`);
    assert.equal(delighted.status, 422, delighted.text);
    // Batches: the deep message is refused alone, as an ingestion error with a bounded excerpt.
    for (const path of ['/v1/batch', '/v1/import']) {
      const r = await s.call('POST', path, w, `{"batch":[{"type":"track","userId":"deep","event":"Fine","messageId":"fine-${path}"},{"type":"track","userId":"deep","event":"Deep","messageId":"deep-${path}","properties":${deepObjects}}]}`, { accept: 'application/json' });
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      assert.deepEqual(r.json.rejected.map((x: any) => x.messageId), [`deep-${path}`]);
      assert.match(r.json.rejected[0].error, /^batch\[1\]\.properties\.a(\.a)+: nests deeper than 32 levels/);
      const only = await s.call('POST', path, w, `{"batch":[{"type":"track","userId":"deep","event":"Deep","properties":${deepObjects}}]}`);
      assert.equal(only.status, 400, only.text);
    }
    const errors = await s.call('GET', '/api/v1/ingestion-errors', s.ws.secretKey);
    assert.equal(errors.json.items.length, 2);
    for (const e of errors.json.items) assert.ok((typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload)).length <= 2_001);
    // Deep query strings and envelopes too.
    const envelope = await s.call('POST', '/v1/batch', w, `{"context":${deepObjects},"batch":[{"type":"track","userId":"deep","event":"E"}]}`);
    assert.equal(envelope.status, 400, envelope.text);
    assert.match(envelope.json.field, /^context\.a/);
    // Still alive: a normal event and answer go through.
    assert.equal((await s.call('POST', '/api/v1/answers', w, { person: { userId: 'deep' }, score: 9 })).status, 201);
  } finally {
    await s.close();
  }
});

forEachBackend('limits: text that is not storable text is refused the same way on both backends, and ids stay findable', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    for (const [name, userId] of [['NUL', 'nul\u0000user'], ['lone low surrogate', 'u_\udc00\ud800'], ['lone high surrogate', 'u_\ud800']] as const) {
      for (const path of ['/v1/track', '/v1/identify']) {
        const r = await s.call('POST', path, w, { userId, event: 'E' });
        assert.equal(r.status, 400, `${name} ${path}: ${r.text}`);
        assert.equal(r.json.field, 'body.userId');
      }
      const b = await s.call('POST', '/v1/batch', w, { batch: [{ type: 'track', userId, event: 'E', messageId: `bad-${name}` }, { type: 'track', userId: 'fine', event: 'E' }] }, { accept: 'application/json' });
      assert.equal(b.status, 200);
      assert.match(b.json.rejected[0].error, /^batch\[0\]\.userId: contains/);
      const a = await s.call('POST', '/api/v1/answers', w, { person: { userId: 'fine' }, score: 9, comment: `bad ${userId} comment` });
      assert.equal(a.status, 400, a.text);
      assert.equal(a.json.field, 'body.comment');
      if (name === 'NUL') {
        const q = await s.call('GET', `/api/v1/profiles?userId=${encodeURIComponent(userId)}`, s.ws.secretKey);
        assert.equal(q.status, 400, `${name} in a query: ${q.text}`);
        assert.equal(q.json.field, 'querystring.userId');
      } else {
        // A surrogate has no UTF-8 form: percent-encoded as CESU-8 bytes it is not decoded into one.
        const q = await s.call('GET', '/api/v1/profiles?userId=u_%ED%B0%80', s.ws.secretKey);
        assert.ok(q.status === 400 || q.status === 404, `${name} in a query: ${q.text}`);
      }
      const key = await s.call('POST', '/v1/track', w, { userId: 'fine', event: 'E', properties: { [`k${userId}`]: 1 } });
      assert.equal(key.status, 400, key.text);
    }
    // Raw bytes that are not UTF-8 are refused, not read as U+FFFD (which would make them another id).
    const raw = Buffer.concat([Buffer.from('{"userId":"u_'), Buffer.from([0xff, 0xfe]), Buffer.from('","event":"E"}')]);
    for (const path of ['/v1/track', '/v1/batch', '/api/v1/answers', '/v1/people']) {
      const body = path === '/v1/batch' ? Buffer.concat([Buffer.from('{"batch":['), raw, Buffer.from(']}')]) : raw;
      const r = await postBytes(s, path, path === '/v1/people' ? s.ws.secretKey : w, body);
      // Delighted's API answers invalid input with its own 422.
      assert.equal(r.status, path === '/v1/people' ? 422 : 400, `${path}: ${JSON.stringify(r.json)}`);
      assert.match(JSON.stringify(r.json), /not valid UTF-8/);
    }
    // A NUL in a path parameter is refused before any lookup.
    assert.equal((await s.call('GET', '/api/v1/profiles/prof%00x', s.ws.secretKey)).status, 400);
    // Valid text of every kind is stored and found again by the same string.
    for (const userId of ['ünïcödé', '😀 emoji', '\u00e9 precomposed', 'e\u0301 decomposed', '\ufffd replacement char']) {
      assert.equal((await s.call('POST', '/v1/identify', w, { userId, traits: { name: userId } })).status, 200);
      await s.settle();
      const p = await profileOf(s, { userId });
      assert.equal(p?.userId, userId);
      assert.equal(p?.traits.name, userId);
    }
    // é precomposed and decomposed are two ids, as sent.
    assert.notEqual((await profileOf(s, { userId: '\u00e9 precomposed' }))?.id, (await profileOf(s, { userId: 'e\u0301 decomposed' }))?.id);
  } finally {
    await s.close();
  }
});

forEachBackend('limits: times outside the accepted window and days that do not exist are refused; corrected times are bounded too', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    const day = 86_400_000;
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['year 275760', { timestamp: '+275760-09-13T00:00:00Z' }, 'body.timestamp'],
      ['year 9999', { timestamp: '9999-01-01T00:00:00Z' }, 'timestamp'],
      ['two days ahead', { timestamp: new Date(Date.now() + 2 * day).toISOString() }, 'timestamp'],
      ['before 2000', { timestamp: '1999-12-31T23:59:59Z' }, 'timestamp'],
      ['epoch zero', { timestamp: 0 }, 'timestamp'],
      ['30 February', { timestamp: '2026-02-30T10:00:00Z' }, 'timestamp'],
      ['30 February, date only', { timestamp: '2026-02-30' }, 'timestamp'],
      ['hour 24', { timestamp: '2026-02-03T24:00:00Z' }, 'timestamp'],
      // The device clock says it sent this 40 years after it happened: corrected, that is before 2000.
      ['corrected into the past', { originalTimestamp: '1990-01-01T00:00:00Z', sentAt: '2030-01-01T00:00:00Z' }, 'originalTimestamp'],
      ['corrected far into the past', { originalTimestamp: '2020-01-01T00:00:00Z', sentAt: '2999-01-01T00:00:00Z' }, 'originalTimestamp'],
      ['sentAt no date can be', { originalTimestamp: '2020-01-01T00:00:00Z', sentAt: '+275760-09-13T00:00:00Z' }, 'sentAt'],
    ];
    for (const [name, time, field] of cases) {
      const r = await s.call('POST', '/v1/track', w, { userId: 'time', event: 'E', ...time });
      assert.equal(r.status, 400, `${name}: ${r.text}`);
      assert.match(r.json.field, new RegExp(`(^|\\.)${field.replace(/^body\./, '')}$`), `${name}: ${r.text}`);
    }
    // Inside the window: accepted, and the profile's dates are those times.
    const inside = new Date(Date.now() + 23 * 3600_000).toISOString();
    assert.equal((await s.call('POST', '/v1/track', w, { userId: 'time', event: 'E', timestamp: inside })).status, 200);
    assert.equal((await s.call('POST', '/v1/track', w, { userId: 'time', event: 'E', timestamp: '2000-01-01T00:00:00Z' })).status, 200);
    assert.equal((await s.call('POST', '/v1/track', w, { userId: 'time', event: 'E', timestamp: '2024-02-29T12:00:00+02:00' })).status, 200);
    await s.settle();
    const p = await profileOf(s, { userId: 'time' });
    assert.equal(p.computed.lastSeen, inside);
    assert.equal(p.computed.firstSeen, '2000-01-01T00:00:00.000Z');

    for (const [timestamp, status] of [['9999-01-01T00:00:00Z', 400], ['99999999999999999999', 400], ['2026-02-30T00:00:00Z', 400], ['2025-06-01T00:00:00Z', 201]] as const) {
      const r = await s.call('POST', '/api/v1/answers', w, { person: { userId: 'time-answer' }, score: 8, timestamp });
      assert.equal(r.status, status, `${timestamp}: ${r.text}`);
      if (status === 400) assert.equal(r.json.field, 'timestamp');
    }
    // Query times that are no date anywhere are a 400, not a 500.
    for (const q of ['from=99999999999999999999', 'to=2026-02-30', 'from=%2B275760-09-13T00:00:00Z']) {
      assert.equal((await s.call('GET', `/api/v1/metrics/nps?${q}`, s.ws.secretKey)).status, 400, q);
    }
    // Delighted's Unix seconds.
    const d1 = await s.call('POST', '/v1/survey_responses', s.ws.secretKey, { person: p.id, score: 7, created_at: 1e17 });
    assert.equal(d1.status, 422, d1.text);
    assert.ok(d1.json.errors.created_at, d1.text);
    const d2 = await s.call('POST', '/v1/people', s.ws.secretKey, { email: 'late@example.com', last_sent_at: 1e17 });
    assert.equal(d2.status, 422, d2.text);
    assert.ok(d2.json.errors.last_sent_at, d2.text);
    // 201: the refused request above left no person behind.
    assert.equal((await s.call('POST', '/v1/people', s.ws.secretKey, { email: 'late@example.com', last_sent_at: Math.floor(Date.now() / 1000) - 86_400 })).status, 201);
    assert.equal((await s.call('GET', '/api/v1/profiles?userId=time', s.ws.secretKey)).status, 200);
  } finally {
    await s.close();
  }
});

forEachBackend('limits: every column limit is accepted at its edge and refused past it; nothing accepted stalls projection', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    // Three bytes a character in UTF-8: the widest text a UTF-16 length limit lets through.
    const wide = (n: number) => '€'.repeat(n);
    const id = wide(LIMITS.identifier);
    const r1 = await s.call('POST', '/v1/batch', w, {
      batch: [
        { type: 'identify', userId: id, anonymousId: wide(LIMITS.identifier - 1) + 'a', messageId: wide(LIMITS.identifier), traits: { email: `${'e'.repeat(LIMITS.email - 12)}@example.com` } },
        { type: 'track', userId: id, event: wide(LIMITS.eventName), messageId: 'edge-2' },
        { type: 'group', userId: id, groupId: wide(LIMITS.identifier), messageId: 'edge-3' },
        { type: 'alias', userId: id, previousId: wide(LIMITS.identifier - 1) + 'p', messageId: 'edge-4' },
        { type: 'page', userId: id, name: wide(LIMITS.eventName), messageId: 'edge-5' },
        { type: 'track', userId: id, event: 'NPS Survey Responded', messageId: 'edge-6', properties: { score: 9, survey_version: LIMITS.int32 } },
        { type: 'track', userId: id, event: 'Order Completed', messageId: 'edge-7', properties: { revenue: LIMITS.money } },
        { type: 'track', userId: id, event: 'Order Completed', messageId: 'edge-8', properties: { revenue: LIMITS.money } },
      ],
    }, { accept: 'application/json' });
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r1.json.stored, 8, r1.text);
    // One past each edge: refused, naming the field.
    const past: Array<[string, Record<string, unknown>, RegExp]> = [
      ['userId', { type: 'track', userId: wide(LIMITS.identifier + 1), event: 'E' }, /userId/],
      ['messageId', { type: 'track', userId: 'x', event: 'E', messageId: wide(LIMITS.identifier + 1) }, /messageId/],
      ['event name', { type: 'track', userId: 'x', event: wide(LIMITS.eventName + 1) }, /event/],
      ['survey_version as "1e12"', { type: 'track', userId: 'x', event: 'NPS Survey Responded', properties: { score: 9, survey_version: '1e12' } }, /properties\.survey_version/],
      ['survey_version past 32 bits', { type: 'track', userId: 'x', event: 'NPS Survey Responded', properties: { score: 9, survey_version: LIMITS.int32 + 1 } }, /properties\.survey_version/],
      ['survey_id', { type: 'track', userId: 'x', event: 'NPS Survey Responded', properties: { score: 9, survey_id: wide(LIMITS.identifier + 1) } }, /properties\.survey_id/],
      ['revenue 1e308', { type: 'track', userId: 'x', event: 'Order Completed', properties: { revenue: 1e308 } }, /properties\.revenue/],
    ];
    for (const [name, message, field] of past) {
      const r = await s.call('POST', '/v1/batch', w, { batch: [{ type: 'track', userId: 'ok', event: 'E' }, message] }, { accept: 'application/json' });
      assert.equal(r.json.rejected.length, 1, `${name}: ${r.text}`);
      assert.match(r.json.rejected[0].error, field, name);
    }
    for (const [name, body, field] of [
      ['surveyVersion 1e10', { person: { userId: 'x' }, score: 9, surveyVersion: 1e10 }, 'body.surveyVersion'],
      ['email past 254', { person: { email: `${'e'.repeat(LIMITS.email)}@example.com` }, score: 9 }, 'body.person.email'],
    ] as const) {
      const r = await s.call('POST', '/api/v1/answers', w, body);
      assert.equal(r.status, 400, `${name}: ${r.text}`);
      assert.equal(r.json.field, field, name);
    }
    // An email trait too long to be an address stays a trait, not an identity, and holds up nobody.
    assert.equal((await s.call('POST', '/v1/identify', w, { userId: 'long-email', traits: { email: `${'x'.repeat(3_000)}@example.com` } })).status, 200);
    assert.equal((await s.call('POST', '/v1/track', w, { userId: 'after-long-email', event: 'E' })).status, 200);
    await s.settle();
    assert.equal((await s.call('GET', '/api/v1/ingestion-errors?kind=projection', s.ws.secretKey)).json.items.length, 0);
    assert.ok(await profileOf(s, { userId: 'after-long-email' }));
    const long = await profileOf(s, { userId: 'long-email' });
    assert.equal(long.traits.email.length, 3_012);
    assert.ok(!long.identities.some((i: any) => i.kind === 'email'));

    // Every edge value was stored and is found by the same string.
    const p = await profileOf(s, { userId: id });
    assert.ok(p, 'profile by the longest userId');
    assert.equal((await profileOf(s, { anonymousId: wide(LIMITS.identifier - 1) + 'a' }))?.id, p.id);
    assert.equal((await profileOf(s, { email: `${'e'.repeat(LIMITS.email - 12)}@example.com` }))?.id, p.id);
    assert.deepEqual(p.groups, [wide(LIMITS.identifier)]);
    assert.equal(p.computed.lifetimeRevenue, 2 * LIMITS.money);
    const answers = await s.call('GET', `/api/v1/answers?profileId=${p.id}`, s.ws.secretKey);
    assert.equal(answers.json.items[0].surveyVersion, LIMITS.int32);
  } finally {
    await s.close();
  }
});
