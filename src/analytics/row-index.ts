import type { AnswerColumns } from './columns.ts';

/**
 * Row numbers grouped by a dimension's value, so a figure filtered to one channel reads those rows
 * instead of all of them: a scan with a filter that passes rows at random costs a branch
 * misprediction on most rows. Only for dimensions whose value never changes for a row.
 *
 * Built by a counting sort of the rows held (stable, so each value's rows are in order). Rows
 * added after that are the tail, which readers scan; rebuilt when the tail outgrows an eighth.
 */
export class RowIndex {
  /** Rows of key k are rows[start[k]] … rows[start[k + 1] - 1]. */
  start = new Int32Array(1);
  rows = new Int32Array(0);
  /** Rows from here on are not in the index. */
  builtUpTo = 0;

  constructor(private readonly cols: AnswerColumns) {}

  /** `column` is the key column as it is now (columns are reallocated as they grow). */
  sync(column: Int32Array | Uint32Array): this {
    const { cols } = this;
    if (cols.n - this.builtUpTo > cols.n / 8) this.build(column);
    return this;
  }

  /** How many indexed rows have key k. */
  size(k: number): number {
    return k + 1 < this.start.length ? this.start[k + 1] - this.start[k] : 0;
  }

  get keys(): number {
    return this.start.length - 1;
  }

  private build(keyOf: Int32Array | Uint32Array): void {
    const n = this.cols.n;
    let keys = 0;
    for (let i = 0; i < n; i++) if (keyOf[i] >= keys) keys = keyOf[i] + 1;
    const start = new Int32Array(keys + 1);
    for (let i = 0; i < n; i++) start[keyOf[i] + 1]++;
    for (let k = 0; k < keys; k++) start[k + 1] += start[k];
    const next = start.slice(0, keys);
    const rows = new Int32Array(n);
    for (let i = 0; i < n; i++) rows[next[keyOf[i]]++] = i;
    this.start = start;
    this.rows = rows;
    this.builtUpTo = n;
  }
}

const indexes = new WeakMap<AnswerColumns, Map<string, RowIndex>>();

/** The index of rows by a dimension's codes, synced. */
export function rowIndex(cols: AnswerColumns, name: string, column: Int32Array | Uint32Array): RowIndex {
  let map = indexes.get(cols);
  if (!map) indexes.set(cols, (map = new Map()));
  let index = map.get(name);
  if (!index) map.set(name, (index = new RowIndex(cols)));
  return index.sync(column);
}
