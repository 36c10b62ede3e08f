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
