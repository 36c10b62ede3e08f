import assert from 'node:assert/strict';
import { LiveAnswers, type LiveItem } from '../src/analytics/live-answers.ts';
import { answerTextsOf, storeAnalyses } from '../src/store/answer-texts.ts';
import { writeTransaction } from '../src/store/db.ts';
import { TEXT_OF_ANSWERS } from '../src/text/answers.ts';
import { forEachBackend } from './helpers/backends.ts';
import { basic, startServer, type TestServer } from './helpers/server.ts';
import { addUser, signIn } from './helpers/sign-in.ts';
import { openSse, type SseEvent } from './helpers/sse.ts';

// The clock is ticked by hand.
process.env.ADVOCATE_CLOCK_MS = '3600000';

const XSS = '<img src=x onerror=alert(1)>';
const LATE = 'delivery was late and support never replied';

async function answer(s: TestServer, key: string, body: Record<string, unknown>) {
  const r = await s.call('POST', '/api/v1/answers', key, body);
  assert.equal(r.status, 201, r.text);
  return { answer: r.json.answer, at: performance.now() };
}

type Stream = Awaited<ReturnType<typeof openSse>>;

/** No event arrives within ms. */
async function quiet(stream: Stream, ms: number) {
  const e = await stream.next(ms).catch((err: Error) => assert.match(err.message, /no event within/));
  assert.equal(e, undefined, `an event came: ${e?.raw}`);
}

/** The next event of this kind (and for this answer, if given), passing over others (they stay in stream.events). */
async function nextOf(stream: Stream, kind: 'answer' | 'analysis', ms = 1000, answerId?: string): Promise<SseEvent> {
  const deadline = Date.now() + ms;
  for (;;) {
    const e = await stream.next(Math.max(1, deadline - Date.now()));
    if (e.event === kind && (!answerId || JSON.parse(e.data!).id === answerId)) return e;
  }
}

const place = (id: string) => id.split('.').map(Number);
const before = (a: string, b: string) => place(a)[0] < place(b)[0] || (place(a)[0] === place(b)[0] && place(a)[1] < place(b)[1]);
/** An analysis lands a moment after its answer: once the text consumer has read the comment and committed. */
const ANALYSIS_MS = 5000;

forEachBackend('live feed: an analysis is sent when its commit is made, not at the bus\'s next look at the database', async (store) => {
  // The head check every second would find the text consumer's commit anyway: set to ten minutes, only the commit itself can wake the feed.
  const was = process.env.ADVOCATE_BUS_POLL_MS;
  process.env.ADVOCATE_BUS_POLL_MS = '600000';
  const s = await startServer(store);
  if (was === undefined) delete process.env.ADVOCATE_BUS_POLL_MS;
  else process.env.ADVOCATE_BUS_POLL_MS = was;
  const stream = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey) });
  try {
    for (const comment of [LATE, 'the staff were lovely']) {
      const { answer: a } = await answer(s, s.ws.writeKey, { person: { userId: comment }, score: 6, comment });
      await nextOf(stream, 'answer', 1000, a.id);
      const analysed = JSON.parse((await nextOf(stream, 'analysis', ANALYSIS_MS, a.id)).data!);
      assert.ok(analysed.text.themes.length > 0, JSON.stringify(analysed));
    }
  } finally {
    stream.close();
    await s.close();
  }
});

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
    const texts = [];
    for (const stream of [bySession, byKey]) {
      const e = await stream.next(1000);
      assert.ok(performance.now() - at < 1000, `arrived after ${Math.round(performance.now() - at)} ms`);
      assert.equal(e.event, 'answer');
      assert.match(e.id!, /^\d+\.\d+$/, 'ids are commit positions on the bus');
      const { text, ...data } = JSON.parse(e.data!);
      assert.deepEqual(data, {
        id: a.id, at: a.answeredAt, score: 3, category: 'detractor', comment: XSS, channel: 'web',
        surveyId, surveyTitle: 'NPS', profileId: a.profileId, name: 'Ada Lovelace', email: 'ada@example.com',
        person: { name: 'Ada Lovelace', email: 'ada@example.com', phone: null }, personLabel: 'Ada Lovelace',
      });
      // The comment travels as JSON text, byte for byte: nothing escaped into entities, nothing dropped.
      assert.ok(e.raw.includes(`"comment":${JSON.stringify(XSS)}`), e.raw);
      texts.push({ stream, id: e.id!, text });
    }
    // Its analysis follows on both streams; the answer may have come with it already (read a moment later).
    for (const { stream, id, text } of texts) {
      const analysis = await nextOf(stream, 'analysis', ANALYSIS_MS);
      assert.ok(before(id, analysis.id!), `${id} then ${analysis.id}`);
      const analysed = JSON.parse(analysis.data!);
      assert.equal(analysed.id, a.id);
      assert.ok(['negative', 'neutral', 'positive'].includes(analysed.text.sentiment.label), analysis.data);
      if (text !== null) assert.deepEqual(text, analysed.text);
    }
    assert.match(bySession.text(), /^retry: 2000\n\n/);

    // A comment with line breaks cannot end the data line or forge another event.
    const forged = 'one\n\nevent: answer\ndata: {"id":"forged"}\n\nid: 1-x';
    const { answer: m } = await answer(s, s.ws.writeKey, { person: { userId: 'mallory' }, score: 10, comment: forged });
    const next = await nextOf(byKey, 'answer');
    assert.equal(JSON.parse(next.data!).comment, forged);
    assert.equal(next.raw.split('\n').length, 3, 'id, event and one data line');
    const forgedAnalysis = await nextOf(byKey, 'analysis', ANALYSIS_MS, m.id);
    assert.equal(forgedAnalysis.raw.split('\n').length, 3, 'id, event and one data line');

    // A comment added later is a changed answer: it comes again, same answer id.
    const patched = await s.call('PATCH', `/api/v1/answers/${a.id}`, s.ws.secretKey, { comment: 'Actually fine' });
    assert.equal(patched.status, 200);
    const changed = JSON.parse((await nextOf(byKey, 'answer')).data!);
    assert.deepEqual([changed.id, changed.comment], [a.id, 'Actually fine']);
    // So does the analysis of the new comment.
    await nextOf(byKey, 'analysis', ANALYSIS_MS, a.id);

    // The other workspace's watcher sees only its own answers.
    await answer(s, s.other.writeKey, { person: { userId: 'theirs' }, score: 8 });
    const theirs = JSON.parse((await elsewhere.next(1000)).data!);
    assert.equal(theirs.score, 8);
    await answer(s, s.ws.writeKey, { person: { userId: 'ours' }, score: 9 });
    const ours = JSON.parse((await nextOf(byKey, 'answer')).data!);
    assert.equal(ours.score, 9, 'the other workspace\'s answer did not come through here');
    await quiet(elsewhere, 600);
    assert.ok(!bySession.text().includes('theirs') && !byKey.events.some((e) => e.data && JSON.parse(e.data).score === 8));
    assert.deepEqual(elsewhere.events.filter((e) => e.event).map((e) => e.event), ['answer'], 'none of this workspace\'s analyses either');
  } finally {
    for (const stream of streams) stream.close();
    await s.close();
  }
});

