import { npsDifference, npsSummary, type NpsCounts, type NpsDifference, type NpsSummary } from '../domain/nps.ts';
import { bucketStartDay, nextBucketDay, type Interval } from '../domain/zoned-time.ts';
import { ERASED, type AnswerColumns } from './columns.ts';
import { cubeOf } from './cube.ts';
import { cacheName, dimension, THEME, timeZoneOf, UnknownDimension, type DimensionColumn } from './dimensions.ts';
import { rowIndex, type RowIndex } from './row-index.ts';

/** Which answers a figure counts. `to` is exclusive. */
export interface AnswerFilter {
  from?: number;
  to?: number;
  /** dimension name → accepted labels (any of them) */
  where?: Record<string, string[]>;
  /** Accepted people, by profile code (see AnswerColumns.profiles); a segment. */
  people?: Uint8Array | null;
  /** Dimensions the caller resolved itself (traits, read from profiles), by name. */
  columns?: Record<string, DimensionColumn>;
}

const dimOf = (cols: AnswerColumns, filter: AnswerFilter, name: string): DimensionColumn => filter.columns?.[name] ?? dimension(cols, name);

interface Compiled {
  from: number;
  to: number;
  /** name: what the dimension's row index is kept under. */
  tests: Array<{ name: string; codes: Uint32Array; allowed: Uint8Array; fixed: boolean }>;
  people: Uint8Array | null;
  /** Theme bits a row must have one of (AnswerColumns.themeBits), or null. */
  themes: Uint32Array | null;
  /** Nothing can match (a filter value never seen). */
  empty: boolean;
}

function compile(cols: AnswerColumns, f: AnswerFilter): Compiled {
  const tests: Compiled['tests'] = [];
  let empty = false;
  let themes: Uint32Array | null = null;
  for (const [name, values] of Object.entries(f.where ?? {})) {
    if (!values.length) continue;
    if (name === THEME) {
      // Several themes per answer: a bit test per row rather than one code.
      themes = new Uint32Array(cols.themeWords);
      for (const id of values) {
        const code = cols.themeDict.find(id);
        if (code > 0) themes[(code - 1) >>> 5] |= 1 << ((code - 1) & 31);
      }
      if (!themes.some((w) => w !== 0)) empty = true;
      continue;
    }
    const dim = dimOf(cols, f, name);
    const allowed = new Uint8Array(dim.labels.length + 1);
    let any = false;
    dim.labels.forEach((label, code) => {
      if (label != null && values.includes(label)) {
        allowed[code] = 1;
        any = true;
      }
    });
    if (!any) empty = true;
    // A resolved column (a trait) or a comment's analysis can change for a row, so it cannot be indexed.
    tests.push({ name: cacheName(cols, name), codes: dim.codes, allowed, fixed: !dim.changes && !f.columns?.[name] });
  }
  return { from: f.from ?? -Infinity, to: f.to ?? Infinity, tests, people: f.people ?? null, themes, empty };
}

/**
 * Counts answers per key and category: counts[key * 3 + category], where a row's key is
 * keyColumn[row] + keyOffset (rows whose key falls outside 0..keys-1 are left out); without a key
 * column everything is key 0.
 *
 * When a filter keeps few rows (a segment, one channel) they are read through a RowIndex rather
 * than found by scanning; either way each row goes through the same checks in countRows.
 */
export function countBy(cols: AnswerColumns, filter: AnswerFilter, keys: number, keyColumn: Uint32Array | null = null, keyOffset = 0): Int32Array {
  const counts = new Int32Array(Math.max(1, keys) * 3);
  const c = compile(cols, filter);
  if (c.empty) return counts;
  const count = (rows: Int32Array | null, from: number, to: number) => countRows(cols, c, counts, keys, keyColumn, keyOffset, rows, from, to);
  const picked = gatherFewRows(cols, c);
  if (!picked) {
    count(null, 0, cols.n);
  } else {
    count(picked.rows, 0, picked.length);
    count(null, picked.tailFrom, cols.n);
  }
  return counts;
}

/**
 * One loop that V8 optimises for all calls: the key is a column, not a function (a function per
 * call site made it 4–8 times slower on a million rows). Rows are rows[from..to), or row
 * numbers from..to when rows is null.
 */
