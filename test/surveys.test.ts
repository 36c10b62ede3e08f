import assert from 'node:assert/strict';
import test from 'node:test';
import { sampleKey } from '../src/domain/fatigue.ts';
import { newId } from '../src/domain/ids.ts';
import { addSuppression } from '../src/store/contacts.ts';
import { signContactToken } from '../src/surveys/tokens.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer, type TestServer } from './helpers/server.ts';

const check = (s: TestServer, body: Record<string, unknown>) =>
  s.call('POST', '/api/v1/widget/check', null, { writeKey: s.ws.writeKey, url: 'https://shop.example/cart', ...body }, { 'content-type': 'text/plain' });

forEachBackend('surveys: definitions are versioned, rendered per language, and isolated per workspace', async (store) => {
  const s = await startServer(store);
  try {
    const created = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, {
      name: 'Relationship NPS', companyName: 'Acme', csat: true,
      texts: { en: { followUp: { detractor: 'What went wrong?' } }, de: { question: 'Würden Sie Acme empfehlen?' } },
    });
    assert.equal(created.status, 201, created.text);
    const { id, version } = created.json.survey;
    assert.equal(version, 1);
    assert.equal(created.json.survey.definition.recontactDays, 90);

    const en = await s.call('GET', `/api/v1/surveys/${id}/preview?language=en-GB`, s.ws.secretKey);
    assert.equal(en.json.survey.language, 'en');
    assert.equal(en.json.survey.nps.question, 'How likely are you to recommend Acme to a friend or colleague?');
    assert.equal(en.json.survey.followUp.detractor, 'What went wrong?');
    assert.ok(en.json.survey.csat);
    assert.equal(en.json.survey.ces, null);
    const de = await s.call('GET', `/api/v1/surveys/${id}/preview?language=de-AT`, s.ws.secretKey);
    assert.equal(de.json.survey.nps.question, 'Würden Sie Acme empfehlen?');
    assert.equal(de.json.survey.labels.submit, 'Senden');

    const same = await s.call('PUT', `/api/v1/surveys/${id}`, s.ws.secretKey, created.json.survey.definition);
    assert.equal(same.json.survey.version, 1, 'an unchanged definition is not a new version');
    const changed = await s.call('PUT', `/api/v1/surveys/${id}`, s.ws.secretKey, { ...created.json.survey.definition, brandColor: '#ff0000' });
    assert.equal(changed.json.survey.version, 2);
    const history = await s.call('GET', `/api/v1/surveys/${id}`, s.ws.secretKey);
    assert.deepEqual(history.json.versions.map((v: any) => v.version), [2, 1]);
    const old = await s.call('GET', `/api/v1/surveys/${id}?version=1`, s.ws.secretKey);
    assert.equal(old.json.survey.definition.brandColor, '#4338ca');

    const bad = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'x', brandColor: 'red' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /brandColor/);
    assert.equal((await s.call('GET', `/api/v1/surveys/${id}`, s.other.secretKey)).status, 404);
    assert.equal((await s.call('GET', '/api/v1/surveys', s.ws.writeKey)).status, 403);
  } finally {
    await s.close();
  }
});