forEachBackend('live feed: a comment\'s themes follow its answer as an `analysis` event for the same id, only in its own workspace; an answer without a comment has text null and none', async (store) => {
  const s = await startServer(store);
  const ours = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey) });
  const theirs = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.other.secretKey) });
  try {
    const { answer: a } = await answer(s, s.ws.writeKey, { person: { userId: 'late' }, score: 2, comment: LATE });
    const announced = await nextOf(ours, 'answer');
    assert.deepEqual([JSON.parse(announced.data!).id, JSON.parse(announced.data!).comment], [a.id, LATE]);
    const update = await nextOf(ours, 'analysis', ANALYSIS_MS);
    assert.ok(before(announced.id!, update.id!), `ids move forward: ${announced.id} then ${update.id}`);
    const analysis = JSON.parse(update.data!);
    assert.deepEqual(Object.keys(analysis).sort(), ['id', 'text']);
    assert.equal(analysis.id, a.id);
    // Each theme with its name and mentions whose offsets fall on its words in the comment.
    assert.deepEqual(analysis.text.themes.map((t: { id: string; name: string }) => [t.id, t.name]), [['delivery', 'Delivery and shipping'], ['support', 'Customer support']]);
    for (const t of analysis.text.themes as Array<{ id: string; mentions: Array<{ start: number; end: number; text: string }> }>) {
      assert.ok(t.mentions.length > 0, t.id);
      for (const m of t.mentions) {
        assert.equal(LATE.slice(m.start, m.end), m.text);
        assert.match(m.text, new RegExp(t.id));
      }
    }
    // The same as the answer's text in the API's list.
    const listed = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.deepEqual(listed.json.items.find((i: { id: string }) => i.id === a.id).text, analysis.text);
    // The analysis refers to the comment by offsets and quotes its words: customer text, JSON-encoded like the comment.
    assert.equal(update.raw.split('\n').length, 3, 'id, event and one data line');

    const { answer: plain } = await answer(s, s.ws.writeKey, { person: { userId: 'quiet' }, score: 9 });
    const shown = JSON.parse((await nextOf(ours, 'answer')).data!);
    assert.deepEqual([shown.id, shown.comment, shown.text], [plain.id, null, null]);
    await s.bus.catchUp([TEXT_OF_ANSWERS]);
    await quiet(ours, 1500);

    // The other workspace's stream saw none of it, and its own answers' analyses stay on it.
    assert.deepEqual(theirs.events.filter((e) => e.event), []);
    const { answer: t } = await answer(s, s.other.writeKey, { person: { userId: 'theirs' }, score: 4, comment: 'support was slow' });
    assert.equal(JSON.parse((await nextOf(theirs, 'answer')).data!).id, t.id);
    assert.equal(JSON.parse((await nextOf(theirs, 'analysis', ANALYSIS_MS)).data!).id, t.id);
    await s.bus.catchUp([TEXT_OF_ANSWERS]);
    await quiet(ours, 1500);
    assert.ok(!ours.text().includes(t.id) && !theirs.text().includes(a.id));
  } finally {
    ours.close();
    theirs.close();
    await s.close();
  }
});

