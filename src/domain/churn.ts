/**
 * What "churned" means for a workspace: no order for `inactiveDays`, or (when `event` is set) an
 * explicit track event such as "Subscription Cancelled". Analyses of behaviour after an answer and
 * the churn-risk model both read it, so the two always agree on who left.
 */
export interface ChurnDefinition {
  inactiveDays: number;
  /** A track event name that means the customer left, or null for inactivity only. */
  event: string | null;
}

export const DEFAULT_CHURN: ChurnDefinition = { inactiveDays: 90, event: null };
export const MAX_CHURN_DAYS = 730;

const DAY = 86_400_000;

/**
 * Whether someone observed from `from` had churned by `from + inactiveDays`: no order in that
 * window, or a churn event inside it. `orderTimes` and `churnTimes` are sorted ascending.
 */
export function churnedAfter(def: ChurnDefinition, from: number, orderTimes: readonly number[] | undefined, churnTimes: readonly number[] | undefined): boolean {
  const to = from + def.inactiveDays * DAY;
  if (churnTimes && churnTimes.some((t) => t >= from && t < to)) return true;
  if (!orderTimes) return true;
  return !orderTimes.some((t) => t >= from && t < to);
}

/** Validates a definition from settings or a request; the message names the field. */
export function checkChurnDefinition(d: Partial<ChurnDefinition>, field = 'churn'): string | null {
  if (d.inactiveDays != null && (!Number.isInteger(d.inactiveDays) || d.inactiveDays < 1 || d.inactiveDays > MAX_CHURN_DAYS)) {
    return `${field}.inactiveDays: a whole number of days from 1 to ${MAX_CHURN_DAYS}`;
  }
  if (d.event != null && (typeof d.event !== 'string' || !d.event.trim() || d.event.length > 200)) return `${field}.event: an event name of 1–200 characters, or null`;
  return null;
}