function countRows(cols: AnswerColumns, c: Compiled, counts: Int32Array, keys: number, keyColumn: Uint32Array | null, keyOffset: number, rows: Int32Array | null, from: number, to: number, out: RowList | null = null): void {
  const { tests, people, themes } = c;
  const { category, at, profile, themeBits, themeWords } = cols;
  const timed = c.from !== -Infinity || c.to !== Infinity;
  const nTests = tests.length;
  next: for (let j = from; j < to; j++) {
    const i = rows === null ? j : rows[j];
    const cat = category[i];
    if (cat === ERASED) continue;
    if (timed) {
      const t = at[i];
      if (t < c.from || t >= c.to) continue;
    }
    for (let k = 0; k < nTests; k++) if (tests[k].allowed[tests[k].codes[i]] === 0) continue next;
    if (people !== null && people[profile[i]] === 0) continue;
    if (themes !== null) {
      let hit = 0;
      for (let w = 0, base = i * themeWords; w < themeWords; w++) hit |= themeBits[base + w] & themes[w];
      if (hit === 0) continue;
    }
    if (out !== null) {
      out.push(i);
      continue;
    }
    let key = 0;
    if (keyColumn !== null) {
      key = keyColumn[i] + keyOffset;
      if (key < 0 || key >= keys) continue;
    }
    counts[key * 3 + cat]++;
  }
}

/** A growing list of row numbers. */
export class RowList {
  rows = new Int32Array(1024);
  length = 0;

  push(row: number): void {
    if (this.length === this.rows.length) {
      const bigger = new Int32Array(this.rows.length * 2);
      bigger.set(this.rows);
      this.rows = bigger;
    }
    this.rows[this.length++] = row;
  }
}

/** The rows a filter keeps (not erased), through the same checks as every count. */
export function matchingRows(cols: AnswerColumns, filter: AnswerFilter): RowList {
  const out = new RowList();
  const c = compile(cols, filter);
  if (c.empty) return out;
  const counts = new Int32Array(3);
  const picked = gatherFewRows(cols, c);
  if (!picked) {
    countRows(cols, c, counts, 1, null, 0, null, 0, cols.n, out);
  } else {
    countRows(cols, c, counts, 1, null, 0, picked.rows, 0, picked.length, out);
    countRows(cols, c, counts, 1, null, 0, null, picked.tailFrom, cols.n, out);
  }
  return out;
}

/** The rows a filter keeps as a mask, one byte per row (1 kept). */
export function rowMask(cols: AnswerColumns, filter: AnswerFilter): Uint8Array {
  const mask = new Uint8Array(cols.n);
  const { rows, length } = matchingRows(cols, filter);
  for (let j = 0; j < length; j++) mask[rows[j]] = 1;
  return mask;
}

/** Past this share of the rows, scanning them all is cheaper than reading them through an index. */
const INDEX_SHARE = 0.4;
const scratch = new WeakMap<AnswerColumns, Int32Array>();

/**
 * The rows that can pass the filter, ascending within runs so memory is read in order, and where
 * the rows not covered start (the caller scans those); null when the filter keeps too many rows
 * for an index to help. From the most selective value test's RowIndex, else the segment's rows.
 */
function gatherFewRows(cols: AnswerColumns, c: Compiled): { rows: Int32Array; length: number; tailFrom: number } | null {
  const limit = cols.n * INDEX_SHARE;
  let best: { index: RowIndex; allowed: Uint8Array; size: number } | null = null;
  for (const t of c.tests) {
    if (!t.fixed) continue;
    const index = rowIndex(cols, t.name, t.codes);
    let size = 0;
    for (let k = 0; k < t.allowed.length; k++) if (t.allowed[k]) size += index.size(k);
    if (size < limit && (!best || size < best.size)) best = { index, allowed: t.allowed, size };
  }
  if (!best) return c.people ? rowsOfPeople(cols, c.people) : null;
  const { index, allowed } = best;
  let buffer = scratch.get(cols);
  if (!buffer || buffer.length < index.rows.length) scratch.set(cols, (buffer = new Int32Array(Math.max(index.rows.length, 1024))));
  let length = 0;
  const { start, rows } = index;
  const keys = Math.min(index.keys, allowed.length);
  for (let k = 0; k < keys; k++) {
    if (allowed[k] === 0) continue;
    for (let j = start[k]; j < start[k + 1]; j++) buffer[length++] = rows[j];
  }
  return { rows: buffer, length, tailFrom: index.builtUpTo };
}

interface PeopleRows {
  rows: Int32Array | null;
  builtUpTo: number;
  moves: number;
}
const peopleRows = new WeakMap<Uint8Array, PeopleRows>();

/**
 * The rows of a segment's people, found by one scan and kept while the membership array is the
 * same and no answer changed hands (new rows are the caller's tail), so the next figure for the
 * same segment reads a tenth of the rows in order. Null rows: most rows are the segment's.
 */