forEachBackend('live feed: comments analysed again long after they changed (after a theme edit) are not sent', async (store) => {
  const s = await startServer(store);
  const stream = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey) });
  try {
    const { answer: old } = await answer(s, s.ws.writeKey, { person: { userId: 'old' }, score: 3, comment: LATE });
    const { answer: recent } = await answer(s, s.ws.writeKey, { person: { userId: 'recent' }, score: 4, comment: 'support was slow' });
    // What they brought first: their answers and analyses (twice, when the back-fill that starts with
    // the server analysed one too).
    await s.bus.catchUp([TEXT_OF_ANSWERS]);
    const first = new Set<string>();
    for (let e: SseEvent | null = await stream.next(ANALYSIS_MS); e; e = await stream.next(1500).catch(() => null)) first.add(`${e.event} ${JSON.parse(e.data!).id}`);
    assert.deepEqual(first, new Set([`answer ${old.id}`, `answer ${recent.id}`, `analysis ${old.id}`, `analysis ${recent.id}`]));
    await store.db.updateTable('answers').set({ updated_at: Date.now() - 2 * 3_600_000 }).where('id', '=', old.id).execute();
    // What a re-analysis stores: both again, in one commit.
    const texts = await answerTextsOf(store.db, s.ws.id, [old.id, recent.id]);
    await writeTransaction(store.db, (tx) => storeAnalyses(tx, s.ws.id, [...texts.values()]));
    const again = await nextOf(stream, 'analysis', ANALYSIS_MS);
    assert.equal(JSON.parse(again.data!).id, recent.id);
    await quiet(stream, 1500);
  } finally {
    stream.close();
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

    // Missed while away: two new answers, the second with a comment analysed meanwhile, and a change
    // to the one already seen (analysed too). Each analysis is stored before the next commit.
    const missed = [await answer(s, s.ws.writeKey, { person: { userId: 'p2' }, score: 6 }), await answer(s, s.ws.writeKey, { person: { userId: 'p3' }, score: 7, comment: LATE })];
    await s.bus.catchUp([TEXT_OF_ANSWERS]);
    await s.call('PATCH', `/api/v1/answers/${JSON.parse(seen.data!).id}`, s.ws.secretKey, { comment: 'later' });
    await s.bus.catchUp([TEXT_OF_ANSWERS]);

    const resumed = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey), 'last-event-id': seen.id! });
    try {
      const got = [];
      for (let i = 0; i < 5; i++) got.push(await resumed.next(1000));
      const [p2, p3] = missed.map((m) => m.answer.id);
      const seenId = JSON.parse(seen.data!).id;
      assert.deepEqual(got.map((e) => [e.event, JSON.parse(e.data!).id]), [['answer', p2], ['answer', p3], ['analysis', p3], ['answer', seenId], ['analysis', seenId]]);
      const data = got.map((e) => JSON.parse(e.data!));
      assert.equal(data[0].text, null, 'no comment, no analysis');
      // Replayed now, the answer comes with the analysis that followed it.
      assert.deepEqual(data[1].text, data[2].text);
      assert.deepEqual(data[2].text.themes.map((t: { id: string }) => t.id), ['delivery', 'support']);
      assert.equal(data[3].comment, 'later');
      assert.deepEqual(data[4].text, data[3].text);
      // New answers follow on the same stream, once each; one without a comment has no analysis to follow.
      const live = await answer(s, s.ws.writeKey, { person: { userId: 'p4' }, score: 0 });
      assert.equal(JSON.parse((await resumed.next(1000)).data!).id, live.answer.id);
      await s.bus.catchUp([TEXT_OF_ANSWERS]);
      await quiet(resumed, 1500);
      // Ids never go backwards, so resuming from the latest one repeats nothing.
      const ids = resumed.events.filter((e) => e.id).map((e) => e.id!);
      assert.deepEqual([...ids].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)), ids);
      assert.equal(new Set(ids).size, ids.length);

      const again = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey), 'last-event-id': ids[ids.length - 1] });
      await quiet(again, 800);
      again.close();
      // Resuming between an answer and its analysis replays the analysis alone.
      const between = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey), 'last-event-id': got[1].id! });
      try {
        assert.deepEqual([(await between.next(1000)).id, (await between.next(1000)).id, (await between.next(1000)).id], got.slice(2).map((e) => e.id));
        assert.equal(JSON.parse((await between.next(1000)).data!).id, live.answer.id);
        await quiet(between, 500);
      } finally {
        between.close();
      }
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
      for (let i = 0; i < 5; i++) replayed.push(JSON.parse((await nextOf(old, 'answer')).data!).id);
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
    const a: LiveItem[] = [];
    const b: LiveItem[] = [];
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
