import { parseIsoTime } from './time.ts';

/**
 * Days, weeks, months and hours as they are on the clocks of an IANA time zone. A day starts at
 * local midnight, so it is 23 or 25 hours long when the clocks change; weeks start on Monday.
 *
 * Days are numbered like UTC days (day 0 is 1 January 1970), so calendar arithmetic on day numbers
 * is plain integer arithmetic; only turning an instant into a day and back needs the zone's offset.
 * Offsets come from Intl, read once per zone and year and kept as the instants where they change:
 * after that an offset is a comparison (the last offset segment is remembered, and answers mostly
 * arrive in time order) or a binary search, never a Date formatted per row.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Offsets are read from Intl for these years; before and after them the nearest offset holds. */
const FIRST_YEAR = 1850;
const LAST_YEAR = 2300;
const FIRST_INSTANT = Date.UTC(FIRST_YEAR, 0, 1);
const END_INSTANT = Date.UTC(LAST_YEAR + 1, 0, 1);

export type Interval = 'day' | 'week' | 'month';

/** Offsets in force during one UTC year: offset[k] from at[k] until at[k + 1] (or the year's end). */
interface YearOffsets {
  at: Float64Array;
  offset: Float64Array;
  end: number;
}

export class Zone {
  readonly utc: boolean;
  private readonly format: Intl.DateTimeFormat | null;
  private readonly years = new Map<number, YearOffsets>();
  private segFrom = 0;
  private segTo = -1;
  private segOffset = 0;
  /** Offset per UTC day from day denseFrom, NaN where it changes during the day or is not read yet. */
  private dense = new Float64Array(0);
  private denseFrom = 0;

