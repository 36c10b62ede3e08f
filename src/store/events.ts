import { sql } from 'kysely';
import { idFloor } from '../domain/ids.ts';
import type { Db, Tx } from './db.ts';

export interface TrackedEvent {
  id: string;
  profileId: string;
  timestamp: number;
  properties: string | null;
}

/** Track events of one name stored after `afterId` and up to `untilId`, in the order they were stored. */
async function trackEventsAfter(db: Db, workspaceId: string, name: string, afterId: string, untilId: string, limit: number): Promise<TrackedEvent[]> {
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
function settledEventId(now: number): string {
  return idFloor('evt', now - Number(process.env.ADVOCATE_EVENT_SETTLE_MS ?? 10_000));
}

/** Where a survey's (or workspace's) reading of something (e.g. "trigger:Order Delivered") has got to, if it has started. */
async function cursorPosition(db: Db, ownerId: string, name: string): Promise<string | null> {
  const row = await db.selectFrom('read_cursors').select('position').where('owner_id', '=', ownerId).where('name', '=', name).executeTakeFirst();
  return row?.position ?? null;
}

/** Moves a cursor forward, never back (two processes reading the same events both end at the furthest). */
async function advanceCursor(db: Db | Tx, workspaceId: string, ownerId: string, name: string, position: string, now = Date.now()): Promise<void> {
  await db.insertInto('read_cursors').values({ owner_id: ownerId, name, workspace_id: workspaceId, position, updated_at: now })
    .onConflict((oc) => oc.columns(['owner_id', 'name']).doUpdateSet({ position: sql`case when excluded.position > read_cursors.position then excluded.position else read_cursors.position end`, updated_at: now }))
    .execute();
}


export interface EventFollower {
  workspaceId: string;
  /** Who reads (a survey, a workspace) and what, e.g. "trigger:Order Delivered": the cursor's key. */
  ownerId: string;
  cursor: string;
  event: string;
  /** Where a first read starts (ms): events stored from then on. */
  startAt: number;
  now: number;
  pageSize: number;
}

/**
 * Hands the track events of one name stored since the last call to `handle`, a page at a time,
 * moving the reader's cursor past each page once it is handled (a crash re-reads that page, so
 * `handle` must be idempotent). Stays settledEventId behind the newest events.
 */
export async function followTrackEvents(db: Db, f: EventFollower, handle: (events: TrackedEvent[]) => Promise<void>): Promise<void> {
  let position = await cursorPosition(db, f.ownerId, f.cursor);
  if (position == null) {
    position = idFloor('evt', f.startAt);
    await advanceCursor(db, f.workspaceId, f.ownerId, f.cursor, position, f.now);
  }
  const until = settledEventId(f.now);
  for (;;) {
    const events = await trackEventsAfter(db, f.workspaceId, f.event, position, until, f.pageSize);
    await handle(events);
    if (events.length) {
      position = events[events.length - 1].id;
      await advanceCursor(db, f.workspaceId, f.ownerId, f.cursor, position, f.now);
    }
    if (events.length < f.pageSize) return;
  }
}

export interface NamedEvent {
  id: string;
  profileId: string;
  timestamp: number;
  properties: Record<string, unknown> | null;
}

/**
 * Every track event of one name whose time lies in [from, to), in (timestamp, id) order, a page at
 * a time (the events_name_time index). For analyses over history, not for following new events.
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
    await handle(rows.map((r) => ({ id: r.id, profileId: r.profile_id, timestamp: Number(r.timestamp), properties: parseObject(r.properties) })));
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1];
    after = { at: Number(last.timestamp), id: last.id };
  }
}

function parseObject(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** Whether the workspace has ever stored a track event of this name (one index probe). */
export async function hasTrackEvent(db: Db, workspaceId: string, name: string): Promise<boolean> {
  const row = await db.selectFrom('events').select('id')
    .where('workspace_id', '=', workspaceId).where('name', '=', name).where('type', '=', 'track')
    .limit(1).executeTakeFirst();
  return !!row;
}
