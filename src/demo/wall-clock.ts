// The demo is simulated on the shop's wall clock: local date and time written as if they were UTC,
// every day 24 hours long. Each time is turned into the instant it names in the shop's time zone
// only when a message is written. So every message falls on the same local day and hour whatever
// the date the demo is made on, daylight-saving changes included, and a figure over local days
// (the dashboard's "last 90 days" in the workspace's zone) is the same number on every start date.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Offsets are sampled this often and changes located to the minute: zones change at most twice a year. */
const STEP = 6 * HOUR;

export class WallClock {
  private readonly format: Intl.DateTimeFormat | null;
  /** Instants at which the offset changes, with the offset from then on, over the range built so far. */
  private changes: Array<{ at: number; offset: number }> = [];
  private from = Infinity;
  private to = -Infinity;

  constructor(readonly zone: string) {
    this.format = zone === 'UTC' ? null : new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  }

  /** Local time minus UTC at an instant, in ms. */
  offsetAt(instant: number): number {
    if (!this.format) return 0;
    if (instant < this.from || instant >= this.to) return this.exactOffset(instant);
    let lo = 0;
    let hi = this.changes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.changes[mid].at <= instant) lo = mid;
      else hi = mid - 1;
    }
    return this.changes[lo].offset;
  }

  /** Prepares the offsets of [from, to) once, so that mapping many times costs no formatting. */
  cover(from: number, to: number): this {
    if (!this.format) return this;
    const start = Math.floor(from / STEP) * STEP;
    const changes = [{ at: -Infinity, offset: this.exactOffset(start) }];
    let previous = changes[0].offset;
    for (let t = start + STEP; t < to + STEP; t += STEP) {
      const offset = this.exactOffset(t);
      if (offset === previous) continue;
      changes.push({ at: changeBetween(t - STEP, t, (x) => this.exactOffset(x) === offset), offset });
      previous = offset;
    }
    this.changes = changes;
    this.from = start;
    this.to = to + STEP;
    return this;
  }

  toWall(instant: number): number {
    return instant + this.offsetAt(instant);
  }

  /**
   * The instant a wall time names. A time that happens twice (the hour repeated in autumn) is its
   * first occurrence; a time that never happens (the hour skipped in spring) is the moment the
   * clocks jump. So the mapping never goes backwards: messages stay in the order they were simulated.
   */
  toInstant(wall: number): number {
    if (!this.format) return wall;
    const early = this.offsetAt(wall - DAY);
    const late = this.offsetAt(wall + DAY);
    const candidates = [wall - early, wall - late].sort((a, b) => a - b);
    for (const t of candidates) if (this.toWall(t) === wall) return t;
    return changeBetween(candidates[0], candidates[1], (x) => this.offsetAt(x) === late);
  }

  /** The latest local midnight at or before an instant. */
  midnightBefore(instant: number): number {
    return this.toInstant(Math.floor(this.toWall(instant) / DAY) * DAY);
  }

  private exactOffset(instant: number): number {
    const t = Math.floor(instant / 1000) * 1000;
    const p: Record<string, number> = {};
    for (const part of this.format!.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - t;
  }
}

/** The first whole minute in (lo, hi] from which `after` holds (zones change on whole minutes). */
function changeBetween(lo: number, hi: number, after: (instant: number) => boolean): number {
  lo = Math.floor(lo / MINUTE) * MINUTE;
  hi = Math.ceil(hi / MINUTE) * MINUTE;
  while (hi - lo > MINUTE) {
    const mid = lo + Math.max(1, Math.floor((hi - lo) / MINUTE / 2)) * MINUTE;
    if (after(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
