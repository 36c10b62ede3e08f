import { eventPayloads, parseObject } from './batches.ts';
import type { Db, Tx } from './db.ts';

/** The properties of these events, by id. */
export async function eventProperties(db: Db | Tx, workspaceId: string, ids: string[]): Promise<Map<string, Record<string, unknown> | null>> {
  const out = new Map<string, Record<string, unknown> | null>();
  for (let i = 0; i < ids.length; i += 500) {
    // By id alone, so that SQLite walks the primary key rather than the workspace's events (the
    // workspace is checked on each row).
    const rows = (await db.selectFrom('events').select(['id', 'workspace_id', 'properties', 'batch_id', 'batch_position'])
      .where('id', 'in', ids.slice(i, i + 500)).execute()).filter((r) => r.workspace_id === workspaceId);
    const payloads = await eventPayloads(db, rows, ['properties']);
    rows.forEach((r, k) => out.set(r.id, payloads[k].properties));
  }
  return out;
}

export interface NamedEvent {
  id: string;
  profileId: string;
  timestamp: number;
  properties: Record<string, unknown> | null;
}

/**
 * Every track event of one name whose time lies in [from, to), in (timestamp, id) order, a page at
 * a time (the events_track_name_time index). For analyses over history, not for following new events.
 */
export async function forEachNamedEvent(
  db: Db,
  workspaceId: string,
  name: string,
  range: { from?: number; to?: number },
  handle: (events: NamedEvent[]) => void | Promise<void>,
  pageSize = 5_000,
): Promise<void> {
  let after: { at: number; id: string } | null = null;
  for (;;) {
    let q = db.selectFrom('events').select(['id', 'profile_id', 'timestamp', 'properties'])
      .where('workspace_id', '=', workspaceId).where('name', '=', name).where('type', '=', 'track');
    if (range.from != null) q = q.where('timestamp', '>=', range.from);
    if (range.to != null) q = q.where('timestamp', '<', range.to);
    if (after) {
      const a = after;
      q = q.where((eb) => eb.or([eb('timestamp', '>', a.at), eb.and([eb('timestamp', '=', a.at), eb('id', '>', a.id)])]));
    }
    const rows = await q.orderBy('timestamp').orderBy('id').limit(pageSize).execute();
    // A track event's properties are always in its row (projector.ts eventRow): no need for the log.
    await handle(rows.map((r) => ({ id: r.id, profileId: r.profile_id, timestamp: Number(r.timestamp), properties: parseObject(r.properties) })));
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1];
    after = { at: Number(last.timestamp), id: last.id };
  }
}

/** Whether the workspace has ever stored a track event of this name (one index probe). */
export async function hasTrackEvent(db: Db, workspaceId: string, name: string): Promise<boolean> {
  const row = await db.selectFrom('events').select('id')
    .where('workspace_id', '=', workspaceId).where('name', '=', name).where('type', '=', 'track')
    .limit(1).executeTakeFirst();
  return !!row;
}
