/**
 * Every storage test runs against both backends, each on a database of its own, so that tests
 * cannot see each other's rows and SQL that only works on one dialect fails in the test run.
 *
 * PostgreSQL comes from ADVOCATE_TEST_PG_URL, an admin URL set by test/run.ts (a throwaway
 * cluster, or DATABASE_URL); each open() creates a database on it and close() drops it again.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { migrate, openStore, type Backend, type Store } from '../../src/store/db.ts';
import { withPgClient } from './pg-cluster.ts';
import { migrations } from '../../src/store/migrations.ts';
import { Migrator } from 'kysely';

export type TestBackend = {
  name: Backend;
  /** A fresh store, migrated to the latest migration or, with `upTo`, to that one (to test an upgrade). */
  open(options?: OpenTestOptions): Promise<Store>;
  /** Set when this backend cannot run here; the reason is what the test output shows. */
  skip?: string;
};

export interface OpenTestOptions {
  /** The last migration to run (e.g. '0009_bus'); the rest are left for the test to run with migrate(). */
  upTo?: string;
}

/** Runs the migrations up to and including `upTo`, as a database last upgraded by an older release. */
async function migrateUpTo(store: Store, upTo: string): Promise<void> {
  const older = Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= upTo));
  const { error } = await new Migrator({ db: store.db, provider: { getMigrations: async () => older } }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

export const PG_SKIP_REASON = 'PostgreSQL not available (set DATABASE_URL or install PostgreSQL)';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------------------------
// Temporary directories and artifacts

const tmpDirs = new Set<string>();
process.on('exit', () => {
  // Keeping them is handy when debugging a failing test: ADVOCATE_KEEP_TMP=1.
  if (process.env.ADVOCATE_KEEP_TMP) return;
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under the OS temp dir, removed when the test process exits. */
export function tmpDir(prefix = 'advocate-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix.endsWith('-') ? prefix : `${prefix}-`));
  tmpDirs.add(dir);
  return dir;
}

/**
 * `test-artifacts/` at the repository root (git-ignored), for output worth looking at after a run
 * such as screenshots or generated reports; unlike tmpDir() it survives the run.
 */
export function artifactsDir(...subdirs: string[]): string {
  const dir = join(ROOT, 'test-artifacts', ...subdirs);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Backends

const connections = new WeakMap<Store, string>();

/** What another process passes to openStore({ url }) to open the same database as a test's store. */
export function connectionOf(store: Store): string {
  const url = connections.get(store);
  if (!url) throw new Error('not a store opened by backends()');
  return url;
}

async function openSqlite(options: OpenTestOptions = {}): Promise<Store> {
  const dir = tmpDir('advocate-sqlite-');
  const file = join(dir, 'test.db');
  // Passing url as well stops openStore() from falling back to DATABASE_URL, which would silently
  // turn the "sqlite" test into a PostgreSQL one on a developer machine with DATABASE_URL set.
  const store = openStore({ url: file, file });
  connections.set(store, file);
  try {
    await (options.upTo ? migrateUpTo(store, options.upTo) : migrate(store));
  } catch (err) {
    await store.close();
    throw err;
  }
  const close = store.close.bind(store);
  let closed: Promise<void> | null = null;
  store.close = () =>
    (closed ??= close().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      tmpDirs.delete(dir);
    }));
  return store;
}

/** Short-lived admin clients (pg-cluster.ts withPgClient). */
const withAdmin = withPgClient;

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function migrateDatabase(adminUrl: string, database: string): Promise<void> {
  const store = openStore({ url: databaseUrl(adminUrl, database), poolSize: 1 });
  try {
    await migrate(store);
  } finally {
    await store.close();
  }
}

async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    try {
      // FORCE (PostgreSQL 13+) ends connections a test leaked instead of failing the drop.
      await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42601') throw err; // syntax error: server < 13
      await client.query(`DROP DATABASE IF EXISTS "${database}"`);
    }
  });
}

interface PgSetup {
  /** Already-migrated database to clone, or null to migrate every new database. */
  template: string | null;
  /** Extra CREATE DATABASE options. */
  createOptions: string;
}

let pgSetup: Promise<PgSetup> | null = null;

