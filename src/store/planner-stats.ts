import { sql } from 'kysely';
import type { Store } from './db.ts';

/**
 * Statistics for SQLite's query planner, written once per table, so that its choice of index does
 * not depend on luck. Without sqlite_stat1 it takes every equality on an indexed column to be
 * equally selective, and for `workspace_id = ? and profile_id = ?` it may walk the workspace's
 * (workspace_id, component) index rather than the profile's: 170 ms instead of 0.2 ms for one
 * profile's identities among 100,000. The figures describe the shape of our data (a workspace
 * holds very many rows, a kind or status a large part of them, anything else few) rather than its
 * size; a real ANALYZE replaces them, and tables that have statistics already are left alone.
 */
const ROWS = 1_000_000;
const PER_WORKSPACE = 100_000;
// Columns with a handful of values: an equality on one keeps a large share of the rows.
const FEW_VALUES = new Set(['kind', 'status', 'type', 'role', 'sentiment', 'theme_id', 'name', 'channel', 'risk']);
const PER_OTHER = 10;

export async function ensurePlannerStats(store: Store): Promise<void> {
  if (store.dialect.name !== 'sqlite') return;
  const db = store.db;
  // sqlite_stat1 cannot be created by hand; analysing any table creates it (Kysely's one-row lock table: instant).
  const exists = (await sql`select 1 from sqlite_master where name = 'sqlite_stat1'`.execute(db)).rows.length > 0;
  if (!exists) await sql`analyze kysely_migration_lock`.execute(db);
  const have = new Set((await sql<{ tbl: string }>`select distinct tbl from sqlite_stat1`.execute(db)).rows.map((r) => r.tbl));
  const tables = (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(db)).rows;
  const rows: Array<{ tbl: string; idx: string | null; stat: string }> = [];
  for (const { name: table } of tables) {
    if (have.has(table)) continue;
    rows.push({ tbl: table, idx: null, stat: String(ROWS) });
    const indexes = (await sql<{ name: string; unique: number }>`select name, "unique" from pragma_index_list(${table})`.execute(db)).rows;
    for (const index of indexes) {
      const columns = (await sql<{ name: string | null }>`select name from pragma_index_info(${index.name}) order by seqno`.execute(db)).rows.map((c) => c.name ?? '');
      rows.push({ tbl: table, idx: index.name, stat: indexStat(columns, !!index.unique) });
    }
  }
  if (!rows.length) return;
  await db.transaction().execute(async (tx) => {
    for (const r of rows) await sql`insert into sqlite_stat1(tbl, idx, stat) values (${r.tbl}, ${r.idx}, ${r.stat})`.execute(tx);
  });
  // Makes this connection read them now; others read them when they open.
  await sql`analyze sqlite_schema`.execute(db);
}

/** "rows, then rows per distinct prefix of 1, 2, … columns" (sqlite_stat1's format). */
export function indexStat(columns: string[], unique: boolean): string {
  const parts = [ROWS];
  let rows = ROWS;
  columns.forEach((column, i) => {
    if (unique && i === columns.length - 1) rows = 1;
    else if (column === 'workspace_id') rows = Math.min(rows, PER_WORKSPACE);
    else if (FEW_VALUES.has(column)) rows = Math.max(1, Math.floor(rows / 5));
    else rows = rows > PER_OTHER ? PER_OTHER : 1;
    parts.push(rows);
  });
  return parts.join(' ');
}
