import assert from 'node:assert/strict';
import { LiveAnswers, type LiveAnswer } from '../src/analytics/live-answers.ts';
import { forEachBackend } from './helpers/backends.ts';
import { basic, startServer, type TestServer } from './helpers/server.ts';
import { addUser, signIn } from './helpers/sign-in.ts';
import { openSse } from './helpers/sse.ts';

// The clock is ticked by hand.
process.env.ADVOCATE_CLOCK_MS = '3600000';

const XSS = '<img src=x onerror=alert(1)>';

async function answer(s: TestServer, key: string, body: Record<string, unknown>) {
  const r = await s.call('POST', '/api/v1/answers', key, body);
  assert.equal(r.status, 201, r.text);
  return { answer: r.json.answer, at: performance.now() };
}

/** No `answer` event arrives within ms. */
async function quiet(stream: Awaited<ReturnType<typeof openSse>>, ms: number) {
  await assert.rejects(stream.next(ms), /no event within/);
}

forEachBackend('live feed: each new answer arrives within a second, over a session or a secret key, as safe JSON, and only in its own workspace', async (store) => {
  const s = await startServer(store);
  const streams: Array<Awaited<ReturnType<typeof openSse>>> = [];
  try {
    // Answers stored before anyone watched are not replayed.
    await answer(s, s.ws.writeKey, { person: { userId: 'before' }, score: 5 });
    const u = await addUser(store, s.ws.id, 'viewer');
    const me = await signIn(s, u.email, u.password);
    const bySession = await openSse(`${s.url}/api/v1/live/answers`, { cookie: me.cookie });
    const byKey = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey) });
    const elsewhere = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.other.secretKey) });
    streams.push(bySession, byKey, elsewhere);
    for (const stream of [bySession, byKey]) {
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type')!, /^text\/event-stream/);
    }
    assert.equal((await openSse(`${s.url}/api/v1/live/answers`)).status, 401);
    assert.equal((await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.writeKey) })).status, 403, 'a public key reads nothing');

    // An answer names a survey of its own workspace (a made-up surveyId is refused).
    const surveyId = (await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'NPS' })).json.survey.id;
    const { answer: a, at } = await answer(s, s.ws.writeKey, {
      person: { userId: 'ada', email: 'ada@example.com', traits: { name: 'Ada Lovelace' } },
      score: 3, channel: 'web', comment: XSS, surveyId,
    });
    for (const stream of [bySession, byKey]) {
      const e = await stream.next(1000);
      assert.ok(performance.now() - at < 1000, `arrived after ${Math.round(performance.now() - at)} ms`);
      assert.equal(e.event, 'answer');
      assert.match(e.id!, /^\d+\.\d+$/, 'ids are commit positions on the bus');
      const data = JSON.parse(e.data!);
      assert.deepEqual(data, {
        id: a.id, at: a.answeredAt, score: 3, category: 'detractor', comment: XSS, channel: 'web',
        surveyId, surveyTitle: 'NPS', profileId: a.profileId, name: 'Ada Lovelace', email: 'ada@example.com',
        person: { name: 'Ada Lovelace', email: 'ada@example.com', phone: null }, personLabel: 'Ada Lovelace',
      });
      // The comment travels as JSON text, byte for byte: nothing escaped into entities, nothing dropped.
      assert.ok(e.raw.includes(`"comment":${JSON.stringify(XSS)}`), e.raw);
    }
    assert.match(bySession.text(), /^retry: 2000\n\n/);

    // A comment with line breaks cannot end the data line or forge another event.
    const forged = 'one\n\nevent: answer\ndata: {"id":"forged"}\n\nid: 1-x';
    await answer(s, s.ws.writeKey, { person: { userId: 'mallory' }, score: 10, comment: forged });
    const next = await byKey.next(1000);
    assert.equal(JSON.parse(next.data!).comment, forged);
    assert.equal(next.raw.split('\n').length, 3, 'id, event and one data line');

    // A comment added later is a changed answer: it comes again, same answer id.
    const patched = await s.call('PATCH', `/api/v1/answers/${a.id}`, s.ws.secretKey, { comment: 'Actually fine' });
    assert.equal(patched.status, 200);
    const changed = JSON.parse((await byKey.next(1000)).data!);
    assert.deepEqual([changed.id, changed.comment], [a.id, 'Actually fine']);

    // The other workspace's watcher sees only its own answers.
    await answer(s, s.other.writeKey, { person: { userId: 'theirs' }, score: 8 });
    const theirs = JSON.parse((await elsewhere.next(1000)).data!);
    assert.equal(theirs.score, 8);
    await answer(s, s.ws.writeKey, { person: { userId: 'ours' }, score: 9 });
    const ours = JSON.parse((await byKey.next(1000)).data!);
    assert.equal(ours.score, 9, 'the other workspace\'s answer did not come through here');
    await quiet(elsewhere, 600);
    assert.ok(!bySession.text().includes('theirs') && !byKey.events.some((e) => e.data && JSON.parse(e.data).score === 8));
  } finally {
    for (const stream of streams) stream.close();
    await s.close();
  }
});