function rowsOfPeople(cols: AnswerColumns, people: Uint8Array): { rows: Int32Array; length: number; tailFrom: number } | null {
  let kept = peopleRows.get(people);
  if (!kept || kept.moves !== cols.moves || cols.n - kept.builtUpTo > cols.n / 8) {
    const { profile, n } = cols;
    let length = 0;
    for (let i = 0; i < n; i++) length += people[profile[i]];
    let rows: Int32Array | null = null;
    if (length < n * INDEX_SHARE) {
      rows = new Int32Array(length);
      for (let i = 0, j = 0; i < n; i++) if (people[profile[i]] !== 0) rows[j++] = i;
    }
    peopleRows.set(people, (kept = { rows, builtUpTo: n, moves: cols.moves }));
  }
  return kept.rows ? { rows: kept.rows, length: kept.rows.length, tailFrom: kept.builtUpTo } : null;
}

/** Whether a filter is only about time, so the day cubes can answer it. */
function timeOnly(filter: AnswerFilter): boolean {
  // (A filter on theme or sentiment is a filter on something that changes: not time only.)
  return !filter.people && !Object.values(filter.where ?? {}).some((values) => values.length > 0);
}

/**
 * Counts per value of a dimension and category, counts[key * 3 + category], with the number of
 * keys: `by` null counts all answers as one key, "score" by score (11 keys). A filter on time only
 * is summed from that dimension's day cube; any other filter scans.
 */
export function countDim(cols: AnswerColumns, filter: AnswerFilter, by: string | null): { counts: Int32Array; keys: number } {
  const codes = by === null || by === 'score' ? null : () => dimOf(cols, filter, by).codes;
  // Read after the cube's sync or the scan's column, which extend a derived dimension's labels.
  const keyCount = () => (by === null ? 1 : by === 'score' ? 11 : dimOf(cols, filter, by).labels.length);
  // A resolved column (a trait) can change for an answer, which a cube cannot follow.
  if (timeOnly(filter) && !(by && (filter.columns?.[by] || (by !== 'score' && dimOf(cols, filter, by).changes)))) {
    const cube = cubeOf(cols, by ?? '', codes ?? (by === 'score' ? 'score' : 'none'));
    if (cube) {
      const keys = keyCount();
      return { counts: cube.sum(filter.from ?? -Infinity, filter.to ?? Infinity, keys), keys };
    }
  }
  const column = by === null ? null : by === 'score' ? cols.score : codes!();
  const keys = keyCount();
  return { counts: countBy(cols, filter, keys, column), keys };
}

/**
 * The period just before [from, to) and as long: as many local days when both ends are the
 * zone's midnights (a week that holds a 23-hour day is compared with the seven days before it),
 * else the same length of time.
 */
export function previousPeriod(cols: AnswerColumns, from: number, to: number): { from: number; to: number } {
  const zone = timeZoneOf(cols);
  const [fromDay, toDay] = [zone.dayOf(from), zone.dayOf(to)];
  if (zone.dayStart(fromDay) === from && zone.dayStart(toDay) === to) return { from: zone.dayStart(2 * fromDay - toDay), to: from };
  return { from: from - (to - from), to: from };
}

export const countsAt = (counts: Int32Array, key: number): NpsCounts => ({ promoters: counts[key * 3], passives: counts[key * 3 + 1], detractors: counts[key * 3 + 2] });

const minus = (a: NpsCounts, b: NpsCounts): NpsCounts => ({ promoters: a.promoters - b.promoters, passives: a.passives - b.passives, detractors: a.detractors - b.detractors });

export function overview(cols: AnswerColumns, filter: AnswerFilter): NpsSummary {
  return npsSummary(countsAt(countDim(cols, filter, null).counts, 0));
}

export interface BreakdownRow extends NpsSummary {
  value: string | null;
  /** This group against all other answers in the filter. */
  vsRest: NpsDifference;
  /** 'higher' or 'lower' when the difference from the rest is significant (p < 0.05). */
  mark: 'higher' | 'lower' | null;
}

export interface Breakdown {
  by: string;
  total: NpsSummary;
  rows: BreakdownRow[];
}

export function breakdown(cols: AnswerColumns, filter: AnswerFilter, by: string): Breakdown {
  if (by === 'day' || by === 'score') throw new UnknownDimension(`"${by}" is not a dimension to break down by`);
  const { counts, total } = by === THEME ? countByTheme(cols, filter) : countWithTotal(cols, filter, by);
  const dim = dimOf(cols, filter, by);
  const rows: BreakdownRow[] = [];
  dim.labels.forEach((label, k) => {
    const group = countsAt(counts, k);
    if (group.promoters + group.passives + group.detractors === 0) return;
    const vsRest = npsDifference(group, minus(total, group));
    rows.push({ value: label, ...npsSummary(group), vsRest, mark: vsRest.significant ? (vsRest.diff! > 0 ? 'higher' : 'lower') : null });
  });
  if (!dim.ordered) rows.sort((a, b) => b.n - a.n || String(a.value).localeCompare(String(b.value)));
  return { by, total: npsSummary(total), rows };
}


