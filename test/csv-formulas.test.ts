import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { csvText, fromSpreadsheetSafe, spreadsheetSafe } from '../src/domain/csv.ts';
import { importCsv } from '../src/ingest/csv-import.ts';
import { exportCsv } from '../src/store/export.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { forEachBackend, tmpDir } from './helpers/backends.ts';
import { startServer } from './helpers/server.ts';

const ROOT = join(import.meta.dirname, '..');

// What a spreadsheet runs: the classic injections, and a leading tab or carriage return before one.
const FORMULAS = [
  '=HYPERLINK("http://evil.example","click")',
  "+cmd|' /C calc'!A0",
  '@SUM(1+1)*cmd|\' /C calc\'!A0',
  "-2+3+cmd|' /C calc'!A0",
  '\t=1+1',
  '\r=1+1',
];
// Text already starting with an apostrophe before a formula character must read back as itself.
const QUOTED = "'=not a formula, written by a person";

const rowsOf = (text: string) => parse(text, { columns: true, relax_column_count: true }) as Array<Record<string, string>>;

async function exportText(store: Parameters<typeof exportCsv>[0], ws: string): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  await exportCsv(store, ws, 'answers', sink);
  return Buffer.concat(chunks).toString('utf8');
}

/** `advocate export answers` in its own process, against the test's database. */
function cliExport(store: { backend: string; location: string }, ws: string): string | null {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (store.backend === 'sqlite') {
    env.ADVOCATE_DB = store.location;
    delete env.DATABASE_URL;
  } else if (store.location.includes('***')) {
    return null; // a password-protected server given by the developer: its URL is masked in `location`
  } else {
    env.DATABASE_URL = store.location;
  }
  const out = join(tmpDir('advocate-csv-formulas-'), 'answers.csv');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'export', 'answers', '--workspace', ws, '--out', out, '--quiet'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(out, 'utf8');
}

it('csv: one rule for text cells; numbers stay numbers; escaping reads back', () => {
  for (const f of FORMULAS) {
    assert.equal(spreadsheetSafe(f), `'${f}`);
    assert.equal(fromSpreadsheetSafe(spreadsheetSafe(f)), f);
  }
  assert.equal(spreadsheetSafe(QUOTED), `'${QUOTED}`);
  assert.equal(fromSpreadsheetSafe(spreadsheetSafe(QUOTED)), QUOTED);
  for (const plain of ["it's fine", "'quoted", 'a=b', '2024-01-01T00:00:00.000Z', '{"a":"=x"}', '']) {
    assert.equal(spreadsheetSafe(plain), plain);
    assert.equal(fromSpreadsheetSafe(plain), plain);
  }
  // A number column keeps its sign; the same characters as text are neutralised.
  assert.equal(csvText([{ n: -2, x: -0.5, t: '-2', b: true }]), "n,x,t,b\n-2,-0.5,'-2,1\n");
});

forEachBackend('csv: formulas in answers are neutralised alike in `advocate export` and in HTTP downloads, and read back', async (store, backend) => {
  const s = await startServer(store);
  try {
    const texts = [...FORMULAS, QUOTED];
    for (const [i, text] of texts.entries()) {
      const r = await s.call('POST', '/api/v1/answers', s.ws.writeKey, {
        person: { userId: `u${i}` }, score: i, comment: text, properties: { journey_stage: text }, messageId: `formula-${i}`,
      });
      assert.equal(r.status, 201, r.text);
    }

    // The CLI export: every comment and stage cell neutralised, numbers as they are.
    const cli = cliExport(store, s.ws.id) ?? (await exportText(store, s.ws.id));
    const exported = rowsOf(cli);
    assert.equal(exported.length, texts.length);
    const byMessage = new Map(exported.map((r) => [r.message_id, r]));
    for (const [i, text] of texts.entries()) {
      const row = byMessage.get(`formula-${i}`)!;
      assert.equal(row.comment, `'${text}`, `comment ${JSON.stringify(text)}`);
      assert.equal(row.stage, `'${text}`, `stage ${JSON.stringify(text)}`);
      assert.equal(row.score, String(i));
    }
    if (backend === 'sqlite') assert.equal(cli, await exportText(store, s.ws.id), 'the CLI writes what exportCsv writes');

    // The HTTP download of the same values: the same cells.
    const http = await s.call('GET', '/api/v1/metrics/breakdown?by=stage&format=csv', s.ws.secretKey);
    assert.equal(http.status, 200, http.text);
    const stages = rowsOf(http.text).map((r) => r.stage).sort();
    assert.deepEqual(stages, exported.map((r) => r.stage).sort());

    // Importing the export restores the text (the stage is trimmed on import, as any imported stage is).
    const fresh = (await createWorkspace(store.db, 'Fresh')).id;
    const report = await importCsv(store, fresh, 'answers', Readable.from([Buffer.from(cli)]), { quiet: true, writer: s.services.writer });
    assert.deepEqual([report.stored, report.skippedCount], [texts.length, 0], JSON.stringify(report.skipped));
    const back = await store.db.selectFrom('answers').select(['message_id', 'comment', 'stage']).where('workspace_id', '=', fresh).execute();
    for (const [i, text] of texts.entries()) {
      const row = back.find((a) => a.message_id === `formula-${i}`)!;
      assert.equal(row.comment, text);
      assert.equal(row.stage, text.trim());
    }
  } finally {
    await s.close();
  }
});
