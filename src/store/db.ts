import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Logger, type Transaction } from 'kysely';
import type { Schema } from './schema.ts';
import { migrationProvider } from './migrations.ts';
import { DIALECTS, dialectOf, type StoreDialect } from './dialect.ts';
import { ensurePlannerStats } from './planner-stats.ts';

export type Backend = 'sqlite' | 'postgres';
export type Db = Kysely<Schema>;
export type Tx = Transaction<Schema>;

export interface Store {
  db: Db;
  backend: Backend;
  /** What differs between the backends (dialect.ts). */
  dialect: StoreDialect;
  /** The SQLite connection itself, for the write path's prepared statements (SQLite only). */
  sqlite?: Database.Database;
  /** Where the data lives, for logs: a file path or a URL without its password. */
  location: string;
  close(): Promise<void>;
  /**
   * PostgreSQL: calls `onNotify` on every NOTIFY of `channel` from any process (on a connection of
   * its own, re-opened after a failure; `onNotify` is also called then, since notices may have been
   * missed). Returns the function that stops listening.
   */
  listen?(channel: string, onNotify: () => void): () => Promise<void>;
}

export interface OpenOptions {
  /** postgres://… selects PostgreSQL; anything else is a SQLite file path. */
  url?: string;
  file?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /** PostgreSQL: how long to wait for a connection (a new one, or a free one of the pool) before failing. */
  connectTimeoutMs?: number;
}

/**
 * Long enough for a TLS handshake to a distant server or a moment's queue for a free connection
 * under load; short enough that a request on an unreachable server ends in a 503 (http/errors.ts)
 * well before clients give up, instead of waiting on the operating system's TCP timeouts (minutes).
 * No statement or query timeout: a dead server breaks the socket at once, and the long statements
 * we run (migrations, imports, first loads) must not be cut off.
 */
const PG_CONNECT_TIMEOUT_MS = 10_000;

export const DEFAULT_SQLITE_FILE = './data/advocate.db';
/** How long a SQLite connection waits for the write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

// pg returns int8 as strings; our bigints are epoch milliseconds, well inside 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
pg.types.setTypeParser(701, (v) => Number(v));

export function openStore(options: OpenOptions = {}): Store {
  // An explicit file wins over DATABASE_URL, so tools and tests can open a file beside a configured server.
  const url = options.url ?? (options.file ? undefined : process.env.DATABASE_URL);
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, connectionTimeoutMillis: options.connectTimeoutMs ?? PG_CONNECT_TIMEOUT_MS });
    // A connection the server drops (restart, failover, admin) emits 'error' on its client, and an
    // 'error' with no listener ends the process. The pool listens only while a client is idle (and
    // then re-emits on the pool); a client that is checked out (a query or transaction under way)
    // had none. Its query fails on its own and the pool discards the client when it is released.
    pool.on('connect', (client) => {
      let told = false;
      client.on('error', (err) => {
        // A dropped connection reports twice (the server's message, then the socket's end): once is enough.
        if (!told) console.error(`advocate: a PostgreSQL connection failed: ${err.message}`);
        told = true;
      });
    });
    pool.on('error', () => {}); // the client's own listener above has said so
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }), log: slowQueryLog() });
    return {
      db,
      backend: 'postgres',
      dialect: DIALECTS.postgres,
      location: url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@'),
      close: () => db.destroy(),
      listen: (channel, onNotify) => listenOn(url, options.connectTimeoutMs ?? PG_CONNECT_TIMEOUT_MS, channel, onNotify),
    };
  }
  const file = options.file ?? (url && url !== '' ? url.replace(/^sqlite:(\/\/)?/, '') : DEFAULT_SQLITE_FILE);
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  // WAL lets readers run beside the single writer; synchronous=FULL makes every commit reach
  // the disk before we acknowledge it (group commit keeps that affordable, see ingest/writer.ts).
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  database.pragma('foreign_keys = ON');
  // Deleted and overwritten content is zeroed rather than left in free space, so an erased person
  // (or a projected inbox batch) leaves no bytes in the file; erase.ts empties the WAL after an erasure.
  database.pragma('secure_delete = ON');
  database.pragma('cache_size = -65536');
  // Checkpoint less often: pages rewritten by consecutive commits (busy profiles) are copied back once.
  database.pragma('wal_autocheckpoint = 16384');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(database) }), log: slowQueryLog() });
  return { db, backend: 'sqlite', dialect: DIALECTS.sqlite, sqlite: database, location: file, close: () => db.destroy() };
}

/**
 * ADVOCATE_SLOW_QUERY_MS=N prints every statement that took N ms or more, with its SQL: how to find
 * the query behind a slow page (a plan gone wrong) without a profiler.
 */
function slowQueryLog(): Logger | undefined {
  const ms = Number(process.env.ADVOCATE_SLOW_QUERY_MS);
  if (!(ms > 0)) return undefined;
  return (event) => {
    if (event.queryDurationMillis >= ms) console.error(`advocate: slow query (${Math.round(event.queryDurationMillis)} ms): ${event.query.sql.slice(0, 600)}`);
  };
}

