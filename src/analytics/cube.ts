import type { Zone } from '../domain/zoned-time.ts';
import { AnswerColumns, CATEGORY_OF_STATE, ERASED, ERASED_STATE } from './columns.ts';
import { timeZoneOf } from './dimensions.ts';

/**
 * Answer counts per local day of the workspace's time zone, per value of one dimension, per
 * category, kept up to date as answers arrive, change and are erased (by replaying
 * AnswerColumns.journal). A figure with no filter but time is then a sum over a few thousand cells
 * instead of a scan of every answer; partial days at the edges of a range are counted from the
 * rows of those days (RowsByDay).
 *
 * A dimension's codes must not change for a row once given (what an answer was asked in and when
 * is fixed); the score, which does change, is its own kind of cube (key = state). A cube counts
 * the days of one zone: a workspace that changes its zone gets new cubes (cubeOf).
 */
/** Beyond this many cells (days × values × 3) a dimension is counted by scanning instead. */
const MAX_CELLS = 4_000_000;

export type KeyOf = 'score' | 'none' | (() => Uint32Array);

export class DayCube {
  private counts = new Int32Array(0);
  private day0 = 0;
  private days = 0;
  private keys = 0;
  private upTo = 0;
  private journalAt = 0;
  private epoch = -1;
  /** False when the dimension has too many values or too long a time span to keep. */
  usable = true;

  constructor(
    private readonly cols: AnswerColumns,
    private readonly keyOf: KeyOf,
    private readonly zone: Zone,
  ) {}

  /** Brings the counts up to the columns' rows and changes; false when this dimension cannot be kept. */
  sync(): boolean {
    if (!this.usable) return false;
    const cols = this.cols;
    if (this.epoch !== cols.journalEpoch) {
      this.counts = new Int32Array(0);
      this.days = this.keys = this.upTo = this.journalAt = 0;
      this.epoch = cols.journalEpoch;
    }
    const codes = typeof this.keyOf === 'function' ? this.keyOf() : null;
    const byScore = this.keyOf === 'score';
    const { at, journal } = cols;
    const zone = this.zone;
    const key = (row: number, state: number) => (byScore ? state : codes ? codes[row] : 0);
    for (let j = this.journalAt; j < cols.journalLength; j += 3) {
      const row = journal[j];
      if (row >= this.upTo) continue; // counted with its current state when its turn comes
      const day = zone.dayOf(at[row]);
      const before = journal[j + 1];
      const after = journal[j + 2];
      if (before !== ERASED_STATE) this.counts[this.cell(day, key(row, before)) + CATEGORY_OF_STATE[before]]--;
      if (after !== ERASED_STATE) {
        if (!this.fit(day, key(row, after))) return false;
        this.counts[this.cell(day, key(row, after)) + CATEGORY_OF_STATE[after]]++;
      }
    }
    this.journalAt = cols.journalLength;
    const { category } = cols;
    for (let i = this.upTo; i < cols.n; i++) {
      const cat = category[i];
      if (cat === ERASED) continue;
      const day = zone.dayOf(at[i]);
      const k = byScore ? cols.score[i] : codes ? codes[i] : 0;
      if (!this.fit(day, k)) return false;
      this.counts[this.cell(day, k) + cat]++;
    }
    this.upTo = cols.n;
    return true;
  }

  private cell(day: number, key: number): number {
    return ((day - this.day0) * this.keys + key) * 3;
  }

  /** Grows the array to hold (day, key); false (and unusable from now on) when that is too big. */
  private fit(day: number, key: number): boolean {
    if (this.days && day >= this.day0 && day < this.day0 + this.days && key < this.keys) return true;
    // Room to grow (a month of days, twice the values), so new days and values rarely copy everything.
    let day0 = this.days ? this.day0 : day;
    let end = this.days ? this.day0 + this.days : day + 1;
    if (day < day0) day0 = day - 30;
    if (day >= end) end = day + 31;
    const keys = key < this.keys ? this.keys : Math.max(key + 1, this.keys * 2, 4);
    if ((end - day0) * keys * 3 > MAX_CELLS) {
      this.usable = false;
      this.counts = new Int32Array(0);
      return false;
    }
    const next = new Int32Array((end - day0) * keys * 3);
    for (let d = 0; d < this.days; d++) {
      const from = d * this.keys * 3;
      next.set(this.counts.subarray(from, from + this.keys * 3), (this.day0 + d - day0) * keys * 3);
    }
    this.counts = next;
    this.day0 = day0;
    this.days = end - day0;
    this.keys = keys;
    return true;
  }

