import { PostgresAdapter, sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { Backend, Db, Tx } from './db.ts';

/**
 * What differs between SQLite and PostgreSQL, in one object per backend with the same shape (as
 * Kysely's DialectAdapter): store files ask the dialect of the connection they hold instead of
 * testing which backend they are on. SQLite is one process with one writer at a time; PostgreSQL
 * may be shared by several API processes, so it locks, claims and notifies where SQLite need not.
 * (SQL that needs SQLite's own connection handle, prepared statements and WAL pragmas, stays with
 * its file: bulk.ts, erase.ts.)
 */
export interface StoreDialect {
  readonly name: Backend;
  /** For people: 'SQLite', 'PostgreSQL'. */
  readonly label: string;
  /** Other processes may write the same database (and work the same queues). */
  readonly sharedByProcesses: boolean;
  /**
   * Takes the write lock now, for a transaction that reads before it writes: otherwise, if another
   * connection commits in between, SQLite fails its first write at once (SQLITE_BUSY_SNAPSHOT).
   * PostgreSQL locks rows as it goes.
   */
  lockForWrite(tx: Tx): Promise<void>;
  /**
   * Serialises transactions naming the same keys until they commit, across processes (PostgreSQL
   * advisory locks: a string is hashed, a number used as it is). SQLite writers are serial already.
   */
  lockKeys(tx: Db | Tx, ...keys: Array<string | number>): Promise<void>;
  /** `for update skip locked`: rows another process holds are passed over, not waited for. Empty on SQLite. */
  readonly skipLocked: RawBuilder<unknown>;
  /** The same rule for a query builder: `q` claims the rows it selects, passing over rows another process holds. */
  claim<DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** Wakes the processes listening on `channel` when this transaction commits. */
  notify(tx: Db | Tx, channel: string): Promise<void>;
  /**
   * `workspace_id` for a WHERE clause that should not choose the workspace index: SQLite's planner
   * otherwise pages `workspace_id = ? and id > ? order by id` through the (workspace_id, time) index
   * and sorts, reading every row per page (20 s instead of 7 s to read a million answers). The unary
   * plus makes it walk the id index instead; PostgreSQL plans this well as it is.
   */
  workspaceColumn(table?: string): RawBuilder<string>;
  /** A transaction that failed this way met another connection's write and may simply run again. */
  isBusy(err: unknown): boolean;
}

const sqlite: StoreDialect = {
  name: 'sqlite',
  label: 'SQLite',
  sharedByProcesses: false,
  // A no-op DELETE is a write statement, like BEGIN IMMEDIATE.
  lockForWrite: async (tx) => {
    await sql`delete from inbox where 0`.execute(tx);
  },
  lockKeys: async () => {},
  skipLocked: sql``,
  claim: (q) => q,
  notify: async () => {},
  workspaceColumn: (table) => (table ? sql<string>`+${sql.ref(`${table}.workspace_id`)}` : sql<string>`+workspace_id`),
  isBusy: (err) => String((err as { code?: unknown })?.code ?? '').startsWith('SQLITE_BUSY'),
};

const postgres: StoreDialect = {
  name: 'postgres',
  label: 'PostgreSQL',
  sharedByProcesses: true,
  lockForWrite: async () => {},
  lockKeys: async (tx, ...keys) => {
    const parts = keys.map((k) => (typeof k === 'number' ? sql`${k}` : sql`hashtext(${k})`));
    await sql`select pg_advisory_xact_lock(${sql.join(parts)})`.execute(tx);
  },
  skipLocked: sql`for update skip locked`,
  claim: (q) => q.forUpdate().skipLocked(),
  notify: async (tx, channel) => {
    await sql`select pg_notify(${channel}, '')`.execute(tx);
  },
  workspaceColumn: (table) => sql<string>`${sql.ref(table ? `${table}.workspace_id` : 'workspace_id')}`,
  isBusy: () => false,
};

export const DIALECTS: Record<Backend, StoreDialect> = { sqlite, postgres };

/** The dialect of the database this connection or transaction talks to. */
export function dialectOf(db: Db | Tx): StoreDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? postgres : sqlite;
}
