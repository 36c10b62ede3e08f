import { zoneOrUtc } from '../../../src/domain/zoned-time.ts';
import { fmtDate, fmtDateTime, fmtInt, formatPreferences, type FormatPreferences } from '../format.ts';
import type { FigureWindow } from '../types.ts';

/**
 * The time a figure covers in words, from the window the server says it used: "last 90 days",
 * "Jun 1, 2026 to Aug 29, 2026", "all answers up to Sep 6, 2026". Whole days are the workspace's.
 */
export function windowWords(w: FigureWindow, now = Date.now(), p: FormatPreferences = formatPreferences()): string {
  const zone = zoneOrUtc(p.timeZone);
  const to = Date.parse(w.to);
  const from = w.from == null ? null : Date.parse(w.from);
  if (from == null) return `all answers up to ${fmtDate(to - 1, p)}`;
  const midnight = (t: number) => zone.dayStart(zone.dayOf(t)) === t;
  // No answer lies ahead of now: a window reaching past it ends today, as far as anyone can count.
  if (to > now && !midnight(to)) return `${fmtDate(from, p)} to today`;
  if (!midnight(from) || !midnight(to)) {
    return to - from > 2 * 86_400_000 ? `${fmtDate(from, p)} to ${fmtDate(to, p)}` : `${fmtDateTime(from, p)} to ${fmtDateTime(to, p)}`;
  }
  const days = zone.dayOf(to) - zone.dayOf(from);
  // Ending with today: the range people picked ("last 90 days"), not two dates to decode.
  if (zone.dayOf(to) === zone.dayOf(now) + 1) return days === 1 ? 'today' : `last ${fmtInt(days, p)} days`;
  return days === 1 ? fmtDate(from, p) : `${fmtDate(from, p)} to ${fmtDate(to - 1, p)}`;
}

export interface WindowNoteProps {
  /** The window from the reply; null when the figure is not bounded by time (say so in `population`). */
  window: FigureWindow | null;
  /** How many the figure counts. */
  count?: number | null;
  /** What it counts: [one, many]. */
  noun?: [string, string];
  /** Who is in it, when that is narrower than "every answer", e.g. "customers whose 90 days after answering have ended". */
  population?: string | null;
  /** Words before the window, e.g. "per week". */
  lead?: string | null;
}

/** What a figure covers, next to it: its window and how many it counts, and who when that needs saying. */
export function WindowNote({ window, count, noun = ['answer', 'answers'], population, lead }: WindowNoteProps) {
  const parts = [
    [lead, window && windowWords(window)].filter(Boolean).join(', '),
    count != null ? `${fmtInt(count)} ${count === 1 ? noun[0] : noun[1]}` : null,
    population,
  ].filter(Boolean);
  return <p class="small muted window-note" data-testid="window-note">{parts.join(' · ')}</p>;
}
