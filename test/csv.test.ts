import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { InsightEngine } from '../src/analytics/engine.ts';
import { overview, type AnswerFilter } from '../src/analytics/query.ts';
import { isAppError } from '../src/domain/errors.ts';
import { importCsv, parseDate, type ImportKind, type ImportOptions } from '../src/ingest/csv-import.ts';
import { openStore, type Store } from '../src/store/db.ts';
import { EXPORT_COLUMNS, exportCsv, type ExportKind } from '../src/store/export.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { forEachBackend, tmpDir } from './helpers/backends.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BT_FILE = resolve(ROOT, '..', 'shared', 'data', 'bt_nps_verbatims_textsummary.csv');
/** NPS as the insight API computes it, from a fresh load of the workspace's answers. */
const npsOf = async (store: Store, ws: string, filter: AnswerFilter) => overview(await new InsightEngine(store.db).answers(ws), filter);
const BT_MAP = { NPS_SCORE: 'score', text: 'comment', CUSTOMER_RESPONSE_DATE: 'timestamp', SURVEY_SUB_TYPE: 'stage' };

const fromText = (text: string) => Readable.from([Buffer.from(text)]);

function importText(store: Store, workspaceId: string, kind: ImportKind, text: string, options: ImportOptions = {}) {
  return importCsv(store, workspaceId, kind, fromText(text), { quiet: true, ...options });
}

async function exportText(store: Store, workspaceId: string, kind: ExportKind): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  await exportCsv(store, workspaceId, kind, sink);
  return Buffer.concat(chunks).toString('utf8');
}

const rowsOf = (text: string) => parse(text, { columns: true }) as Array<Record<string, string>>;

async function workspace(store: Store, name: string) {
  return (await createWorkspace(store.db, name)).id;
}

describe('csv: dates', () => {
  it('reads ISO (UTC unless a zone is given), epoch seconds and milliseconds, dd/mm and mm/dd', () => {
    assert.equal(parseDate('2018-04-11T20:09:00Z', 'iso'), Date.UTC(2018, 3, 11, 20, 9));
    assert.equal(parseDate('2018-04-11 20:09', 'iso'), Date.UTC(2018, 3, 11, 20, 9));
    assert.equal(parseDate('2018-04-11', 'iso'), Date.UTC(2018, 3, 11));
    assert.equal(parseDate('2018-04-11T20:09:00.250+02:00', 'iso'), Date.UTC(2018, 3, 11, 18, 9, 0, 250));
    assert.equal(parseDate('2023-05-01 10:00:00 -0700', 'iso'), Date.UTC(2023, 4, 1, 17));
    assert.equal(parseDate('1523477340', 'iso'), 1523477340_000);
    assert.equal(parseDate('1523477340123', 'iso'), 1523477340123);
    assert.equal(parseDate('11/04/2018 20:09', 'dmy'), Date.UTC(2018, 3, 11, 20, 9));
    assert.equal(parseDate('11/04/2018', 'mdy'), Date.UTC(2018, 10, 4));
    assert.equal(parseDate('4/11/2018 8:09 PM', 'mdy'), Date.UTC(2018, 3, 11, 20, 9));
    for (const [text, format] of [
      ['31/02/2018', 'dmy'],
      ['2018-13-01', 'iso'],
      ['11/04/2018', 'iso'],
      ['20180411', 'iso'],
      ['25:00 11/04/2018', 'dmy'],
      ['11/04/2018 24:10', 'dmy'],
      ['soon', 'mdy'],
    ] as const) {
      assert.equal(parseDate(text, format), null, `${text} (${format}) is not a date`);
    }
  });
});

