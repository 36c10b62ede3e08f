/**
 * People are named, and surveys titled, in every reply that lists answers or people: the answers
 * list and one answer, the live feed (answers replayed from before the watcher came and new ones
 * alike), a profile and its timeline. One rule everywhere: name, else email, else phone, else the
 * userId, else "Anonymous" and a short id. Names are passed on as the text they are.
 */
import assert from 'node:assert/strict';
import { forEachBackend } from './helpers/backends.ts';
import { basic, startServer, type TestServer } from './helpers/server.ts';
import { openSse } from './helpers/sse.ts';

process.env.ADVOCATE_CLOCK_MS = '3600000';

const MARKUP = '<img src=x onerror=alert(1)> "Bobby" </script>';

async function post(s: TestServer, body: Record<string, unknown>, key = s.ws.writeKey) {
  const r = await s.call('POST', '/api/v1/answers', key, body);
  assert.equal(r.status, 201, r.text);
  return r.json.answer as { id: string; profileId: string; surveyTitle: string | null; person: unknown; personLabel: string };
}

forEachBackend('people are named and surveys titled in answers, the live feed and profiles', async (store) => {
  const s = await startServer(store);
  try {
    const survey = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Post-purchase NPS' });
    assert.equal(survey.status, 201, survey.text);
    const surveyId = survey.json.survey.id as string;
    // The other workspace's person shares an email with ours and has another name: it must not leak.
    const theirSurvey = (await s.call('POST', '/api/v1/surveys', s.other.secretKey, { name: 'Their survey' })).json.survey.id;
    await post(s, { person: { email: 'bo@example.com', traits: { name: 'Not Bo' } }, score: 1, surveyId: theirSurvey }, s.other.writeKey);

    // An email that was a trait once and was cleared since: the identity still names the person.
    assert.equal((await s.call('POST', '/v1/identify', s.ws.writeKey, { userId: 'grace', traits: { email: 'grace@example.com' } })).status, 200);
    assert.equal((await s.call('POST', '/v1/identify', s.ws.writeKey, { userId: 'grace', traits: { email: null } })).status, 200);

    const people = {
      identified: { body: { person: { userId: 'ada', email: 'ada@example.com', phone: '+1 (555) 010-1000', traits: { firstName: 'Ada', lastName: 'Lovelace' } }, score: 9, surveyId },
        person: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+15550101000' }, label: 'Ada Lovelace' },
      emailOnly: { body: { person: { email: 'Bo@Example.com' }, score: 7, surveyId },
        person: { name: null, email: 'bo@example.com', phone: null }, label: 'bo@example.com' },
      phoneOnly: { body: { person: { phone: '+44 20 7946 0018' }, score: 3 },
        person: { name: null, email: null, phone: '+442079460018' }, label: '+442079460018' },
      userIdOnly: { body: { person: { userId: 'cust_00042' }, score: 10, surveyId },
        person: null, label: 'cust_00042' },
      anonymous: { body: { person: { anonymousId: 'anon-7f3a' }, score: 6 },
        person: null, label: null },
      markup: { body: { person: { email: 'mallory@example.com', traits: { name: MARKUP } }, score: 0, surveyId, comment: MARKUP },
        person: { name: MARKUP, email: 'mallory@example.com', phone: null }, label: MARKUP },
      clearedEmail: { body: { person: { userId: 'grace' }, score: 8 },
        person: { name: null, email: 'grace@example.com', phone: null }, label: 'grace@example.com' },
    };
    const ids = new Map<string, { id: string; profileId: string }>();
    for (const [who, p] of Object.entries(people)) {
      const a = await post(s, p.body);
      ids.set(who, a);
      const label = p.label ?? `Anonymous ${a.profileId.slice(-6)}`;
      // The answer's own reply already says who it was and to which survey.
      assert.deepEqual([a.person, a.personLabel, a.surveyTitle], [p.person, label, 'surveyId' in p.body ? 'Post-purchase NPS' : null], who);
    }
    const expected = (who: keyof typeof people) => {
      const p = people[who];
      return { person: p.person, personLabel: p.label ?? `Anonymous ${ids.get(who)!.profileId.slice(-6)}`, surveyTitle: 'surveyId' in p.body ? 'Post-purchase NPS' : null };
    };
    const pick = (x: any) => ({ person: x.person, personLabel: x.personLabel, surveyTitle: x.surveyTitle });

    // The answers list, one page and across pages (the lookup is per page).
    const list = await s.call('GET', '/api/v1/answers?limit=500', s.ws.secretKey);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.items.length, Object.keys(people).length);
    for (const [who, a] of ids) {
      const item = list.json.items.find((x: any) => x.id === a.id);
      assert.deepEqual(pick(item), expected(who as keyof typeof people), who);
      assert.deepEqual(pick((await s.call('GET', `/api/v1/answers/${a.id}`, s.ws.secretKey)).json.answer), expected(who as keyof typeof people), `one answer: ${who}`);
    }
    const paged: any[] = [];
    for (let cursor: string | null = null, n = 0; n < 10; n++) {
      const page: any = await s.call('GET', `/api/v1/answers?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, s.ws.secretKey);
      paged.push(...page.json.items);
      cursor = page.json.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(paged.map(pick), list.json.items.map(pick));
    // Filtered by survey: only its answers, each titled.
    const bySurvey = await s.call('GET', `/api/v1/answers?surveyId=${surveyId}`, s.ws.secretKey);
    assert.deepEqual(bySurvey.json.items.map((x: any) => x.surveyTitle), bySurvey.json.items.map(() => 'Post-purchase NPS'));
    assert.equal(bySurvey.json.items.length, 4);

    // Another workspace sees none of this, and its namesake stays its own.
    const theirs = await s.call('GET', '/api/v1/answers', s.other.secretKey);
    assert.deepEqual(theirs.json.items.map(pick), [{ person: { name: 'Not Bo', email: 'bo@example.com', phone: null }, personLabel: 'Not Bo', surveyTitle: 'Their survey' }]);
    assert.equal((await s.call('GET', `/api/v1/answers/${ids.get('identified')!.id}`, s.other.secretKey)).status, 404);

    // A renamed survey is shown by its new name.
    const renamed = await s.call('PUT', `/api/v1/surveys/${surveyId}`, s.ws.secretKey, { name: 'After delivery' });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal((await s.call('GET', `/api/v1/answers/${ids.get('emailOnly')!.id}`, s.ws.secretKey)).json.answer.surveyTitle, 'After delivery');
    const titled = (who: keyof typeof people) => ({ ...expected(who), surveyTitle: expected(who).surveyTitle && 'After delivery' });

    // The live feed: everything stored before the watcher came (replayed from the start), then a new answer.
    const feed = await openSse(`${s.url}/api/v1/live/answers`, { authorization: basic(s.ws.secretKey), 'last-event-id': '0-0' });
    try {
      assert.equal(feed.status, 200);
      const replayed = new Map<string, any>();
      // 'analysis' events ({ id, text }) follow answers whose comments were just analysed: only answers are read here.
      const nextAnswer = async () => {
        for (;;) {
          const e = await feed.next(3000);
          if (e.event === 'answer') return JSON.parse(e.data!);
        }
      };
      while (replayed.size < ids.size) {
        const d = await nextAnswer();
        replayed.set(d.id, d);
      }
      for (const [who, a] of ids) {
        const d = replayed.get(a.id);
        assert.deepEqual(pick(d), titled(who as keyof typeof people), `replayed: ${who}`);
        // name and email stay where the feed always carried them.
        assert.deepEqual([d.name, d.email], [d.person?.name ?? null, d.person?.email ?? null], who);
      }
      const fresh = await post(s, { person: { phone: '+1 555 010 2000', traits: { first_name: 'Lin' } }, score: 10, surveyId });
      const d = await nextAnswer();
      assert.equal(d.id, fresh.id);
      assert.deepEqual(pick(d), { person: { name: 'Lin', email: null, phone: '+15550102000' }, personLabel: 'Lin', surveyTitle: 'After delivery' });
    } finally {
      feed.close();
    }

    // A profile names its person by the same rule, and its timeline titles the survey.
    for (const [who, a] of ids) {
      const profile = await s.call('GET', `/api/v1/profiles/${a.profileId}`, s.ws.secretKey);
      assert.equal(profile.status, 200, profile.text);
      const e = expected(who as keyof typeof people);
      assert.deepEqual([profile.json.person, profile.json.personLabel], [e.person, e.personLabel], `profile: ${who}`);
      const timeline = await s.call('GET', `/api/v1/profiles/${a.profileId}/timeline?type=track`, s.ws.secretKey);
      const answer = timeline.json.items.find((i: any) => i.answer?.id === a.id)?.answer;
      assert.ok(answer, `timeline of ${who}`);
      assert.equal(answer.surveyTitle, titled(who as keyof typeof people).surveyTitle, `timeline: ${who}`);
    }
    const byEmail = await s.call('GET', '/api/v1/profiles?email=bo@example.com', s.ws.secretKey);
    assert.equal(byEmail.json.personLabel, 'bo@example.com', 'found by identifier: named too, and not by the other workspace\'s name');
  } finally {
    await s.close();
  }
});