  /** Throws a RangeError for a zone Intl does not know. */
  constructor(readonly name: string) {
    this.utc = name === 'UTC';
    this.format = this.utc
      ? null
      : new Intl.DateTimeFormat('en-US', { timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  }

  /** Milliseconds to add to a UTC instant to get the local clock's reading. */
  offsetAt(t: number): number {
    if (this.utc) return 0;
    if (t >= this.segFrom && t < this.segTo) return this.segOffset;
    const k = Math.floor(t / DAY) - this.denseFrom;
    if (k >= 0 && k < this.dense.length) {
      const o = this.dense[k];
      if (o === o) return o;
    }
    return this.lookup(t);
  }

  /** The local day (days since 1 January 1970 on this zone's calendar) holding instant t. */
  dayOf(t: number): number {
    return Math.floor((t + this.offsetAt(t)) / DAY);
  }

  /** The instant the local day starts: local midnight, or when the day begins if clocks skip midnight. */
  dayStart(day: number): number {
    return this.instant(day * DAY);
  }

  /** The local clock's hour (0–23) at instant t. */
  hourOf(t: number): number {
    const local = (t + this.offsetAt(t)) % DAY;
    return Math.floor((local < 0 ? local + DAY : local) / HOUR);
  }

  /** 0 for Monday … 6 for Sunday, at instant t. */
  weekdayOf(t: number): number {
    return weekdayOfDay(this.dayOf(t));
  }

  /**
   * The instant a local clock reading (as ms of a UTC calendar: Date.UTC(y, m, d, h, …)) names.
   * A reading that happens twice (clocks going back) is the earlier; one that never happens
   * (clocks going forward) moves forward by the gap, as the clocks did: 02:30 → 03:30.
   */
  instant(local: number): number {
    if (this.utc) return local;
    // Changes are months apart, so at most one lies within a day of the reading.
    const before = this.offsetAt(local - DAY);
    const after = this.offsetAt(local + DAY);
    const early = local - before;
    const late = local - after;
    const earlyOk = this.offsetAt(early) === before;
    const lateOk = this.offsetAt(late) === after;
    if (earlyOk && lateOk) return Math.min(early, late);
    if (earlyOk) return early;
    if (lateOk) return late;
    return early;
  }

  /** Start of the day, week (Monday) or month holding instant t. */
  bucketStart(t: number, interval: Interval): number {
    return this.dayStart(bucketStartDay(this.dayOf(t), interval));
  }

  private lookup(t: number): number {
    if (!(t >= FIRST_INSTANT)) {
      const first = this.yearOffsets(FIRST_YEAR).offset[0];
      if (t < FIRST_INSTANT) this.remember(-Infinity, FIRST_INSTANT, first);
      return first;
    }
    if (t >= END_INSTANT) {
      const y = this.yearOffsets(LAST_YEAR);
      const last = y.offset[y.offset.length - 1];
      this.remember(END_INSTANT, Infinity, last);
      return last;
    }
    const y = this.yearOffsets(new Date(t).getUTCFullYear());
    let lo = 0;
    let hi = y.at.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (y.at[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    this.remember(y.at[lo], lo + 1 < y.at.length ? y.at[lo + 1] : y.end, y.offset[lo]);
    return y.offset[lo];
  }

  private remember(from: number, to: number, offset: number): void {
    this.segFrom = from;
    this.segTo = to;
    this.segOffset = offset;
  }

  /** The year's offsets, read from Intl a day apart and each change then found to the second. */
  private yearOffsets(year: number): YearOffsets {
    let y = this.years.get(year);
    if (y) return y;
    const start = Date.UTC(year, 0, 1);
    const end = Date.UTC(year + 1, 0, 1);
    const at = [start];
    const offset = [this.intlOffset(start)];
    for (let t = start + DAY; t <= end; t += DAY) {
      const o = this.intlOffset(t);
      const previous = offset[offset.length - 1];
      if (o === previous) continue;
      let lo = t - DAY;
      let hi = t;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (this.intlOffset(mid) === previous) lo = mid;
        else hi = mid;
      }
      // A change exactly at the year's end belongs to the next year.
      if (hi < end) {
        at.push(hi);
        offset.push(this.intlOffset(hi));
      }
    }
    y = { at: Float64Array.from(at), offset: Float64Array.from(offset), end };
    this.years.set(year, y);
    this.fillDense(start, y);
    return y;
  }

  /** Records the year's offsets per whole UTC day, for lookups in no particular time order. */
  private fillDense(start: number, y: YearOffsets): void {
    const first = start / DAY;
    const last = y.end / DAY;
    const from = this.dense.length ? Math.min(this.denseFrom, first) : first;
    const to = this.dense.length ? Math.max(this.denseFrom + this.dense.length, last) : last;
    if (from !== this.denseFrom || to - from !== this.dense.length) {
      const next = new Float64Array(to - from).fill(NaN);
      if (this.dense.length) next.set(this.dense, this.denseFrom - from);
      this.dense = next;
      this.denseFrom = from;
    }
    for (let k = 0; k < y.at.length; k++) {
      const segEnd = k + 1 < y.at.length ? y.at[k + 1] : y.end;
      for (let d = Math.ceil(y.at[k] / DAY); (d + 1) * DAY <= segEnd; d++) this.dense[d - this.denseFrom] = y.offset[k];
    }
  }

  private intlOffset(t: number): number {
    const seconds = Math.floor(t / 1000) * 1000;
    const p: Record<string, number> = {};
    for (const part of this.format!.formatToParts(seconds)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - seconds;
  }
}

/** 0 for Monday … 6 for Sunday; 1 January 1970 (day 0) was a Thursday. */
export function weekdayOfDay(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** The first day of the day, week (Monday) or month holding `day`. */
export function bucketStartDay(day: number, interval: Interval): number {
  if (interval === 'day') return day;
  if (interval === 'week') return day - weekdayOfDay(day);
  const d = new Date(day * DAY);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY;
}

/** The first day of the next day, week or month after the one starting at `day`. */
export function nextBucketDay(day: number, interval: Interval): number {
  if (interval === 'day') return day + 1;
  if (interval === 'week') return day + 7;
  const d = new Date(day * DAY);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY;
}

/** The last `days` whole days of the zone, today included: from the midnight `days - 1` days ago to the next midnight. */
export function lastDays(zone: Zone, days: number, now: number): { from: number; to: number } {
  const tomorrow = zone.dayOf(now) + 1;
  return { from: zone.dayStart(tomorrow - days), to: zone.dayStart(tomorrow) };
}

const zones = new Map<string, Zone>();

/** The zone by IANA name, kept for reuse (its offsets are read once); RangeError when unknown. */
export function zoneNamed(name: string): Zone {
  let z = zones.get(name);
  if (!z) {
    z = new Zone(name);
    zones.set(name, z);
  }
  return z;
}

export const UTC_ZONE = zoneNamed('UTC');

/** The zone by name; UTC for none, or for a name this Intl does not know (an old setting, or a browser's older tz data). */
export function zoneOrUtc(name: string | null | undefined): Zone {
  try {
    return name ? zoneNamed(name) : UTC_ZONE;
  } catch {
    return UTC_ZONE;
  }
}

const LOCAL = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?$/;

/**
 * Epoch ms of an ISO 8601 date or date-time, where one without an offset (2026-03-08, or
 * 2026-03-08T09:00) is a reading of the zone's clocks: a date alone is local midnight. With Z or
 * an offset it is that instant, as parseIsoTime reads it. Null when it is not a date.
 */
export function parseZonedTime(text: string, zone: Zone): number | null {
  const local = LOCAL.test(text.trim());
  const t = parseIsoTime(text);
  return t == null || !local ? t : zone.instant(t);
}