forEachBackend('surveys: a widget token answers once, then only updates its answer', async (store) => {
  const s = await startServer(store);
  try {
    const { json } = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Web NPS', csat: true, channels: { web: { delaySeconds: 0 } } });
    const surveyId = json.survey.id;
    const offer = await check(s, { anonymousId: 'visitor-1', language: 'en' });
    assert.equal(offer.status, 200, offer.text);
    assert.equal(offer.json.show, true, offer.text);
    assert.equal(offer.headers.get('access-control-allow-origin'), '*');
    const token = offer.json.token as string;

    assert.equal((await s.call('POST', `/api/v1/responses/${token}/events`, null, { type: 'shown' })).status, 204);
    const noScore = await s.call('POST', `/api/v1/responses/${token}`, null, { comment: 'hi' });
    assert.equal(noScore.status, 400);
    assert.equal(noScore.json.field, 'score');
    for (const score of [11, -1, 7.5]) {
      const r = await s.call('POST', `/api/v1/responses/${token}`, null, { score });
      assert.equal(r.status, 400, `score ${score}`);
      assert.match(r.json.message, /score/);
    }

    const first = await s.call('POST', `/api/v1/responses/${token}`, null, JSON.stringify({ score: 9 }), { 'content-type': 'text/plain' });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.json.category, 'promoter');
    assert.match(first.json.followUp, /like most/);
    const again = await s.call('POST', `/api/v1/responses/${token}`, null, { score: 4, comment: 'Delivery was late <img src=x onerror=alert(1)>', csat: 2 });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.answerId, first.json.answerId);
    assert.equal(again.json.category, 'detractor');

    const answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.equal(answers.json.items.length, 1);
    const a = answers.json.items[0];
    assert.deepEqual([a.score, a.category, a.csat, a.channel, a.surveyId, a.surveyVersion], [4, 'detractor', 2, 'web', surveyId, 1]);
    assert.equal(a.comment, 'Delivery was late <img src=x onerror=alert(1)>');
    const profile = await s.call('GET', '/api/v1/profiles?anonymousId=visitor-1', s.ws.secretKey);
    assert.equal(profile.json.computed.latestNps.score, 4);
    const timeline = await s.call('GET', `/api/v1/profiles/${profile.json.id}/timeline`, s.ws.secretKey);
    const names = timeline.json.items.map((i: any) => i.name ?? i.type);
    assert.ok(names.includes('NPS Survey Shown'), JSON.stringify(names));

    // Forged, altered and expired tokens.
    const forged = token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
    assert.equal((await s.call('POST', `/api/v1/responses/${forged}`, null, { score: 1 })).status, 401);
    assert.equal((await s.call('POST', '/api/v1/responses/not-a-token', null, { score: 1 })).status, 401);
    const expired = await signContactToken(store.db, { w: s.ws.id, c: 'con_expired', s: surveyId, v: 1, ch: 'email', em: 'x@example.com', x: Math.floor(Date.now() / 1000) - 60 });
    const gone = await s.call('POST', `/api/v1/responses/${expired}`, null, { score: 1 });
    assert.equal(gone.status, 410);
    assert.match(gone.json.message, /expired/);
  } finally {
    await s.close();
  }
});

