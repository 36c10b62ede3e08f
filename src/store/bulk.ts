import { CompiledQuery, type Insertable } from 'kysely';
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
  const head = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values `;
  const onConflict = conflictClause(conflict);
  if (store.sqlite) {
    const st = prepared(store, `${head}(${columns.map(() => '?').join(', ')})${onConflict}`);
    const values = new Array(columns.length);
    for (const row of rows) {
      const r = row as Record<string, unknown>;
      for (let i = 0; i < columns.length; i++) values[i] = r[columns[i]] ?? null;
      st.run(values);
    }
    return;
  }
  // Statement text built here rather than by the query builder: compiling a 1,000-row VALUES list
  // through Kysely cost the projector more than the server spent running it (PostgreSQL projection
  // 4.2k → 7.6k events/s in-thread). Values stay bound parameters, under the server's 65,535 per statement.
  const size = Math.max(1, Math.floor(30_000 / columns.length));
  for (let i = 0; i < rows.length; i += size) {
    const part = rows.slice(i, i + size);
    const params = new Array(part.length * columns.length);
    const tuples = new Array<string>(part.length);
    for (let r = 0; r < part.length; r++) {
      const row = part[r] as Record<string, unknown>;
      const marks = new Array<string>(columns.length);
      for (let c = 0; c < columns.length; c++) {
        const k = r * columns.length + c;
        params[k] = row[columns[c]] ?? null;
        marks[c] = `$${k + 1}`;
      }
      tuples[r] = `(${marks.join(', ')})`;
    }
    await tx.executeQuery(CompiledQuery.raw(head + tuples.join(', ') + onConflict, params));
  }
}

function conflictClause(conflict: Conflict | undefined): string {
  if (!conflict) return '';
  const target = ` on conflict (${conflict.columns.map(quote).join(', ')}) do `;
  return target + (conflict.update?.length ? `update set ${conflict.update.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}` : 'nothing');
}

/** Rows whose `column` is one of `values`, with the other equality conditions; prepared on SQLite, one statement on PostgreSQL. */
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
  // `= any(array)`: one parameter however many values, and no query builder to compile an IN list.
  const conditions = [...fixed.map(([c], i) => `${quote(c)} = $${i + 1}`), `${quote(inColumn)} = any($${fixed.length + 1}::text[])`];
  const text = `select ${columns.map(quote).join(', ')} from ${quote(table)} where ${conditions.join(' and ')}`;
  const result = await tx.executeQuery<Pick<Schema[T], C>>(CompiledQuery.raw(text, [...fixed.map(([, v]) => v), values]));
  return result.rows;
}