/**
 * Cloning a migrated template is several times faster than migrating every test database. test/run.ts
 * names the template per run (ADVOCATE_TEST_PG_TEMPLATE), so it can never be stale after someone edits
 * a migration; the first test process to need it builds it, under a lock because a user may raise
 * --test-concurrency. Without that variable (tests started by hand) every database is migrated.
 */
function setupPostgres(adminUrl: string): Promise<PgSetup> {
  pgSetup ??= withAdmin(adminUrl, async (client) => {
    const version = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
    // FILE_COPY (15+) skips WAL-logging every page of the copy, but it checkpoints, which is only
    // cheap on the fsync=off cluster of test/run.ts; on a shared server keep the default.
    const createOptions = version >= 150000 && process.env.ADVOCATE_TEST_PG_THROWAWAY === '1' ? ' STRATEGY FILE_COPY' : '';
    const template = process.env.ADVOCATE_TEST_PG_TEMPLATE;
    if (!template || !/^[a-z0-9_]+$/.test(template)) return { template: null, createOptions };

    await client.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount === 0) {
        await client.query(`CREATE DATABASE "${template}"${createOptions}`);
        try {
          await migrateDatabase(adminUrl, template);
        } catch (err) {
          // A half-migrated template must not be cloned by the next test file.
          await client.query(`DROP DATABASE IF EXISTS "${template}"`);
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [template]);
    }
    return { template, createOptions };
  });
  return pgSetup;
}

async function openPostgres(adminUrl: string, options: OpenTestOptions = {}): Promise<Store> {
  const setup = await setupPostgres(adminUrl);
  const { createOptions } = setup;
  // The template is at the latest migration: an older schema starts from an empty database.
  const template = options.upTo ? null : setup.template;
  // Lower-case hex needs no quoting, but quote anyway so the name is never parsed as SQL.
  const database = `t_${randomBytes(8).toString('hex')}`;
  await withAdmin(adminUrl, (client) =>
    client.query(`CREATE DATABASE "${database}"${template ? ` TEMPLATE "${template}"` : ''}${createOptions}`),
  );
  const drop = () => dropDatabase(adminUrl, database);

  const store = openStore({ url: databaseUrl(adminUrl, database), poolSize: 5 });
  connections.set(store, databaseUrl(adminUrl, database));
  try {
    // A clone of this run's template is already at the latest migration; re-checking costs ~30 ms a test.
    if (options.upTo) await migrateUpTo(store, options.upTo);
    else if (!template) await migrate(store);
  } catch (err) {
    await store.close().catch(() => {});
    await drop();
    throw err;
  }
  const close = store.close.bind(store);
  let closed: Promise<void> | null = null;
  store.close = () =>
    (closed ??= (async () => {
      try {
        await close();
      } finally {
        await drop();
      }
    })());
  return store;
}

/** Both backends, in a fixed order; PostgreSQL carries `skip` when there is no server to use. */
export function backends(): TestBackend[] {
  const pgUrl = process.env.ADVOCATE_TEST_PG_URL;
  const list: TestBackend[] = [{ name: 'sqlite', open: openSqlite }];
  if (pgUrl) {
    list.push({ name: 'postgres', open: (options) => openPostgres(pgUrl, options) });
  } else if (process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0') {
    // In CI a skipped PostgreSQL test looks green but tests nothing, so fail instead.
    list.push({
      name: 'postgres',
      open: () =>
        Promise.reject(new Error('ADVOCATE_TEST_PG_URL is not set; in CI the PostgreSQL tests must run (use `npm test`)')),
    });
  } else {
    list.push({
      name: 'postgres',
      skip: PG_SKIP_REASON,
      open: () => Promise.reject(new Error(PG_SKIP_REASON)),
    });
  }
  return list;
}

/**
 * Registers `title` as a suite with one test per backend; each test gets a freshly migrated,
 * empty store that is closed (and its database removed) afterwards, whether the test passed or not.
 */
export function forEachBackend(title: string, fn: (store: Store, backend: Backend) => Promise<void>): void {
  describe(title, () => {
    for (const backend of backends()) {
      it(backend.name, { skip: backend.skip ?? false }, async () => {
        const store = await backend.open();
        try {
          await fn(store, backend.name);
        } finally {
          await store.close();
        }
      });
    }
  });
}