forEachBackend('fatigue: one contact budget across channels, each "no" explained', async (store) => {
  const s = await startServer(store);
  try {
    const { json } = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'NPS', channels: { web: { delaySeconds: 0 } } });
    const surveyId = json.survey.id;
    // Answered by email (through an emailed link)...
    const emailToken = await signContactToken(store.db, { w: s.ws.id, c: 'con_email_1', s: surveyId, v: 1, ch: 'email', u: 'user-7', em: 'u7@example.com', x: Math.floor(Date.now() / 1000) + 3600 });
    assert.equal((await s.call('POST', `/api/v1/responses/${emailToken}`, null, { score: 8 })).status, 201);
    // ...so the web widget does not ask the next page view.
    const web = await check(s, { userId: 'user-7' });
    assert.equal(web.json.show, false);
    assert.match(web.json.reason, /not asked: answered just now via email \(limit: 1 survey per 90 days\)/);
    const explained = await s.call('GET', `/api/v1/eligibility?surveyId=${surveyId}&channel=web&userId=user-7`, s.ws.secretKey);
    assert.equal(explained.json.ask, false);
    assert.equal(explained.json.code, 'contact_budget');
    // The limit says 90 days, so she is free again 90 days after her answer, not a day more or less.
    const [answer] = (await s.call('GET', '/api/v1/answers', s.ws.secretKey)).json.items;
    assert.equal(explained.json.nextEligibleAt, new Date(Date.parse(answer.answeredAt) + 90 * 86_400_000).toISOString());

    // A looser workspace budget still leaves the survey's own recontact days.
    assert.equal((await s.call('PUT', '/api/v1/settings/contact-policy', s.ws.secretKey, { maxSurveys: 3, perDays: 30 })).status, 200);
    const recontact = await s.call('GET', `/api/v1/eligibility?surveyId=${surveyId}&channel=email&userId=user-7`, s.ws.secretKey);
    assert.equal(recontact.json.code, 'recontact');
    assert.match(recontact.json.reason, /answered this survey just now via email/);

    // Someone never asked is eligible; an unsubscribe stops every channel.
    const fresh = await s.call('GET', `/api/v1/eligibility?surveyId=${surveyId}&channel=web&anonymousId=new-visitor`, s.ws.secretKey);
    assert.equal(fresh.json.ask, true);
    await s.call('POST', '/v1/identify', s.ws.writeKey, { userId: 'user-8', traits: { email: 'u8@example.com', plan: 'free' } });
    await addSuppression(store.db, s.ws.id, { kind: 'unsubscribe', channel: 'email', address: 'u8@example.com', source: 'email link' });
    for (const channel of ['web', 'email', 'app']) {
      const unsub = await s.call('GET', `/api/v1/eligibility?surveyId=${surveyId}&channel=${channel}&userId=user-8`, s.ws.secretKey);
      assert.equal(unsub.json.code, 'unsubscribed', channel);
      assert.match(unsub.json.reason, /unsubscribed on \d{4}-\d\d-\d\d \(email link\)/);
    }

    // Targeting names the field that kept a person out.
    const targeted = await s.call('PUT', `/api/v1/surveys/${surveyId}`, s.ws.secretKey, { ...json.survey.definition, targeting: [{ field: 'traits.plan', op: 'eq', value: 'premium' }] });
    assert.equal(targeted.status, 200, targeted.text);
    await s.call('POST', '/v1/identify', s.ws.writeKey, { userId: 'user-9', traits: { plan: 'free' } });
    const target = await s.call('GET', `/api/v1/eligibility?surveyId=${surveyId}&channel=web&userId=user-9`, s.ws.secretKey);
    assert.equal(target.json.code, 'targeting', target.text);
    assert.match(target.json.reason, /traits\.plan is "free", targeting needs = "premium"/);
  } finally {
    await s.close();
  }
});

forEachBackend('surveys: edits are saved while events pour in, and edits at once get consecutive versions', async (store) => {
  const s = await startServer(store);
  try {
    const created = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'NPS' });
    const { id, definition } = created.json.survey;
    // The writer commits batches the whole time (on SQLite another connection): an edit that read the
    // survey before such a commit was refused with 503, and two edits at once on PostgreSQL with 500.
    let writing = true;
    const load = (async () => {
      for (let n = 0; writing; n++) {
        const batch = Array.from({ length: 50 }, (_, i) => ({ type: 'identify', userId: `u-${n}-${i}`, traits: { plan: 'free' } }));
        assert.equal((await s.call('POST', '/v1/batch', s.ws.writeKey, { batch })).status, 200);
      }
    })();
    const refused: string[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const r = await s.call('PUT', `/api/v1/surveys/${id}`, s.ws.secretKey, { ...definition, recontactDays: 10 + i });
        if (r.status !== 200) refused.push(r.text);
      }
      const together = await Promise.all(Array.from({ length: 10 }, (_, i) => s.call('PUT', `/api/v1/surveys/${id}`, s.ws.secretKey, { ...definition, recontactDays: 100 + i })));
      refused.push(...together.filter((r) => r.status !== 200).map((r) => r.text));
    } finally {
      writing = false;
      await load;
    }
    assert.deepEqual(refused, []);
    const history = await s.call('GET', `/api/v1/surveys/${id}`, s.ws.secretKey);
    assert.deepEqual(history.json.versions.map((v: any) => v.version), Array.from({ length: 41 }, (_, i) => 41 - i));
  } finally {
    await s.close();
  }
});