  /**
   * Counts per key and category, counts[key * 3 + category], of the answers with from ≤ time < to,
   * for `keys` keys. Whole days come from the cube, the rest of a partial day from its rows.
   */
  sum(from: number, to: number, keys: number): Int32Array {
    const out = new Int32Array(Math.max(1, keys) * 3);
    if (!this.days || from >= to) return out;
    const zone = this.zone;
    const fromDay = from === -Infinity ? this.day0 : zone.dayOf(from);
    const toDay = to === Infinity ? this.day0 + this.days : zone.dayOf(to);
    const fromMidnight = from === -Infinity || zone.dayStart(fromDay) === from;
    const toMidnight = to === Infinity || zone.dayStart(toDay) === to;
    const firstWhole = fromMidnight ? fromDay : fromDay + 1;
    const endWhole = toDay;
    const width = Math.min(keys, this.keys) * 3;
    for (let d = Math.max(firstWhole, this.day0); d < Math.min(endWhole, this.day0 + this.days); d++) {
      const base = (d - this.day0) * this.keys * 3;
      for (let c = 0; c < width; c++) out[c] += this.counts[base + c];
    }
    // Partial days: the one holding `from` (when from is not midnight) and the one holding `to`.
    const partial = new Set<number>();
    if (firstWhole > endWhole) partial.add(fromDay);
    else {
      if (!fromMidnight) partial.add(fromDay);
      if (!toMidnight) partial.add(toDay);
    }
    if (partial.size) {
      const codes = typeof this.keyOf === 'function' ? this.keyOf() : null;
      const byScore = this.keyOf === 'score';
      const { at, category } = this.cols;
      const index = rowsByDay(this.cols, zone);
      for (const day of partial) {
        const rows = index.rows(day);
        for (let r = 0; r < rows.length; r++) {
          const i = rows[r];
          const cat = category[i];
          const t = at[i];
          if (cat === ERASED || t < from || t >= to) continue;
          const k = byScore ? this.cols.score[i] : codes ? codes[i] : 0;
          if (k < keys) out[k * 3 + cat]++;
        }
      }
    }
    return out;
  }

  /** Counts per day and category (all keys together) for `days` days from `firstDay`: out[d * 3 + category]. */
  daily(firstDay: number, days: number): Int32Array {
    const out = new Int32Array(days * 3);
    for (let d = Math.max(firstDay, this.day0); d < Math.min(firstDay + days, this.day0 + this.days); d++) {
      const base = (d - this.day0) * this.keys * 3;
      for (let k = 0; k < this.keys; k++) {
        for (let c = 0; c < 3; c++) out[(d - firstDay) * 3 + c] += this.counts[base + k * 3 + c];
      }
    }
    return out;
  }
}

/** Row numbers by local day, for the partial days at the edges of a range. Times never change, so it only grows. */
class RowsByDay {
  private readonly lists = new Map<number, { rows: Int32Array; n: number }>();
  private upTo = 0;

  constructor(
    private readonly cols: AnswerColumns,
    readonly zone: Zone,
  ) {}

  rows(day: number): Int32Array {
    const { at } = this.cols;
    const zone = this.zone;
    for (let i = this.upTo; i < this.cols.n; i++) {
      const d = zone.dayOf(at[i]);
      let list = this.lists.get(d);
      if (!list) this.lists.set(d, (list = { rows: new Int32Array(64), n: 0 }));
      if (list.n === list.rows.length) {
        const bigger = new Int32Array(list.rows.length * 2);
        bigger.set(list.rows);
        list.rows = bigger;
      }
      list.rows[list.n++] = i;
    }
    this.upTo = this.cols.n;
    const list = this.lists.get(day);
    return list ? list.rows.subarray(0, list.n) : new Int32Array(0);
  }
}

const indexes = new WeakMap<AnswerColumns, RowsByDay>();
function rowsByDay(cols: AnswerColumns, zone: Zone): RowsByDay {
  let index = indexes.get(cols);
  if (!index || index.zone !== zone) indexes.set(cols, (index = new RowsByDay(cols, zone)));
  return index;
}

const cubes = new WeakMap<AnswerColumns, { zone: Zone; byName: Map<string, DayCube> }>();

/**
 * The cube of a dimension ("" for all answers together, "score" by score) in the columns' time
 * zone, synced; null when it cannot be kept. When the zone changed, every cube starts again.
 */
export function cubeOf(cols: AnswerColumns, name: string, keyOf: KeyOf): DayCube | null {
  const zone = timeZoneOf(cols);
  let held = cubes.get(cols);
  if (!held || held.zone !== zone) cubes.set(cols, (held = { zone, byName: new Map() }));
  let cube = held.byName.get(name);
  if (!cube) held.byName.set(name, (cube = new DayCube(cols, keyOf, zone)));
  return cube.sync() ? cube : null;
}
