import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { migrate } from '../src/store/db.ts';
import { migrations } from '../src/store/migrations.ts';
import { forEachBackend } from './helpers/backends.ts';

const CREATED_AT = 1_700_000_000_000;

/** A complete workspace row; the one place to touch when the workspaces table grows a column. */
function workspace(id: string, name: string, createdAt = CREATED_AT) {
  return { id, name, settings: '{}', signing_secret: `secret-${id}`, created_at: createdAt };
}

forEachBackend('store: migrations create the schema', async (store, backend) => {
  assert.equal(store.backend, backend);
  const tables = (await store.db.introspection.getTables()).map((t) => t.name);
  for (const table of ['workspaces', 'api_keys', 'profiles', 'identities', 'events', 'answers']) {
    assert.ok(tables.includes(table), `${backend}: table ${table} missing (have ${tables.join(', ')})`);
  }
  const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
  assert.deepEqual(
    applied.rows.map((r) => r.name),
    Object.keys(migrations).sort(),
  );
});

forEachBackend('store: every open() gets its own empty database', async (store) => {
  // Tests rely on this isolation; a shared database would make them order-dependent.
  const { n } = await store.db
    .selectFrom('workspaces')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  assert.equal(n, 0);
});

forEachBackend('store: a workspace row round-trips', async (store) => {
  const inserted = { ...workspace('ws_1', 'Acme'), settings: '{"stages":[]}' };
  await store.db.insertInto('workspaces').values(inserted).execute();
  const row = await store.db.selectFrom('workspaces').selectAll().where('id', '=', 'ws_1').executeTakeFirst();
  assert.deepEqual(row, inserted);
});

forEachBackend('store: migrate() again is a no-op', async (store) => {
  await store.db.insertInto('workspaces').values(workspace('ws_1', 'Acme')).execute();
  assert.deepEqual(await migrate(store), []);
  assert.deepEqual(await migrate(store), []);
  const rows = await store.db.selectFrom('workspaces').select(['id', 'name']).execute();
  assert.deepEqual(rows, [{ id: 'ws_1', name: 'Acme' }]);
});

forEachBackend('store: bigint columns and aggregates come back as JS numbers', async (store, backend) => {
  // Beyond 2^32 so that a 32-bit truncation or a string (pg's default for int8) cannot pass.
  const later = CREATED_AT + 86_400_000;
  await store.db
    .insertInto('workspaces')
    .values([workspace('ws_1', 'A'), workspace('ws_2', 'B', later)])
    .execute();

  const rows = await store.db.selectFrom('workspaces').select(['id', 'created_at']).orderBy('id').execute();
  assert.deepEqual(rows, [
    { id: 'ws_1', created_at: CREATED_AT },
    { id: 'ws_2', created_at: later },
  ]);
  for (const row of rows) assert.equal(typeof row.created_at, 'number', `${backend}: created_at is ${typeof row.created_at}`);

  const agg = await store.db
    .selectFrom('workspaces')
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.max('created_at').as('newest'),
      eb.fn.sum<number>('created_at').as('total'),
    ])
    .executeTakeFirstOrThrow();
  // sum(bigint) is numeric on PostgreSQL and count(*) is int8: both must still be numbers.
  assert.deepEqual(agg, { n: 2, newest: later, total: CREATED_AT + later });
});
