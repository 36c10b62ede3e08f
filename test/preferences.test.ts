/**
 * Workspace preferences (currency, locale, time zone, industry): checked and canonicalised at the
 * door with the field named, admin-only to change, carried on the session, and per workspace.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalTimeZone, checkPreferences, formatMoney } from '../src/domain/preferences.ts';
import { addMember } from '../src/store/accounts.ts';
import { forEachBackend } from './helpers/backends.ts';
import { startServer } from './helpers/server.ts';

test('preferences: names are canonicalised and the ones people know are kept', () => {
  assert.equal(canonicalTimeZone('america/new_york'), 'America/New_York');
  assert.equal(canonicalTimeZone('Asia/Kolkata'), 'Asia/Kolkata');
  assert.equal(canonicalTimeZone('europe/kyiv'), 'Europe/Kyiv');
  assert.equal(canonicalTimeZone('utc'), 'UTC');
  assert.equal(canonicalTimeZone('Mars/Olympus_Mons'), null);
  assert.deepEqual(checkPreferences({ currency: 'eur', locale: 'de-de', industry: 'Retail' }), { value: { currency: 'EUR', locale: 'de-DE', industry: 'retail' } });
  assert.deepEqual(checkPreferences({ currency: 'EURO' }), { field: 'currency', message: 'currency: "EURO" is not an ISO 4217 currency code (e.g. USD, EUR, GBP)' });
  assert.equal((checkPreferences({ locale: 'not a locale!' }) as { field: string }).field, 'locale');
  assert.equal((checkPreferences({ industry: 'space travel' }) as { field: string }).field, 'industry');
  assert.equal(formatMoney(1234.5, { currency: 'USD', locale: 'en-US' }), '$1,234.50');
  assert.equal(formatMoney(1234.5, { currency: 'EUR', locale: 'de-DE' }).replace(/\s/g, ' '), '1.234,50 €');
});

forEachBackend('preferences: set by an admin, refused with the field named, carried on the session, per workspace', async (store) => {
  const s = await startServer(store);
  try {
    const key = s.ws.secretKey;
    const initial = await s.call('GET', '/api/v1/settings/workspace', key);
    assert.equal(initial.status, 200, initial.text);
    assert.deepEqual(initial.json.preferences, { currency: 'USD', locale: 'en-US', timeZone: 'UTC', industry: null });

    for (const [body, field] of [
      [{ currency: 'XYZ1' }, 'currency'],
      [{ currency: 'QQQ' }, 'currency'],
      [{ timeZone: 'Europe/Atlantis' }, 'timeZone'],
      [{ locale: '12345' }, 'locale'],
      [{ industry: 'space travel' }, 'industry'],
      [{ colour: 'blue' }, 'colour'],
    ] as const) {
      const r = await s.call('PUT', '/api/v1/settings/workspace', key, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.json.message, new RegExp(field), r.text);
    }
    assert.deepEqual((await s.call('GET', '/api/v1/settings/workspace', key)).json.preferences, initial.json.preferences, 'a refused change changes nothing');

    const set = await s.call('PUT', '/api/v1/settings/workspace', key, { currency: 'eur', locale: 'de-DE', timeZone: 'europe/berlin' });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.json.preferences, { currency: 'EUR', locale: 'de-DE', timeZone: 'Europe/Berlin', industry: null });
    const partial = await s.call('PUT', '/api/v1/settings/workspace', key, { industry: 'retail' });
    assert.deepEqual(partial.json.preferences, { currency: 'EUR', locale: 'de-DE', timeZone: 'Europe/Berlin', industry: 'retail' }, 'a subset changes only itself');
    assert.equal((await s.call('PUT', '/api/v1/settings/workspace', key, { industry: null })).json.preferences.industry, null);

    // The other workspace keeps its own; a write key can change nothing.
    assert.equal((await s.call('GET', '/api/v1/settings/workspace', s.other.secretKey)).json.preferences.currency, 'USD');
    assert.equal((await s.call('PUT', '/api/v1/settings/workspace', s.ws.writeKey, { currency: 'GBP' })).status, 403);

    // Signed in, the session carries each workspace's preferences; a viewer may read but not change them.
    const password = 'viewer horse battery staple';
    assert.equal((await addMember(store.db, s.ws.id, { email: 'v@example.com', name: 'Vic', role: 'viewer', password })).status, 'created');
    const signIn = await fetch(`${s.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'v@example.com', password }) });
    assert.equal(signIn.status, 200);
    const session = await signIn.json();
    assert.deepEqual(session.workspaces.map((w: { preferences: unknown }) => w.preferences), [{ currency: 'EUR', locale: 'de-DE', timeZone: 'Europe/Berlin', industry: null }]);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0];
    const refused = await fetch(`${s.url}/api/v1/settings/workspace`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': session.csrfToken }, body: JSON.stringify({ currency: 'GBP' }) });
    assert.equal(refused.status, 403, await refused.text());
  } finally {
    await s.close();
  }
});
