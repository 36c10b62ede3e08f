import { idFloor } from '../domain/ids.ts';
import type { Db } from './db.ts';

export interface TrackedEvent {
  id: string;
  profileId: string;
  timestamp: number;
  properties: string | null;
}

/** Track events of one name stored after `afterId` and up to `untilId`, in the order they were stored. */
export async function trackEventsAfter(db: Db, workspaceId: string, name: string, afterId: string, untilId: string, limit: number): Promise<TrackedEvent[]> {
  const rows = await db.selectFrom('events').select(['id', 'profile_id', 'timestamp', 'properties'])
    .where('workspace_id', '=', workspaceId).where('name', '=', name).where('type', '=', 'track')
    .where('id', '>', afterId).where('id', '<=', untilId)
    .orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, profileId: r.profile_id, timestamp: Number(r.timestamp), properties: r.properties }));
}

/**
 * The newest event id a reader may rely on: event ids are made when a projection slice starts, and
 * another process's slice may commit ids a few seconds older than ones already visible, so readers
 * following events by id stay ADVOCATE_EVENT_SETTLE_MS (default 10 s) behind (a single process could use 0).
 */
export function settledEventId(now: number): string {
  return idFloor('evt', now - Number(process.env.ADVOCATE_EVENT_SETTLE_MS ?? 10_000));
}
