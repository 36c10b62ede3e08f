import type { Insertable } from 'kysely';
import { prepared, type Store, type Tx } from './db.ts';
import type { Schema } from './schema.ts';

/** What to do when a row's key exists: nothing, or overwrite the listed columns. */
export interface Conflict {
  columns: string[];
  update?: string[];
}

// Bulk writes for the ingest path. PostgreSQL gets multi-row statements (one round trip per
// chunk); SQLite, in-process, is fastest with one cached prepared statement run per row, since
// parsing a fresh thousand-row statement costs more than running a prepared one a thousand times
// (statements come from the store's one cache, see db.ts).
const quote = (name: string) => `"${name}"`;

export async function insertRows<T extends keyof Schema & string>(
  store: Store,
  tx: Tx,
  table: T,
  rows: Insertable<Schema[T]>[],
  conflict?: Conflict,
): Promise<void> {
  if (!rows.length) return;
  const columns = Object.keys(rows[0] as object);
  if (store.sqlite) {
    let sql = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values (${columns.map(() => '?').join(', ')})`;
    if (conflict) {
      sql += ` on conflict (${conflict.columns.map(quote).join(', ')}) do `;
      sql += conflict.update?.length ? `update set ${conflict.update.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}` : 'nothing';
    }
    const st = prepared(store, sql);
    const values = new Array(columns.length);
    for (const row of rows) {
      const r = row as Record<string, unknown>;
      for (let i = 0; i < columns.length; i++) values[i] = r[columns[i]] ?? null;
      st.run(values);
    }
    return;
  }
  // Stay under PostgreSQL's 65,535 bound parameters per statement.
  const size = Math.max(1, Math.floor(30_000 / columns.length));
  for (let i = 0; i < rows.length; i += size) {
    let q: any = tx.insertInto(table).values(rows.slice(i, i + size) as any);
    if (conflict) {
      q = q.onConflict((oc: any) => {
        const target = oc.columns(conflict.columns);
        if (!conflict.update?.length) return target.doNothing();
        return target.doUpdateSet(Object.fromEntries(conflict.update.map((c) => [c, (eb: any) => eb.ref(`excluded.${c}`)])));
      });
    }
    await q.execute();
  }
}

/** Rows whose `column` is one of `values`, with the other equality conditions; chunked, prepared on SQLite. */
export async function selectWhereIn<T extends keyof Schema & string, C extends keyof Schema[T] & string>(
  store: Store,
  tx: Tx,
  table: T,
  columns: readonly C[],
  where: Partial<Record<keyof Schema[T] & string, string>>,
  inColumn: keyof Schema[T] & string,
  values: string[],
): Promise<Array<Pick<Schema[T], C>>> {
  if (!values.length) return [];
  const fixed = Object.entries(where) as Array<[string, string]>;
  const out: Array<Pick<Schema[T], C>> = [];
  if (store.sqlite) {
    const sql = `select ${columns.map(quote).join(', ')} from ${quote(table)} where ${[...fixed.map(([c]) => `${quote(c)} = ?`), `${quote(inColumn)} = ?`].join(' and ')}`;
    const st = prepared(store, sql);
    const params = [...fixed.map(([, v]) => v), ''];
    for (const v of values) {
      params[params.length - 1] = v;
      for (const row of st.all(params)) out.push(row as Pick<Schema[T], C>);
    }
    return out;
  }
  for (let i = 0; i < values.length; i += 1000) {
    let q: any = tx.selectFrom(table as any).select(columns as any);
    for (const [c, v] of fixed) q = q.where(c, '=', v);
    out.push(...(await q.where(inColumn, 'in', values.slice(i, i + 1000)).execute()));
  }
  return out;
}
