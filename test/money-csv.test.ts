/**
 * Money the server writes: CSV downloads name the workspace currency in each money column's header
 * and keep plain numbers in the cells, and sentences with money in them (the behaviour findings)
 * write it with the workspace's currency and locale. Both backends.
 */
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { forEachBackend } from './helpers/backends.ts';
import { startServer } from './helpers/server.ts';

process.env.ADVOCATE_CLOCK_MS = '3600000';

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

forEachBackend('money in CSV headers and findings follows the workspace currency', async (store) => {
  const s = await startServer(store);
  try {
    const now = Date.now();
    const answered = now - 200 * DAY;
    const messages: Array<Record<string, unknown>> = [];
    // 30 promoters who spend 1,234.50 each after answering, 30 detractors who spend 100.
    for (let i = 0; i < 60; i++) {
      const promoter = i < 30;
      messages.push({ type: 'track', userId: `u${i}`, event: 'Order Completed', properties: { revenue: 50 }, timestamp: iso(answered - 20 * DAY) });
      messages.push({ type: 'track', userId: `u${i}`, event: 'NPS Survey Responded', properties: { score: promoter ? 10 : 2 }, timestamp: iso(answered) });
      messages.push({ type: 'track', userId: `u${i}`, event: 'Order Completed', properties: { revenue: promoter ? 1234.5 : 100 }, timestamp: iso(answered + 10 * DAY) });
    }
    const r = await s.call('POST', '/v1/batch', s.ws.writeKey, { batch: messages });
    assert.equal(r.status, 200, r.text);
    await s.settle();
    const key = s.ws.secretKey;

    const csvOf = async (k: string) => {
      const csv = await s.call('GET', '/api/v1/metrics/behaviour?days=90&format=csv', k);
      assert.equal(csv.status, 200, csv.text);
      return { header: csv.text.split('\n')[0].split(','), rows: parse(csv.text, { columns: true }) as Array<Record<string, string>> };
    };
    const usd = await csvOf(key);
    assert.ok(usd.header.includes('revenue (USD)') && usd.header.includes('revenue_per_customer (USD)'), usd.header.join(','));
    assert.ok(!usd.header.includes('revenue') && usd.header.includes('orders'), 'counts are no money');
    const promoters = usd.rows.find((x) => x.category === 'promoter')!;
    assert.deepEqual([promoters['revenue (USD)'], promoters['revenue_per_customer (USD)']], ['37035', '1234.5'], 'plain numbers a spreadsheet adds up');

    const json = await s.call('GET', '/api/v1/metrics/behaviour?days=90', key);
    assert.equal(json.status, 200, json.text);
    assert.match(json.json.findings[1], /detractors spent \$100\.00 per customer and promoters \$1,234\.50: −\$1,134\.50 \(significant/);

    const put = await s.call('PUT', '/api/v1/settings/workspace', key, { currency: 'EUR', locale: 'de-DE' });
    assert.equal(put.status, 200, put.text);
    const eur = await csvOf(key);
    assert.ok(eur.header.includes('revenue (EUR)') && eur.header.includes('revenue_per_customer (EUR)'), eur.header.join(','));
    assert.equal(eur.rows.find((x) => x.category === 'promoter')!['revenue_per_customer (EUR)'], '1234.5', 'cells stay plain numbers, not "1.234,50"');
    const german = await s.call('GET', '/api/v1/metrics/behaviour?days=90', key);
    assert.match(plain(german.json.findings[1]), /detractors spent 100,00 € per customer and promoters 1\.234,50 €: −1\.134,50 € \(/);
    assert.doesNotMatch(german.json.findings.join(' '), /\$/);

    // Another workspace keeps its own currency.
    const theirs = await s.call('GET', '/api/v1/metrics/behaviour?days=90&format=csv', s.other.secretKey);
    assert.equal(theirs.status, 200, theirs.text);
    assert.doesNotMatch(theirs.text, /EUR/);
  } finally {
    await s.close();
  }
});
