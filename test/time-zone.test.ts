import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AnswerColumns } from '../src/analytics/columns.ts';
import { setTimeZone } from '../src/analytics/dimensions.ts';
import { countBy, countDim } from '../src/analytics/query.ts';
import { Random } from '../src/domain/random.ts';
import { parseZonedTime, zoneNamed } from '../src/domain/zoned-time.ts';
import type { AnswerFact } from '../src/store/answer-feed.ts';
import { fmtNps } from '../web/src/format.ts';
import { artifactsDir, backends, forEachBackend } from './helpers/backends.ts';
import { launchChromium, NO_BROWSER, signIn, watch, webBuild } from './helpers/browser.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { addUser } from './helpers/sign-in.ts';

// Days, weeks, hours and weekdays of every figure follow the workspace's time zone. What the
// figures should be is counted here from the raw answer times with Intl's reading of the zone's
// clocks, independently of src/domain/zoned-time.ts.

const HOUR = 3_600_000;
const MINUTE = 60_000;

interface Local {
  date: string;
  /** yyyy-mm-ddThh:mm:ss on the zone's clocks */
  wall: string;
  hour: number;
  weekday: string;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function local(t: number, zone: string): Local {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'long' });
    formats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  const date = `${p.year}-${p.month}-${p.day}`;
  return { date, wall: `${date}T${p.hour}:${p.minute}:${p.second}`, hour: Number(p.hour), weekday: p.weekday };
}