forEachBackend('live feed: Last-Event-ID resumes after the last answer seen, without repeats', async (store) => {
  const s = await startServer(store);
  try {
    const first = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey) });
    await answer(s, s.ws.writeKey, { person: { userId: 'p1' }, score: 10 });
    const seen = await first.next(1000);
    first.close();

    // Missed while away: two new answers and a change to the one already seen.
    const missed = [await answer(s, s.ws.writeKey, { person: { userId: 'p2' }, score: 6 }), await answer(s, s.ws.writeKey, { person: { userId: 'p3' }, score: 7 })];
    await s.call('PATCH', `/api/v1/answers/${JSON.parse(seen.data!).id}`, s.ws.secretKey, { comment: 'later' });

    const resumed = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey), 'last-event-id': seen.id! });
    try {
      const got = [await resumed.next(1000), await resumed.next(1000), await resumed.next(1000)].map((e) => JSON.parse(e.data!));
      assert.deepEqual(got.map((d) => d.id), [...missed.map((m) => m.answer.id), JSON.parse(seen.data!).id]);
      assert.equal(got[2].comment, 'later');
      // New answers follow on the same stream, once each.
      const live = await answer(s, s.ws.writeKey, { person: { userId: 'p4' }, score: 0 });
      assert.equal(JSON.parse((await resumed.next(1000)).data!).id, live.answer.id);
      await quiet(resumed, 800);
      // Ids never go backwards, so resuming from the latest one repeats nothing.
      const ids = resumed.events.filter((e) => e.id).map((e) => e.id!);
      const place = (id: string) => id.split('.').map(Number);
      assert.deepEqual([...ids].sort((a, b) => place(a)[0] - place(b)[0] || place(a)[1] - place(b)[1]), ids);

      const again = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey), 'last-event-id': ids[ids.length - 1] });
      await quiet(again, 800);
      again.close();
    } finally {
      resumed.close();
    }
    const bad = await s.call('GET', '/api/v1/live/answers', s.ws.secretKey, undefined, { 'last-event-id': 'not an id' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.field, 'Last-Event-ID');
    // An id of the form sent before the bus (change time and answer id) resumes from about that time.
    const old = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey), 'last-event-id': `${Date.now() - 60_000}-ans_0` });
    try {
      const replayed = [];
      for (let i = 0; i < 5; i++) replayed.push(JSON.parse((await old.next(1000)).data!).id);
      assert.equal(new Set(replayed).size, 4, 'the four answers of the last minute, the edited one again after its edit');
    } finally {
      old.close();
    }
    const future = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey), 'last-event-id': `${Date.now() + 60_000}-ans_0` });
    await quiet(future, 500);
    future.close();
  } finally {
    await s.close();
  }
});

forEachBackend('live feed: an open stream does not hold up closing the server', async (store) => {
  const s = await startServer(store);
  const stream = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey) });
  await answer(s, s.ws.writeKey, { person: { userId: 'p1' }, score: 10 });
  await stream.next(1000);
  const started = performance.now();
  const closed = await Promise.race([s.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 5000))]);
  assert.equal(closed, 'closed');
  assert.ok(performance.now() - started < 3000);
  await stream.ended;
});

forEachBackend('live feed: one reader per watched workspace, stopped when its last watcher leaves', async (store) => {
  const s = await startServer(store);
  const live = new LiveAnswers(store.db, s.bus);
  try {
    const a: LiveAnswer[] = [];
    const b: LiveAnswer[] = [];
    const stopA = await live.subscribe(s.ws.id, (x) => a.push(...x));
    const stopB = await live.subscribe(s.ws.id, (x) => b.push(...x));
    const stopOther = await live.subscribe(s.other.id, () => {});
    assert.equal(live.watched, 2);
    const { answer: stored } = await answer(s, s.ws.writeKey, { person: { userId: 'p1' }, score: 9 });
    const deadline = Date.now() + 1000;
    while ((a.length === 0 || b.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([a.map((x) => x.data.id), b.map((x) => x.data.id)], [[stored.id], [stored.id]]);
    stopA();
    assert.equal(live.watched, 2);
    stopB();
    assert.equal(live.watched, 1);
    stopOther();
    assert.equal(live.watched, 0);
  } finally {
    live.close();
    await s.close();
  }
});