test('sampling: a rate holds for profiles created in the same millisecond', () => {
  const survey = newId('srv');
  // Ids made together differ only in their last characters: the sample must still be the rate.
  const ids = Array.from({ length: 20_000 }, () => newId('prof'));
  for (const rate of [0.1, 0.25, 0.5]) {
    const share = ids.filter((id) => sampleKey(id, survey) < rate).length / ids.length;
    assert.ok(Math.abs(share - rate) < 0.02, `rate ${rate}: sampled ${share}`);
  }
  assert.equal(sampleKey(ids[0], survey), sampleKey(ids[0], survey), 'stable per person');
});

forEachBackend('in-app surveys: an app asks per screen with its write key, answers with the token, and the policy spans channels', async (store) => {
  const s = await startServer(store);
  try {
    const created = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'App NPS', channels: { app: { screens: ['Order confirmation'] } } });
    assert.equal(created.status, 201, created.text);
    const ask = (body: Record<string, unknown>, key: string | null = s.ws.writeKey) => s.call('POST', '/api/v1/in-app/check', key, body);

    const home = await ask({ userId: 'app-user', screen: 'Home' });
    assert.equal(home.status, 200, home.text);
    assert.equal(home.json.show, false);
    assert.match(home.json.reason, /screen is not one the survey targets \(Order confirmation\)/);

    const offered = await ask({ userId: 'app-user', screen: 'Order confirmation', language: 'de' });
    assert.equal(offered.json.show, true, offered.text);
    assert.equal(offered.json.delayMs, 0);
    assert.match(offered.json.survey.nps.question, /Wie wahrscheinlich/);
    const token = offered.json.token as string;
    assert.equal((await s.call('POST', `/api/v1/responses/${token}/events`, null, { type: 'shown' })).status, 204);
    const answered = await s.call('POST', `/api/v1/responses/${token}`, null, { score: 8, comment: 'Checkout was quick' });
    assert.equal(answered.status, 201, answered.text);
    const answers = await s.call('GET', '/api/v1/answers', s.ws.secretKey);
    assert.deepEqual(answers.json.items.map((a: { score: number; channel: string; comment: string }) => [a.score, a.channel, a.comment]), [[8, 'app', 'Checkout was quick']]);

    // Asked in the app, so neither the app nor the web widget asks again.
    const again = await ask({ userId: 'app-user', screen: 'Order confirmation' });
    assert.equal(again.json.show, false);
    assert.match(again.json.reason, /answered just now via app/);
    const web = await check(s, { userId: 'app-user' });
    assert.equal(web.json.show, false);
    assert.match(web.json.reason, /via app/);

    assert.equal((await ask({ screen: 'Order confirmation' })).status, 400);
    assert.equal((await ask({ userId: 'x' }, null)).status, 401);
    assert.equal((await ask({ userId: 'x', screen: 'Order confirmation' }, s.other.writeKey)).json.show, false, 'another workspace has no such survey');
  } finally {
    await s.close();
  }
});

forEachBackend('surveys: wording under a key that is no language code is refused, naming texts, and the list keeps working', async (store) => {
  const s = await startServer(store);
  try {
    for (const followUp of [{ id: 'x' }, ['x'], 'Why?']) {
      const r = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Odd', texts: { plan: { followUp } } });
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.message, /texts/);
    }
    const bad = await s.call('POST', '/api/v1/surveys', s.ws.secretKey, { name: 'Odd', texts: { en: { followUp: { id: 'x' } } } });
    assert.equal(bad.status, 400, bad.text);
    const list = await s.call('GET', '/api/v1/surveys', s.ws.secretKey);
    assert.equal(list.status, 200, list.text);
  } finally {
    await s.close();
  }
});