/** The Monday on or before a calendar date. */
function mondayOf(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

function datesBetween(from: string, to: string, step = 1): string[] {
  const out: string[] = [];
  for (let d = new Date(`${from}T00:00:00Z`); d.toISOString().slice(0, 10) < to; d.setUTCDate(d.getUTCDate() + step)) out.push(d.toISOString().slice(0, 10));
  return out;
}

interface Raw {
  at: number;
  score: number;
  channel: string;
}
type Counts = { n: number; promoters: number; passives: number; detractors: number };
function tally(rows: Raw[]): Counts {
  return {
    n: rows.length, promoters: rows.filter((r) => r.score >= 9).length,
    passives: rows.filter((r) => r.score === 7 || r.score === 8).length, detractors: rows.filter((r) => r.score <= 6).length,
  };
}
const countsOf = (x: Counts) => ({ n: x.n, promoters: x.promoters, passives: x.passives, detractors: x.detractors });

// Answers on both sides of midnight in each zone and on both sides of each 2026 clock change: the
// US (8 March, 1 November), the UK (29 March, 25 October), and Kolkata's midnight (18:30 UTC).
const EDGES = [
  // New York
  '2026-03-07T23:59:59-05:00', '2026-03-08T00:00:00-05:00', '2026-03-08T01:59:59-05:00', '2026-03-08T03:00:00-04:00',
  '2026-03-08T23:59:59-04:00', '2026-03-09T00:00:00-04:00', '2026-10-31T23:59:59-04:00', '2026-11-01T00:00:00-04:00',
  '2026-11-01T01:30:00-04:00', '2026-11-01T01:30:00-05:00', '2026-11-01T23:59:59-05:00', '2026-11-02T00:00:00-05:00',
  // London
  '2026-03-28T23:59:59Z', '2026-03-29T00:00:00Z', '2026-03-29T00:59:59Z', '2026-03-29T02:00:00+01:00',
  '2026-03-29T23:59:59+01:00', '2026-03-30T00:00:00+01:00', '2026-10-24T23:59:59+01:00', '2026-10-25T00:00:00+01:00',
  '2026-10-25T01:30:00+01:00', '2026-10-25T01:30:00Z', '2026-10-25T23:59:59Z', '2026-10-26T00:00:00Z',
  // Kolkata
  '2026-03-07T23:59:59+05:30', '2026-03-08T00:00:00+05:30', '2026-03-29T00:00:00+05:30', '2026-10-31T23:59:59+05:30', '2026-11-01T00:00:00+05:30',
].map((s) => Date.parse(s));

function answerTimes(): Raw[] {
  const times = [...EDGES];
  // Every 97 minutes, so answers fall at every hour and minute of the local days around the changes.
  for (const [from, to] of [['2026-02-23', '2026-04-07'], ['2026-10-18', '2026-11-10']]) {
    for (let t = Date.parse(`${from}T00:07:00Z`); t < Date.parse(`${to}T00:00:00Z`); t += 97 * MINUTE) times.push(t);
  }
  return times.map((at, i) => ({ at, score: (i * 7) % 11, channel: i % 3 === 0 ? 'web' : 'email' }));
}

/** Clock changes of 2026 by zone: the local dates whose day is 23 or 25 hours long. */
const DAY_HOURS: Record<string, Record<string, number>> = {
  'America/New_York': { '2026-03-08': 23, '2026-11-01': 25 },
  'Europe/London': { '2026-03-29': 23, '2026-10-25': 25 },
  'Asia/Kolkata': {},
  UTC: {},
};
/** Local midnight of 8 March 2026 as an instant, as the zone's published offsets give it. */
const MARCH_8: Record<string, string> = {
  'America/New_York': '2026-03-08T05:00:00.000Z', 'Europe/London': '2026-03-08T00:00:00.000Z', 'Asia/Kolkata': '2026-03-07T18:30:00.000Z', UTC: '2026-03-08T00:00:00.000Z',
};

type Call = TestServer['call'];

/** Asserts every kind of figure for one workspace against counts made from the raw answers in `zone`. */
async function checkFigures(call: Call, key: string, zone: string, raw: Raw[]): Promise<void> {
  const at = (r: Raw) => local(r.at, zone);
  const get = async (path: string) => {
    const res = await call('GET', path, key);
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    return res.json;
  };

  // Day points: one per local date, starting at its midnight, 23 or 25 hours long when clocks change.
  for (const [from, to] of [['2026-03-05', '2026-03-11'], ['2026-03-26', '2026-04-01'], ['2026-10-22', '2026-10-28'], ['2026-10-29', '2026-11-04']]) {
    for (const channel of [null, 'web']) {
      const body = await get(`/api/v1/metrics/trend?interval=day&from=${from}&to=${to}${channel ? `&channel=${channel}` : ''}`);
      const dates = datesBetween(from, to);
      assert.deepEqual(body.points.map((p: { start: string }) => local(Date.parse(p.start), zone).wall), dates.map((d) => `${d}T00:00:00`), `${zone} day starts ${from}`);
      body.points.forEach((p: Counts & { start: string; end: string }, k: number) => {
        const date = dates[k];
        assert.equal((Date.parse(p.end) - Date.parse(p.start)) / HOUR, DAY_HOURS[zone][date] ?? 24, `${zone} ${date} length`);
        assert.deepEqual(countsOf(p), tally(raw.filter((r) => at(r).date === date && (!channel || r.channel === channel))), `${zone} ${date} ${channel ?? ''}`);
      });
    }
  }

  // Week points start on Monday at local midnight, also when from is mid-week.
  for (const [from, to] of [['2026-02-25', '2026-04-06'], ['2026-10-19', '2026-11-09']]) {
    const body = await get(`/api/v1/metrics/trend?interval=week&from=${from}&to=${to}`);
    const mondays = datesBetween(mondayOf(from), to, 7);
    assert.deepEqual(body.points.map((p: { start: string }) => local(Date.parse(p.start), zone).wall), mondays.map((d) => `${d}T00:00:00`), `${zone} week starts`);
    body.points.forEach((p: Counts, k: number) => {
      assert.deepEqual(countsOf(p), tally(raw.filter((r) => mondayOf(at(r).date) === mondays[k])), `${zone} week of ${mondays[k]}`);
    });
  }

  // Months from the 1st at local midnight; rolling windows of whole local days ending with each point.
  const months = await get('/api/v1/metrics/trend?interval=month&from=2026-02-01&to=2026-12-01');
  assert.deepEqual(months.points.map((p: { start: string }) => local(Date.parse(p.start), zone).wall), datesBetween('2026-02-01', '2026-12-01').filter((d) => d.endsWith('-01')).map((d) => `${d}T00:00:00`));
  months.points.forEach((p: Counts & { start: string }) => {
    const month = local(Date.parse(p.start), zone).date.slice(0, 7);
    assert.deepEqual(countsOf(p), tally(raw.filter((r) => at(r).date.startsWith(month))), `${zone} ${month}`);
  });
  const rolling = await get('/api/v1/metrics/trend?interval=week&rolling=10&from=2026-03-02&to=2026-04-06');
  rolling.points.forEach((p: Counts & { start: string; end: string }) => {
    const [first, end] = [local(Date.parse(p.start), zone), local(Date.parse(p.end), zone)];
    assert.deepEqual([first.wall.slice(10), end.wall.slice(10)], ['T00:00:00', 'T00:00:00']);
    assert.equal(datesBetween(first.date, end.date).length, 10);
    assert.deepEqual(countsOf(p), tally(raw.filter((r) => at(r).date >= first.date && at(r).date < end.date)), `${zone} 10 days to ${end.date}`);
  });

  // Hours and weekdays on the zone's clocks, within a window of whole local days.
  for (const [by, from, to, label] of [['hour', '2026-03-01', '2026-03-15', (r: Raw) => `${String(at(r).hour).padStart(2, '0')}:00`], ['weekday', '2026-10-19', '2026-11-06', (r: Raw) => at(r).weekday]] as const) {
    const body = await get(`/api/v1/metrics/breakdown?by=${by}&from=${from}&to=${to}`);
    const inWindow = raw.filter((r) => at(r).date >= from && at(r).date < to);
    const expected = new Map<string, Raw[]>();
    for (const r of inWindow) expected.set(label(r), [...(expected.get(label(r)) ?? []), r]);
    assert.deepEqual(
      Object.fromEntries(body.rows.map((row: Counts & { value: string }) => [row.value, countsOf(row)])),
      Object.fromEntries([...expected].map(([value, rows]) => [value, tally(rows)])),
      `${zone} by ${by}`,
    );
    assert.equal(body.total.n, inWindow.length);
  }

  // A date alone is the zone's midnight; a date-time without an offset a reading of its clocks;
  // one with an offset that instant. The figure is counted from whole days and the rows of partial ones.
  const day = await get('/api/v1/metrics/nps?from=2026-03-08&to=2026-03-09');
  assert.equal(day.from, MARCH_8[zone]);
  assert.deepEqual(countsOf(day), tally(raw.filter((r) => at(r).date === '2026-03-08')), `${zone} 8 March`);
  // The period before a window of whole local days is as many local days, however long they were.
  for (const [from, to, before] of [['2026-03-09', '2026-03-10', ['2026-03-08']], ['2026-10-26', '2026-10-28', ['2026-10-24', '2026-10-25']], ['2026-11-02', '2026-11-03', ['2026-11-01']]] as const) {
    const figure = await get(`/api/v1/metrics/nps?from=${from}&to=${to}`);
    assert.deepEqual(countsOf(figure.previous), tally(raw.filter((r) => (before as readonly string[]).includes(at(r).date))), `${zone}: the days before ${from}`);
  }
  const partial = await get('/api/v1/metrics/nps?from=2026-03-08T12:00&to=2026-03-30T06:00:00');
  assert.deepEqual(countsOf(partial), tally(raw.filter((r) => at(r).wall >= '2026-03-08T12:00:00' && at(r).wall < '2026-03-30T06:00:00')), `${zone} wall-clock window`);
  const instants = await get('/api/v1/metrics/nps?from=2026-10-25T00:30:00Z&to=2026-11-01T06:30:00%2B01:00');
  assert.deepEqual(countsOf(instants), tally(raw.filter((r) => r.at >= Date.parse('2026-10-25T00:30:00Z') && r.at < Date.parse('2026-11-01T05:30:00Z'))));

  // The answers list and the behaviour table read a date alone the same way.
  const listed = await get('/api/v1/answers?from=2026-03-08&to=2026-03-09&limit=500');
  assert.equal(listed.items.length, day.n, `${zone}: the answers listed for 8 March are the ones counted`);
  const behaviour = await get('/api/v1/metrics/behaviour?from=2026-03-08&to=2026-03-09');
  assert.equal(behaviour.from, MARCH_8[zone], `${zone}: the behaviour table's 8 March`);

  // A filter on the local hour (read through a row index) counts the zone's midnight hour.
  const midnight = await get('/api/v1/metrics/nps?hour=00:00');
  assert.deepEqual(countsOf(midnight), tally(raw.filter((r) => at(r).hour === 0)), `${zone} midnight hour`);
}

async function seed(s: TestServer, ws: TestServer['ws'], raw: Raw[]): Promise<void> {
  const batch = raw.map((r, i) => ({
    type: 'track', event: 'NPS Survey Responded', userId: `u${i % 40}`, messageId: `tz-${i}`,
    properties: { score: r.score, channel: r.channel }, timestamp: new Date(r.at).toISOString(),
  }));
  const res = await s.call('POST', '/v1/batch', ws.writeKey, { batch });
  assert.equal(res.status, 200, res.text);
}

async function setZone(call: Call, key: string, timeZone: string) {
  const res = await call('PUT', '/api/v1/settings/workspace', key, { timeZone });
  assert.equal(res.status, 200, res.text);
  // The name people know is kept, even where this Node's ICU resolves it to an older alias (Asia/Calcutta).
  assert.equal(res.json.preferences.timeZone, timeZone);
}

forEachBackend('time zones: trend days and weeks, hours, weekdays and date windows follow the workspace\'s midnight, clock changes included', async (store) => {
  const s = await startServer(store);
  try {
    const raw = answerTimes();
    for (const ws of [s.ws, s.other]) await seed(s, ws, raw);
    await s.settle();
    const all = await s.call('GET', '/api/v1/metrics/nps', s.ws.secretKey);
    assert.equal(all.json.n, raw.length, 'every answer stored');
    assert.equal((await s.call('GET', '/api/v1/metrics/breakdown?by=channel', s.ws.secretKey)).json.rows.find((r: { value: string }) => r.value === 'web').n, raw.filter((r) => r.channel === 'web').length);

    // Two workspaces in two zones, read by one engine.
    await setZone(s.call, s.ws.secretKey, 'America/New_York');
    await setZone(s.call, s.other.secretKey, 'Europe/London');
    await checkFigures(s.call, s.ws.secretKey, 'America/New_York', raw);
    await checkFigures(s.call, s.other.secretKey, 'Europe/London', raw);

    // Switching the zone changes the buckets on the next request, and only that workspace's.
    const before = await s.call('GET', '/api/v1/metrics/trend?interval=day&from=2026-03-07&to=2026-03-09', s.ws.secretKey);
    await setZone(s.call, s.ws.secretKey, 'Asia/Kolkata');
    const after = await s.call('GET', '/api/v1/metrics/trend?interval=day&from=2026-03-07&to=2026-03-09', s.ws.secretKey);
    assert.notDeepEqual(after.json.points.map((p: Counts) => p.n), before.json.points.map((p: Counts) => p.n));
    await checkFigures(s.call, s.ws.secretKey, 'Asia/Kolkata', raw);
    await checkFigures(s.call, s.other.secretKey, 'Europe/London', raw);

    // Back in UTC, the figures are UTC days again.
    await setZone(s.call, s.ws.secretKey, 'UTC');
    await checkFigures(s.call, s.ws.secretKey, 'UTC', raw);
    const utc = await s.call('GET', '/api/v1/metrics/trend?interval=week&from=2026-03-02&to=2026-03-16', s.ws.secretKey);
    assert.deepEqual(utc.json.points.map((p: { start: string }) => p.start), ['2026-03-02T00:00:00.000Z', '2026-03-09T00:00:00.000Z']);
  } finally {
    await s.close();
  }
});

it('zoned time: days, hours and midnights agree with Intl across zones, including skipped and repeated hours', () => {
  const r = new Random(7);
  for (const name of ['America/New_York', 'Europe/London', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/Santiago', 'America/St_Johns', 'Pacific/Chatham', 'UTC']) {
    const zone = zoneNamed(name);
    for (let k = 0; k < 3000; k++) {
      const t = Date.parse('2000-01-01T00:00:00Z') + Math.floor(r.next() * 40 * 365.25 * 24) * HOUR + r.int(0, HOUR - 1);
      const l = local(t, name);
      const day = zone.dayOf(t);
      assert.equal(new Date(day * 86_400_000).toISOString().slice(0, 10), l.date, `${name} ${new Date(t).toISOString()}`);
      assert.equal(zone.hourOf(t), l.hour, `${name} hour at ${new Date(t).toISOString()}`);
      const start = zone.dayStart(day);
      assert.ok(start <= t && zone.dayOf(start) === day && zone.dayOf(start - 1) === day - 1, `${name}: day ${l.date} starts at ${new Date(start).toISOString()}`);
    }
  }
  // Santiago's clocks skip midnight: 6 September 2026 starts at 01:00.
  const santiago = zoneNamed('America/Santiago');
  assert.equal(local(santiago.dayStart(Date.UTC(2026, 8, 6) / 86_400_000), 'America/Santiago').wall, '2026-09-06T01:00:00');
  // A wall-clock reading that never happens moves forward by the gap; one that happens twice is the first.
  const ny = zoneNamed('America/New_York');
  assert.equal(new Date(parseZonedTime('2026-03-08T02:30', ny)!).toISOString(), '2026-03-08T07:30:00.000Z');
  assert.equal(new Date(parseZonedTime('2026-11-01T01:30', ny)!).toISOString(), '2026-11-01T05:30:00.000Z');
  assert.equal(new Date(parseZonedTime('2026-11-01', ny)!).toISOString(), '2026-11-01T04:00:00.000Z');
  assert.equal(new Date(parseZonedTime('2026-11-01T00:00:00Z', ny)!).toISOString(), '2026-11-01T00:00:00.000Z');
  assert.equal(parseZonedTime('2026-02-30', ny), null);
  assert.equal(ny.bucketStart(Date.parse('2026-03-11T03:00:00Z'), 'week'), Date.parse('2026-03-09T04:00:00Z'));
  assert.equal(ny.bucketStart(Date.parse('2026-11-01T03:59:59Z'), 'month'), Date.parse('2026-10-01T04:00:00Z'));
});

function fact(r: Random, id: string, at: number, updated: number): AnswerFact {
  return {
    id, profile_id: `p${r.int(0, 50)}`, score: r.int(0, 10), channel: r.pick(['web', 'email', 'sms']), survey_id: null,
    stage: r.pick(['Order', 'Delivery', null]), campaign: null, utm_source: null, device: null,
    days_since_last_order: null, days_since_first_seen: null, properties: '{}', answered_at: at, updated_at: updated,
  };
}

// The day cubes of a zone must give what a scan of every row gives, for ranges that start and end
// at local midnights (23- and 25-hour days included), mid-day, or inside one day; and after the
// zone changes they count the new zone's days.
it('day cubes in a time zone agree with a full scan, across clock changes and after the zone changes', () => {
  const r = new Random(21);
  const cols = new AnswerColumns();
  const t0 = Date.parse('2026-02-20T00:00:00Z');
  let version = 1;
  for (let i = 0; i < 4000; i++) cols.upsert(fact(r, `a${i}`, t0 + r.int(0, 280 * 24) * HOUR + r.int(0, HOUR - 1), version++));
  for (const name of ['America/New_York', 'Europe/London', 'Asia/Kolkata', 'UTC']) {
    const zone = zoneNamed(name);
    setTimeZone(cols, zone);
    const midnights = ['2026-03-07', '2026-03-08', '2026-03-09', '2026-03-29', '2026-03-30', '2026-10-25', '2026-10-26', '2026-11-01', '2026-11-02'].map((d) => parseZonedTime(d, zone)!);
    const point = () => (r.chance(0.5) ? r.pick(midnights) : r.pick(midnights) + r.int(-30, 30) * HOUR + r.int(0, HOUR - 1));
    for (let k = 0; k < 150; k++) {
      const a = point();
      const b = r.chance(0.2) ? a + r.int(1, 5) * HOUR : point();
      const filter = a < b ? { from: a, to: b } : b < a ? { from: b, to: a } : { from: a };
      for (const by of [null, 'score', 'hour', 'weekday'] as const) {
        const fromCube = countDim(cols, filter, by);
        const column = by === null ? null : by === 'score' ? cols.score : by === 'hour' ? Uint32Array.from({ length: cols.n }, (_, i) => zone.hourOf(cols.at[i])) : Uint32Array.from({ length: cols.n }, (_, i) => (zone.dayOf(cols.at[i]) + 3 + 7 * 1000) % 7);
        const scanned = countBy(cols, filter, fromCube.keys, column);
        assert.deepEqual([...fromCube.counts], [...scanned], `${name}, by ${by}, ${new Date(filter.from).toISOString()}–${filter.to ? new Date(filter.to).toISOString() : ''}`);
      }
    }
  }
});


// The dashboard asks for whole days of the workspace's zone: a custom range from its midnight, the
// last 30 days up to its next midnight. In the browser on SQLite only, as test/dashboard.test.ts.
describe('time zones in the dashboard', { skip: NO_BROWSER }, () => {
  it('asks for the workspace\'s days, and shows the figure the API gives for those days', { timeout: 180_000 }, async () => {
    await webBuild();
    const store = await backends()[0].open();
    const s = await startServer(store);
    const browser = await launchChromium();
    try {
      const zone = 'Asia/Kolkata';
      const raw = answerTimes();
      await seed(s, s.ws, raw);
      await s.settle();
      await setZone(s.call, s.ws.secretKey, zone);
      const user = await addUser(store, s.ws.id, 'admin');

      // The browser's own zone is another one: the workspace's must win.
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'America/Los_Angeles', reducedMotion: 'reduce' });
      const page = await context.newPage();
      const problems = watch(page);
      const asked: URL[] = [];
      page.on('request', (r) => {
        const url = new URL(r.url());
        if (url.pathname.startsWith('/api/v1/metrics/') && url.searchParams.has('from')) asked.push(url);
      });
      await signIn(page, `${s.url}/app`, user);

      // One custom day, 8 March: from Kolkata's midnight (18:30 UTC the day before) to the next.
      asked.length = 0;
      await page.goto(`${s.url}/app?from=2026-03-08&to=2026-03-08`);
      await page.locator('[data-testid=trend-chart][data-drawn=true]').waitFor();
      const shown = await page.getByTestId('nps-value').textContent();
      await page.screenshot({ path: join(artifactsDir(), 'time-zone-overview-1280.png'), fullPage: true });
      assert.ok(asked.length > 0, 'the overview asks for figures in a window');
      for (const url of asked) {
        assert.deepEqual([url.searchParams.get('from'), url.searchParams.get('to')], ['2026-03-07T18:30:00.000Z', '2026-03-08T18:30:00.000Z'], url.pathname);
      }
      const api = await s.call('GET', '/api/v1/metrics/nps?from=2026-03-08&to=2026-03-09', s.ws.secretKey);
      assert.deepEqual(countsOf(api.json), tally(raw.filter((r) => local(r.at, zone).date === '2026-03-08')));
      assert.equal(shown, fmtNps(api.json.nps));

      // The last 30 days end at the workspace's next midnight.
      asked.length = 0;
      const today = local(Date.now(), zone).date;
      await Promise.all([page.waitForResponse((r) => r.url().includes('/api/v1/metrics/breakdown')), page.goto(`${s.url}/app/breakdowns?range=30d`)]);
      await page.waitForLoadState('networkidle');
      const tomorrow = new Date(Date.parse(`${today}T00:00:00+05:30`) + 24 * HOUR).toISOString();
      const from = new Date(Date.parse(`${today}T00:00:00+05:30`) - 29 * 24 * HOUR).toISOString();
      assert.ok(asked.length > 0, 'the breakdowns ask for figures in a window');
      for (const url of asked) assert.deepEqual([url.searchParams.get('from'), url.searchParams.get('to')], [from, tomorrow], url.pathname);

      // Dates the dashboard offers are the workspace's: in a zone whose date is not UTC's now,
      // "Dates…" starts at its today, and a mark on a past day lands at that day's noon there.
      const far = local(Date.now(), 'Pacific/Kiritimati').date !== local(Date.now(), 'UTC').date ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
      const farToday = local(Date.now(), far).date;
      await setZone(s.call, s.ws.secretKey, far);
      await page.goto(`${s.url}/app`);
      await page.locator('[data-testid=trend-chart][data-drawn=true]').waitFor();
      await page.getByLabel('Time', { exact: true }).selectOption('custom');
      await page.waitForURL(/to=/);
      assert.equal(new URL(page.url()).searchParams.get('to'), farToday);
      await page.getByRole('button', { name: 'Mark a campaign or release on the chart…' }).click();
      assert.equal(await page.getByLabel('Date').inputValue(), farToday);
      await page.getByLabel('Date').fill('2026-03-08');
      await page.getByLabel('Label').fill('Spring sale');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByRole('button', { name: 'Mark a campaign or release on the chart…' }).waitFor();
      const marks = await s.call('GET', '/api/v1/annotations?from=2026-03-01T00:00:00Z&to=2026-03-15T00:00:00Z', s.ws.secretKey);
      const mark = marks.json.items.find((a: { label: string }) => a.label === 'Spring sale');
      assert.equal(local(Date.parse(mark.at), far).wall, '2026-03-08T12:00:00');
      assert.deepEqual(problems, []);
      await context.close();
    } finally {
      await browser.close();
      await s.close();
      await store.close();
    }
  });
});
