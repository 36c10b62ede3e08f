import type { Db } from '../store/db.ts';
import { forEachNamedEvent } from '../store/events.ts';

/** Every time each profile did an event of this name, ascending: explicit churn events, for instance. */
export async function eventTimesByProfile(db: Db, workspaceId: string, name: string, range: { from?: number; to?: number } = {}): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>();
  // forEachNamedEvent hands events in time order, so each list comes out sorted.
  await forEachNamedEvent(db, workspaceId, name, range, (events) => {
    for (const e of events) {
      const list = times.get(e.profileId);
      if (list) list.push(e.timestamp);
      else times.set(e.profileId, [e.timestamp]);
    }
  });
  return times;
}
