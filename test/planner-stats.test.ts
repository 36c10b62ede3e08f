import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { migrate, openStore } from '../src/store/db.ts';
import { indexStat } from '../src/store/planner-stats.ts';
import { createWorkspace } from '../src/store/workspaces.ts';
import { tmpDir } from './helpers/backends.ts';

async function plan(db: ReturnType<typeof openStore>['db'], query: string): Promise<string> {
  const rows = (await sql<{ detail: string }>`${sql.raw(`explain query plan ${query}`)}`.execute(db)).rows;
  return rows.map((r) => r.detail).join(' | ');
}

test('SQLite planner: per-profile reads walk the profile index, not the workspace one, on a fresh file', async () => {
  const file = join(tmpDir(), 'plans.db');
  const store = openStore({ file });
  try {
    await migrate(store);
    // The lookup behind GET /api/v1/profiles?userId=: 170 ms among 100,000 identities through the
    // (workspace_id, component) index, 0.1 ms through the profile's.
    assert.match(await plan(store.db, `select kind, value from identities where workspace_id = 'w' and profile_id = 'p' and kind <> 'alias' order by created_at`), /identities_profile/);
    assert.match(await plan(store.db, `select * from answers where workspace_id = 'w' and profile_id = 'p'`), /answers_profile/);
    assert.match(await plan(store.db, `select id from events where workspace_id = 'w' and profile_id = 'p'`), /events_profile_time/);
  } finally {
    await store.close();
  }
  // A connection opened later (the writer thread, another process) reads the same statistics.
  const again = openStore({ file });
  try {
    assert.match(await plan(again.db, `select kind from identities where workspace_id = 'w' and profile_id = 'p'`), /identities_profile/);
    // A second migrate leaves them as they are.
    const before = (await sql`select * from sqlite_stat1 order by tbl, idx`.execute(again.db)).rows;
    await migrate(again);
    assert.deepEqual((await sql`select * from sqlite_stat1 order by tbl, idx`.execute(again.db)).rows, before);
  } finally {
    await again.close();
  }
});

test('SQLite planner: statistics a real ANALYZE wrote are kept', async () => {
  const file = join(tmpDir(), 'analysed.db');
  const store = openStore({ file });
  try {
    await migrate(store);
    await createWorkspace(store.db, 'Analysed');
    await sql`delete from sqlite_stat1`.execute(store.db);
    await sql`analyze workspaces`.execute(store.db);
    const real = (await sql<{ stat: string }>`select * from sqlite_stat1 where tbl = 'workspaces' order by idx`.execute(store.db)).rows;
    assert.ok(real.length && real.every((r) => r.stat.startsWith('1')), 'one workspace, as counted');
    await migrate(store);
    assert.deepEqual((await sql`select * from sqlite_stat1 where tbl = 'workspaces' order by idx`.execute(store.db)).rows, real);
    // Tables without statistics got ours again.
    const answers = (await sql<{ stat: string }>`select stat from sqlite_stat1 where tbl = 'answers' and idx = 'answers_profile'`.execute(store.db)).rows;
    assert.deepEqual(answers.map((r) => r.stat), ['1000000 10 1']);
  } finally {
    await store.close();
  }
});

test('planner statistics: a workspace holds many rows, a kind a large share of them, anything else few', () => {
  assert.equal(indexStat(['workspace_id', 'component'], false), '1000000 100000 10');
  assert.equal(indexStat(['workspace_id', 'kind', 'value'], true), '1000000 100000 20000 1');
  assert.equal(indexStat(['profile_id', 'answered_at'], false), '1000000 10 1');
  assert.equal(indexStat(['id'], true), '1000000 1');
  assert.equal(indexStat(['workspace_id', 'profile_id', 'created_at'], false), '1000000 100000 10 1');
});