/** A connection kept for LISTEN, re-opened (a second later) whenever it fails. */
function listenOn(url: string, connectTimeoutMs: number, channel: string, onNotify: () => void): () => Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let stopped = false;
  let client: pg.Client | null = null;
  let told = false;
  const open = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
    const lost = () => {
      if (client !== c) return;
      client = null;
      void c.end().catch(() => {});
      if (!stopped) setTimeout(() => void reconnect(), 1_000).unref();
    };
    c.on('notification', (n) => n.channel === channel && onNotify());
    c.on('error', lost);
    c.on('end', lost);
    try {
      await c.connect();
      await c.query(`listen ${channel}`);
    } catch (err) {
      void c.end().catch(() => {});
      throw err;
    }
    if (stopped) return void c.end().catch(() => {});
    client = c;
  };
  const reconnect = async (): Promise<void> => {
    while (!stopped) {
      try {
        await open();
        told = false;
        // Whatever was notified while the connection was down is read now.
        onNotify();
        return;
      } catch (err) {
        if (!told) console.error(`advocate: listening for ${channel} failed (${(err as Error).message}); retrying every second`);
        told = true;
        await new Promise((r) => setTimeout(r, 1_000).unref());
      }
    }
  };
  void reconnect();
  return async () => {
    stopped = true;
    const c = client;
    client = null;
    await c?.end().catch(() => {});
  };
}

const statementCaches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * One prepared statement per SQL text and connection. Kysely prepares every query anew, and on
 * SQLite preparing costs as much as running a short query (measured on the profile lookup: 770 ms
 * preparing vs 773 ms executing). better-sqlite3 statements can be re-run, and every user here
 * (Kysely, the bulk writes) runs each synchronously to completion, so one per text serves all.
 */
function statementFor(database: Database.Database, sqlText: string): Database.Statement {
  let cache = statementCaches.get(database);
  if (!cache) statementCaches.set(database, (cache = new Map()));
  let st = cache.get(sqlText);
  if (!st) {
    // Lists of varying length make new texts; start over rather than grow without bound.
    if (cache.size >= 2000) cache.clear();
    st = database.prepare(sqlText);
    cache.set(sqlText, st);
  }
  return st;
}

/** A cached prepared statement on a SQLite store's connection, for the hot paths that skip Kysely. */
export function prepared(store: Store, sqlText: string): Database.Statement {
  if (!store.sqlite) throw new Error('prepared statements are for SQLite stores');
  return statementFor(store.sqlite, sqlText);
}

function withStatementCache(database: Database.Database) {
  return { close: () => database.close(), prepare: (sqlText: string) => statementFor(database, sqlText) };
}

export async function migrate(store: Store): Promise<string[]> {
  const migrator = new Migrator({ db: store.db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  await ensurePlannerStats(store);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Serialises writers of one workspace across processes on PostgreSQL (identity resolution reads
 * then writes); SQLite already has a single writer.
 */
export async function lockWorkspace(store: Store, tx: Tx, workspaceId: string): Promise<void> {
  await store.dialect.lockKeys(tx, workspaceId);
}

/** Takes the write lock first, for a transaction that reads before it writes (dialect.ts lockForWrite). */
export async function lockForWrite(tx: Tx): Promise<void> {
  await dialectOf(tx).lockForWrite(tx);
}

/** A transaction that takes the write lock first (lockForWrite). */
export function writeTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await lockForWrite(tx);
    return fn(tx);
  });
}

/**
 * A transaction that reads what it writes next (the next version of a survey or of the themes):
 * SQLite's write lock from the start (another connection's commit between the read and the write
 * would refuse the write) and, on PostgreSQL, the lock on `key` every writer of that thing takes
 * (two at once would both write the same next version).
 */
export function writeTransactionOn<T>(db: Db, key: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return writeTransaction(db, async (tx) => {
    await dialectOf(tx).lockKeys(tx, key);
    return fn(tx);
  });
}

/**
 * A transaction for background work on a thread that also serves requests: on SQLite it fails at
 * once with SQLITE_BUSY when another connection (the writer thread) holds the write lock, instead of
 * blocking the whole thread in the busy wait; the caller tries again later.
 */
export async function transactionWithoutWaiting<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!store.sqlite) return store.db.transaction().execute(fn);
  return store.db.connection().execute(async (conn) => {
    await sql`pragma busy_timeout = 0`.execute(conn);
    try {
      return await conn.transaction().execute(fn);
    } finally {
      await sql.raw(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`).execute(conn);
    }
  });
}

/**
 * Runs `step` again while it fails on SQLite's write lock held elsewhere (dialect.isBusy), up to
 * `tries` times, waiting `pause(attempt)` ms after attempt 1, 2, … Other errors are thrown at once.
 */
export async function retryWhileBusy<T>(dialect: StoreDialect, tries: number, pause: (attempt: number) => number, step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!dialect.isBusy(err) || attempt >= tries) throw err;
      await new Promise((r) => setTimeout(r, pause(attempt)));
    }
  }
}

/** Runs `fn` in the transaction `db` is, or in a new one: store functions a consumer calls inside its own. */
export function inTransaction<T>(db: Db | Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Tx) : db.transaction().execute(fn);
}

/** JSON helpers: JSON is stored as text on both backends. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}
export function fromJson<T = unknown>(text: string | null | undefined, fallback: T): T {
  if (text == null || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** `workspace_id` for a WHERE clause that should not choose the workspace index (dialect.ts workspaceColumn). */
export function workspaceColumn(db: Db, table?: string) {
  return dialectOf(db).workspaceColumn(table);
}