if (!existsSync(BT_FILE)) {
  it('csv: the BT NPS data set', (t) => t.skip(`../shared/data absent: ${BT_FILE} not found`));
} else {
  forEachBackend('csv: the BT NPS data set imports with its stages, once', async (store) => {
    const ws = await workspace(store, 'BT');
    const options: ImportOptions = { map: BT_MAP, dateFormat: 'dmy', quiet: true };
    const first = await importCsv(store, ws, 'answers', createReadStream(BT_FILE), options);
    assert.equal(first.rows, 2385);
    assert.equal(first.stored, 2353);
    assert.equal(first.duplicates, 0);
    assert.equal(first.skippedCount, 32);
    assert.equal(first.skipped.length, 32);
    for (const s of first.skipped) assert.equal(s.reason, 'score is empty', `line ${s.line}`);
    // Line numbers count the header as line 1, as an editor does.
    assert.equal(first.skipped[0].line, 232);
    assert.equal(first.skipped.at(-1)!.line, 2385);

    const all = await npsOf(store, ws, {});
    assert.equal(all.n, 2353);
    assert.ok(Math.abs(all.nps! - -24.692) < 0.01, `NPS ${all.nps}`);
    assert.deepEqual([all.adjusted.low!.toFixed(1), all.adjusted.high!.toFixed(1)], ['-28.2', '-21.1']);
    const order = await npsOf(store, ws, { where: { stage: ['Order'] } });
    assert.equal(order.n, 962);
    assert.equal(order.nps!.toFixed(1), '-10.0');

    // The first data row, read as a UTC dd/mm date, with the file's stage rather than a computed one.
    const a = await store.db.selectFrom('answers').selectAll().where('workspace_id', '=', ws).where('answered_at', '=', Date.UTC(2018, 3, 11, 20, 9)).execute();
    const row = a.find((x) => x.comment?.startsWith('The process was good'));
    assert.ok(row, 'first row imported');
    assert.equal(row.score, 7);
    assert.equal(row.stage, 'Order');
    assert.equal(row.channel, 'import');
    assert.deepEqual(JSON.parse(row.properties), { NPS_RATING: 'Passive', Qtr: 'other', imported_stage: 'Order' });
    // Rows without identifiers are distinct anonymous respondents.
    const { profiles } = await store.db
      .selectFrom('profiles')
      .select((eb) => eb.fn.countAll<number>().as('profiles'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    assert.equal(Number(profiles), 2353);

    const again = await importCsv(store, ws, 'answers', createReadStream(BT_FILE), options);
    assert.deepEqual({ ...again, seconds: 0 }, { ...first, stored: 0, duplicates: 2353, seconds: 0 });
    assert.equal((await npsOf(store, ws, {})).n, 2353);
  });
}

const PEOPLE = `user_id,anonymous_id,email,phone,name,plan
u1,,Ann@Example.com,,Ann,pro
u2,,bob@example.com,+44 20 7946 0000,Bob,
,,,,Nobody,free
u3,,not-an-email,,Cat,
,anon-9,,,Dana,free
`;

const EVENTS = `type,event,userId,anonymousId,timestamp,revenue,properties
track,Order Completed,u1,,2024-01-10T10:00:00Z,120.50,
track,Order Completed,u1,,2024-02-10T10:00:00Z,,"{""revenue"": 30, ""currency"": ""EUR""}"
track,Page Viewed,,,2024-02-11T10:00:00Z,,
page,,u2,,2024-02-12T10:00:00Z,,
track,Signed Up,u2,,12/02/2024,,
identify,,u2,anon-9,2024-03-01T00:00:00Z,,
`;

const ANSWERS = `user_id,email,score,comment,channel,survey_id,timestamp,stage,region
u1,,9,Great,email,s1,2024-03-01T09:00:00Z,onboarding,EU
u2,,3,"Slow, and ""late""
and on two lines",web,s1,2024-03-02 09:00,,US
,,10,Anonymous love,,s1,1709373600,,
,carol@example.com,7,,,s1,2024-03-04,,
u5,,,Missing score,,,2024-03-05,,
u6,,11,Too high,,,2024-03-05,,
u7,,8,Bad date,,,2024-13-45,,
`;

forEachBackend('csv: people, events and answers from small files; export and re-import', async (store) => {
  const ws = await workspace(store, 'Shop');

  const people = await importText(store, ws, 'people', PEOPLE);
  assert.deepEqual(
    { rows: people.rows, stored: people.stored, duplicates: people.duplicates, skippedCount: people.skippedCount, skipped: people.skipped },
    {
      rows: 5,
      stored: 3,
      duplicates: 0,
      skippedCount: 2,
      skipped: [
        { line: 4, reason: 'no identifier: a person needs user_id, anonymous_id, email or phone' },
        { line: 5, reason: 'email "not-an-email" is not an email address' },
      ],
    },
  );

  const events = await importText(store, ws, 'events', EVENTS);
  assert.equal(events.rows, 6);
  assert.equal(events.stored, 4);
  assert.deepEqual(
    events.skipped.map((s) => s.line),
    [4, 6],
  );
  assert.match(events.skipped[0].reason, /no identifier/);
  assert.match(events.skipped[1].reason, /timestamp "12\/02\/2024" is not a date in the iso format/);

  // The identify linked anon-9 (Dana) to u2: one profile left, the merged one is not exported.
  const exported = rowsOf(await exportText(store, ws, 'people'));
  assert.equal(exported.length, 2);
  assert.deepEqual(Object.keys(exported[0]), [...EXPORT_COLUMNS.people]);
  const ann = exported.find((p) => p.user_id === 'u1')!;
  assert.equal(ann.email, 'ann@example.com');
  assert.equal(ann.order_count, '2');
  assert.equal(Number(ann.revenue), 150.5);
  assert.equal(ann.first_seen, '2024-01-10T10:00:00.000Z');
  assert.equal(ann.last_order_at, '2024-02-10T10:00:00.000Z');
  assert.deepEqual(JSON.parse(ann.traits), { name: 'Ann', plan: 'pro', email: 'ann@example.com' });
  const bob = exported.find((p) => p.user_id === 'u2')!;
  // A cell starting with + would be a formula in a spreadsheet; import reads it back without the apostrophe.
  assert.equal(bob.phone, "'+442079460000");
  assert.deepEqual(JSON.parse(bob.anonymous_ids), ['anon-9']);
  assert.equal(JSON.parse(bob.traits).plan, 'free');

  const answers = await importText(store, ws, 'answers', ANSWERS);
  assert.equal(answers.rows, 7);
  assert.equal(answers.stored, 4);
  assert.deepEqual(
    answers.skipped.map((s) => `${s.line}: ${s.reason}`),
    [
      // The second answer spans lines 3–4, so the rest of the file is one line further down.
      '7: score is empty',
      '8: score "11" is not a whole number from 0 to 10',
      '9: timestamp "2024-13-45" is not a date in the iso format (ISO 8601 (yyyy-mm-dd[THH:MM[:SS][Z|±hh:mm]]) or epoch seconds/milliseconds)',
    ],
  );
  const stored = await store.db.selectFrom('answers').selectAll().where('workspace_id', '=', ws).orderBy('answered_at').execute();
  assert.deepEqual(
    stored.map((a) => [a.score, a.channel, a.survey_id, a.stage, new Date(a.answered_at).toISOString()]),
    [
      [9, 'email', 's1', 'onboarding', '2024-03-01T09:00:00.000Z'],
      [3, 'web', 's1', 'new', '2024-03-02T09:00:00.000Z'],
      [10, 'import', 's1', 'new', '2024-03-02T10:00:00.000Z'],
      [7, 'import', 's1', 'new', '2024-03-04T00:00:00.000Z'],
    ],
  );
  assert.equal(stored[1].comment, 'Slow, and "late"\nand on two lines');
  assert.deepEqual(JSON.parse(stored[0].properties), { imported_stage: 'onboarding', region: 'EU' });
  // An answer carries its person's email as an identity, like an identify would.
  const carol = await store.db.selectFrom('identities').select('profile_id').where('workspace_id', '=', ws).where('kind', '=', 'email').where('value', '=', 'carol@example.com').executeTakeFirst();
  assert.equal(carol?.profile_id, stored[3].profile_id);
  // u1's answer lands on the profile with the orders.
  const profile = await store.db.selectFrom('profiles').selectAll().where('id', '=', stored[0].profile_id).executeTakeFirstOrThrow();
  assert.equal(profile.user_id, 'u1');
  assert.equal(profile.nps_score, 9);

  const before = await npsOf(store, ws, {});
  assert.equal(before.n, 4);
  assert.equal(before.nps, 25);

  // Export → import into a fresh workspace, without --map: the same answers and the same NPS.
  const answersCsv = await exportText(store, ws, 'answers');
  assert.equal(answersCsv.split('\n')[0], EXPORT_COLUMNS.answers.join(','));
  const fresh = await workspace(store, 'Fresh');
  const reimport = await importText(store, fresh, 'answers', answersCsv);
  assert.deepEqual([reimport.rows, reimport.stored, reimport.skippedCount], [4, 4, 0], JSON.stringify(reimport.skipped));
  const after = await npsOf(store, fresh, {});
  assert.deepEqual(after, before);
  const copies = await store.db.selectFrom('answers').selectAll().where('workspace_id', '=', fresh).orderBy('answered_at').execute();
  const essence = (a: (typeof stored)[number]) => [a.score, a.comment, a.channel, a.survey_id, a.stage, a.answered_at, a.message_id];
  assert.deepEqual(copies.map(essence).sort(), stored.map(essence).sort());
  // The export keeps message ids, so importing it once more changes nothing.
  const twice = await importText(store, fresh, 'answers', answersCsv);
  assert.deepEqual([twice.stored, twice.duplicates], [0, 4]);

  // Events round-trip the same way: into the same workspace they are all known already.
  const eventsCsv = await exportText(store, ws, 'events');
  assert.equal(rowsOf(eventsCsv).length, 3 + 4 + 4);
  const eventsAgain = await importText(store, ws, 'events', eventsCsv);
  assert.deepEqual([eventsAgain.rows, eventsAgain.stored, eventsAgain.duplicates, eventsAgain.skippedCount], [11, 0, 11, 0], JSON.stringify(eventsAgain.skipped));
});

forEachBackend('csv: answers imported again a month later are still recognised', async (store, backend) => {
  const ws = await workspace(store, 'Later');
  const file = 'email,name,score,comment\nann@example.com,Ann,9,Good\nbob@example.com,Bob,4,Bad\n,,10,Anonymous\n';
  const first = await importText(store, ws, 'answers', file);
  assert.deepEqual([first.stored, first.duplicates], [3, 0]);
  const count = async (s: Store) => Number((await s.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', ws).executeTakeFirstOrThrow()).n);
  const events = await count(store);
  assert.equal(events, 5, 'three answers and the identify of the two named people');
  // Long after the first import, and in another process: nothing recent to remember it by.
  await store.db.updateTable('events').set({ received_at: Date.now() - 30 * 86_400_000 }).where('workspace_id', '=', ws).execute();
  const later = backend === 'sqlite' ? openStore({ url: store.location, file: store.location }) : store;
  try {
    const again = await importText(later, ws, 'answers', file);
    assert.deepEqual([again.stored, again.duplicates], [0, 3]);
    assert.equal(await count(later), events);
  } finally {
    if (later !== store) await later.close();
  }
});

forEachBackend('csv: a Delighted export', async (store) => {
  const ws = await workspace(store, 'Delighted');
  const file = `Response ID,Person ID,Email,Name,Score,Comment,Created At,Updated At,Delighted Source,Plan
1001,p1,eve@example.com,Eve,10,Love it,2023-05-01 10:00:00 -0700,2023-05-02 10:00:00 -0700,email,pro
1002,p2,,,4,Meh,2023-05-03 12:00:00 UTC,,web,
1003,p1,eve@example.com,Eve,,No score given,2023-05-04 12:00:00 UTC,,email,pro
`;
  const r = await importText(store, ws, 'answers', file, { delighted: true });
  assert.deepEqual([r.rows, r.stored, r.duplicates, r.skippedCount], [3, 2, 0, 1]);
  assert.deepEqual(r.skipped, [{ line: 4, reason: 'score is empty' }]);
  const eve = await store.db.selectFrom('answers').selectAll().where('workspace_id', '=', ws).where('message_id', '=', 'delighted-1001').executeTakeFirstOrThrow();
  assert.equal(eve.score, 10);
  assert.equal(eve.comment, 'Love it');
  assert.equal(eve.channel, 'delighted');
  assert.equal(eve.answered_at, Date.UTC(2023, 4, 1, 17));
  assert.deepEqual(JSON.parse(eve.properties), { 'Updated At': '2023-05-02 10:00:00 -0700', 'Delighted Source': 'email', Plan: 'pro' });
  const profile = await store.db.selectFrom('profiles').selectAll().where('id', '=', eve.profile_id).executeTakeFirstOrThrow();
  assert.deepEqual(JSON.parse(profile.traits), { name: 'Eve', email: 'eve@example.com' });
  const anon = await store.db.selectFrom('identities').select('profile_id').where('workspace_id', '=', ws).where('kind', '=', 'anon').where('value', '=', 'delighted-person-p2').executeTakeFirst();
  assert.ok(anon, 'Person ID becomes an anonymous id');
  const again = await importText(store, ws, 'answers', file, { delighted: true });
  assert.deepEqual([again.stored, again.duplicates, again.skippedCount], [0, 2, 1]);
});

forEachBackend('csv: mapping mistakes fail up front; bad rows are counted beyond the reasons kept', async (store) => {
  const ws = await workspace(store, 'Mistakes');
  await assert.rejects(importText(store, ws, 'answers', 'rating,text\n9,ok\n'), (err: Error) => isAppError(err, 'invalid') && /no score column.*columns: rating, text/.test(err.message));
  await assert.rejects(importText(store, ws, 'answers', 'rating,text\n9,ok\n', { map: { Rating: 'score', nope: 'comment' } }), /no column "nope"/);
  await assert.rejects(importText(store, ws, 'people', 'name,plan\nAnn,pro\n'), /no identifier column/);
  await assert.rejects(importText(store, ws, 'answers', ''), /header row/);

  // --map is case-insensitive on column names, and a column mapped to '' is dropped.
  let text = 'Rating,Text,Junk\n';
  for (let i = 0; i < 150; i++) text += `${i % 2 ? 'x' : ''},bad,1\n`;
  text += '8,good,1\n8,"quoted ""and"" fine",1,extra\n';
  const r = await importText(store, ws, 'answers', text, { map: { rating: 'score', text: 'comment', junk: '' } });
  assert.equal(r.rows, 152);
  assert.equal(r.stored, 1);
  assert.equal(r.skippedCount, 151);
  assert.equal(r.skipped.length, 100);
  assert.deepEqual(r.skipped.slice(0, 2), [
    { line: 2, reason: 'score is empty' },
    { line: 3, reason: 'score "x" is not a whole number from 0 to 10' },
  ]);
  const good = await store.db.selectFrom('answers').select(['comment', 'properties']).where('workspace_id', '=', ws).execute();
  assert.deepEqual(good, [{ comment: 'good', properties: '{}' }]);
});

forEachBackend('csv: a file from elsewhere: its comment and score columns are found by their usual names', async (store) => {
  const ws = await workspace(store, 'Elsewhere');
  // The layout of a public set of labelled customer messages, its labels turned into scores.
  const file = `tweet_id,airline_sentiment,NPS,text,tweet_created
5703061,negative,2,@airline lost my bag again,2015-02-24 11:35:52 -0800
5703062,positive,10,@airline thanks for the upgrade!,2015-02-24 11:15:59 -0800
`;
  const r = await importText(store, ws, 'answers', file, { map: { tweet_created: 'timestamp' } });
  assert.deepEqual([r.stored, r.skippedCount], [2, 0], JSON.stringify(r.skipped));
  assert.deepEqual(r.columns, {
    fields: [
      { field: 'score', column: 'NPS', guessed: true },
      { field: 'comment', column: 'text', guessed: true },
      { field: 'timestamp', column: 'tweet_created', guessed: false },
    ],
    kept: ['tweet_id', 'airline_sentiment'],
  });
  const rows = await store.db.selectFrom('answers').select(['score', 'comment', 'answered_at', 'properties']).where('workspace_id', '=', ws).orderBy('score').execute();
  assert.deepEqual(rows.map((a) => [a.score, a.comment, a.answered_at]), [
    [2, '@airline lost my bag again', Date.UTC(2015, 1, 24, 19, 35, 52)],
    [10, '@airline thanks for the upgrade!', Date.UTC(2015, 1, 24, 19, 15, 59)],
  ]);
  assert.deepEqual(JSON.parse(rows[0].properties), { tweet_id: '5703061', airline_sentiment: 'negative' });

  // A column named for the field wins over a guess, and a guess can be dropped.
  const both = await importText(store, ws, 'answers', 'score,text,comment\n7,the text,the comment\n');
  assert.deepEqual(both.columns.fields.map((f) => [f.field, f.column, f.guessed]), [['score', 'score', false], ['comment', 'comment', false]]);
  const dropped = await importText(store, ws, 'answers', 'score,text,feedback\n8,a text,a feedback\n', { map: { text: '-' } });
  assert.deepEqual(dropped.columns, { fields: [{ field: 'score', column: 'score', guessed: false }, { field: 'comment', column: 'feedback', guessed: true }], kept: [] });
  // A date column by another name dates the answers; without one they would all be dated today.
  const dated = await importText(store, ws, 'answers', 'Score,Feedback,Date\n6,slow,2024-03-01 09:30\n');
  assert.deepEqual(dated.columns.fields.map((f) => [f.field, f.column, f.guessed]), [['score', 'Score', false], ['comment', 'Feedback', true], ['timestamp', 'Date', true]]);
  const slow = await store.db.selectFrom('answers').select('answered_at').where('workspace_id', '=', ws).where('comment', '=', 'slow').executeTakeFirstOrThrow();
  assert.equal(slow.answered_at, Date.UTC(2024, 2, 1, 9, 30));
});

describe('csv: the command line', () => {
  it('imports with --map, prints the summary, and exports to a file', () => {
    const dir = tmpDir('advocate-csv-cli-');
    const env: NodeJS.ProcessEnv = { ...process.env, ADVOCATE_DB: join(dir, 'cli.db') };
    // The CLI picks PostgreSQL when DATABASE_URL is set; this test is about the command, on SQLite.
    delete env.DATABASE_URL;
    const run = (...args: string[]) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const file = join(dir, 'nps.csv');
    writeFileSync(
      file,
      [
        'CUSTOMER_RESPONSE_DATE,SURVEY_SUB_TYPE,NPS_RATING,NPS_SCORE,text,Qtr',
        '11/04/2018 20:09,Order,Passive,7,"Good, so far",other',
        '01/05/2018 20:23,First Payment,Detractor,0,Lack of communication,other',
        '26/02/2018 19:34,First Payment,,,,Q1',
        '07/04/2018 13:37,Order,Promoter,10,It was so easy and good,other',
      ].join('\n') + '\n',
    );

    const created = run('workspace', 'create', 'CliShop');
    assert.equal(created.code, 0, created.err);
    const map = Object.entries(BT_MAP).map(([c, f]) => `${c}=${f}`).join(',');
    const imported = run('import', 'answers', file, '--workspace', 'CliShop', '--map', map, '--date-format', 'dmy');
    assert.equal(imported.code, 0, imported.err);
    assert.match(imported.out, /Imported answers from .*nps\.csv: 4 rows/);
    assert.match(imported.out, /stored: +3\n/);
    assert.match(imported.out, /duplicates: +0\n/);
    assert.match(imported.out, /skipped: +1\n/);
    assert.match(imported.out, /line 4: score is empty/);
    // How the columns are read is said before the rows.
    assert.match(imported.err, /Columns: timestamp ← "CUSTOMER_RESPONSE_DATE", stage ← "SURVEY_SUB_TYPE", score ← "NPS_SCORE", comment ← "text"\n/);
    assert.match(imported.err, /kept as properties: "NPS_RATING", "Qtr"/);
    const out = join(dir, 'answers.csv');
    const exported = run('export', 'answers', '--workspace', 'CliShop', '--out', out);
    assert.equal(exported.code, 0, exported.err);
    const csv = readFileSync(out, 'utf8');
    assert.equal(csv.split('\n')[0], EXPORT_COLUMNS.answers.join(','));
    const rows = rowsOf(csv);
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map((r) => r.stage).sort(), ['First Payment', 'Order', 'Order']);

    const missing = run('import', 'answers', join(dir, 'nope.csv'), '--workspace', 'CliShop');
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /nope\.csv: no such file/);
    const unknown = run('export', 'orders', '--workspace', 'CliShop');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.err, /unknown kind "orders": use people, events, answers/);
    const noComment = join(dir, 'scores.csv');
    writeFileSync(noComment, 'score,plan\n9,pro\n');
    const scoresOnly = run('import', 'answers', noComment, '--workspace', 'CliShop');
    assert.equal(scoresOnly.code, 0, scoresOnly.err);
    assert.match(scoresOnly.err, /no comment column: the answers are stored without comments \(name one "comment" or map it with --map COLUMN=comment\)/);
    assert.match(scoresOnly.err, /no date column: each answer is dated when it is imported \(name one "timestamp" or map it with --map COLUMN=timestamp\)/);
    const typo = run('import', 'answers', noComment, '--workspace', 'CliShp');
    assert.notEqual(typo.code, 0);
    assert.match(typo.err, /No workspace "CliShp" \(by id or name\); there are: CliShop\. Create it with `advocate workspace create CliShp`/);
  });
});
