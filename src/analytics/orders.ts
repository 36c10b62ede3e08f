import { orderRevenue } from '../domain/profile.ts';
import { ORDER_COMPLETED } from '../domain/event.ts';
import type { Db } from '../store/db.ts';
import { forEachNamedEvent } from '../store/events.ts';

/** One profile's orders, oldest first: times (ms) and revenue, index for index. */
export interface ProfileOrders {
  at: number[];
  revenue: number[];
}

/** Orders by profile id (profiles merged away have theirs moved to the survivor by the projector). */
export type OrderHistory = Map<string, ProfileOrders>;

/** Reads the workspace's `Order Completed` events in [from, to) into per-profile, time-ordered lists. */
export async function loadOrders(db: Db, workspaceId: string, range: { from?: number; to?: number } = {}): Promise<OrderHistory> {
  const history: OrderHistory = new Map();
  await forEachNamedEvent(db, workspaceId, ORDER_COMPLETED, range, (events) => {
    for (const e of events) {
      let o = history.get(e.profileId);
      if (!o) history.set(e.profileId, (o = { at: [], revenue: [] }));
      o.at.push(e.timestamp);
      o.revenue.push(orderRevenue(e.properties));
    }
  });
  return history;
}

/** Index of the first order at or after `t` (binary search; orders are time-ordered). */
export function firstOrderFrom(o: ProfileOrders, t: number): number {
  let lo = 0;
  let hi = o.at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (o.at[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Order count and revenue in [from, to). */
export function ordersBetween(o: ProfileOrders | undefined, from: number, to: number): { orders: number; revenue: number } {
  if (!o) return { orders: 0, revenue: 0 };
  let orders = 0;
  let revenue = 0;
  for (let i = firstOrderFrom(o, from); i < o.at.length && o.at[i] < to; i++) {
    orders++;
    revenue += o.revenue[i];
  }
  return { orders, revenue };
}