/** Counts per value (counts[code * 3 + category]) and their sum: every answer has one value. */
function countWithTotal(cols: AnswerColumns, filter: AnswerFilter, by: string): { counts: Int32Array; total: NpsCounts } {
  const { counts, keys } = countDim(cols, filter, by);
  const total: NpsCounts = { promoters: 0, passives: 0, detractors: 0 };
  for (let k = 0; k < keys; k++) {
    total.promoters += counts[k * 3];
    total.passives += counts[k * 3 + 1];
    total.detractors += counts[k * 3 + 2];
  }
  return { counts, total };
}

/**
 * Counts per theme (code as in themeDict, counts[code * 3 + category]) with an answer counted once
 * per theme its comment mentions, and the total counting each answer once: the groups overlap, and
 * a theme's "rest" is the answers not mentioning it.
 */
export function countByTheme(cols: AnswerColumns, filter: AnswerFilter): { counts: Int32Array; total: NpsCounts } {
  const { rows, length } = matchingRows(cols, filter);
  const counts = new Int32Array(cols.themeDict.size * 3);
  const all = new Int32Array(3);
  const { category, themeBits, themeWords } = cols;
  for (let j = 0; j < length; j++) {
    const i = rows[j];
    const cat = category[i];
    all[cat]++;
    for (let w = 0, base = i * themeWords; w < themeWords; w++) {
      let word = themeBits[base + w];
      while (word !== 0) {
        const low = word & -word;
        word ^= low;
        counts[(w * 32 + (31 - Math.clz32(low)) + 1) * 3 + cat]++;
      }
    }
  }
  return { counts, total: countsAt(all, 0) };
}

export interface TrendPoint extends NpsSummary {
  start: string;
  end: string;
  /** Change from the previous point, with its significance. */
  change: NpsDifference | null;
}

/**
 * NPS per day, week or month of the columns' time zone (each bucket from local midnight, so a
 * day is 23 or 25 hours when the clocks change); with `rollingDays`, each point counts the answers
 * of the window of that many local days ending with the point (a smoother line with honest,
 * narrower intervals).
 */
export function trend(cols: AnswerColumns, filter: AnswerFilter, interval: Interval, range: { from: number; to: number }, rollingDays?: number): TrendPoint[] {
  const zone = timeZoneOf(cols);
  // Buckets as local day numbers; instants only at their edges.
  const starts: number[] = [];
  for (let d = bucketStartDay(zone.dayOf(range.from), interval); zone.dayStart(d) < range.to; d = nextBucketDay(d, interval)) starts.push(d);
  if (!starts.length) return [];
  const firstDay = rollingDays ? Math.min(starts[0], nextBucketDay(starts[0], interval) - rollingDays) : starts[0];
  const lastEnd = nextBucketDay(starts[starts.length - 1], interval);
  const days = lastEnd - firstDay;
  // Count per day once; buckets and rolling windows are sums of days.
  const spanFrom = zone.dayStart(firstDay);
  const spanTo = zone.dayStart(lastEnd);
  const dayFilter = { ...filter, from: Math.max(filter.from ?? -Infinity, spanFrom), to: Math.min(filter.to ?? Infinity, spanTo) };
  const cube = timeOnly(filter) && dayFilter.from === spanFrom && dayFilter.to === spanTo ? cubeOf(cols, '', 'none') : null;
  const daily = cube ? cube.daily(firstDay, days) : countBy(cols, dayFilter, days, dimension(cols, 'day').codes, -firstDay);
  const prefix = new Float64Array((days + 1) * 3);
  for (let d = 0; d < days; d++) for (let c = 0; c < 3; c++) prefix[(d + 1) * 3 + c] = prefix[d * 3 + c] + daily[d * 3 + c];
  const sum = (fromDay: number, toDay: number): NpsCounts => {
    const a = Math.max(0, Math.min(days, fromDay - firstDay));
    const b = Math.max(0, Math.min(days, toDay - firstDay));
    return { promoters: prefix[b * 3] - prefix[a * 3], passives: prefix[b * 3 + 1] - prefix[a * 3 + 1], detractors: prefix[b * 3 + 2] - prefix[a * 3 + 2] };
  };
  const points: TrendPoint[] = [];
  let previous: NpsCounts | null = null;
  for (const s of starts) {
    const end = nextBucketDay(s, interval);
    const first = rollingDays ? end - rollingDays : s;
    const counts = sum(first, end);
    const summary = npsSummary(counts);
    points.push({
      start: new Date(zone.dayStart(first)).toISOString(), end: new Date(zone.dayStart(end)).toISOString(), ...summary,
      // Rolling windows overlap, so consecutive points are not independent samples.
      change: previous && !rollingDays ? npsDifference(counts, previous) : null,
    });
    previous = counts;
  }
  return points;
}
