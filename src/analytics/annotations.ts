import { campaignOf } from './exposures.ts';
import { addAnnotation } from '../store/annotations.ts';
import type { Db } from '../store/db.ts';
import { followTrackEvents } from '../store/events.ts';
import type { AnnotationTable } from '../store/schema.ts';
import { listWorkspaces } from '../store/workspaces.ts';

/**
 * Campaigns and releases sent as track events become trend annotations, marked once per campaign
 * (or version) at its first event. An email platform sends one event per recipient, so the first
 * open of a campaign's email stands for its send when no "Campaign Sent" comes.
 */
export const ANNOTATION_EVENTS: Record<string, AnnotationTable['kind']> = {
  'Campaign Sent': 'campaign',
  'Campaign Launched': 'campaign',
  'Campaign Email Opened': 'campaign',
  'Release Deployed': 'release',
  'Release Published': 'release',
};
const PAGE = 2_000;

function labelOf(name: string, properties: string | null): string {
  let p: Record<string, unknown> | null = null;
  try {
    p = JSON.parse(properties ?? '{}') as Record<string, unknown>;
  } catch {
    /* a label from the name alone */
  }
  const release = [p?.version, p?.release].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  return (campaignOf(p) ?? release?.trim() ?? name).slice(0, 200);
}

export async function scanAnnotationEvents(db: Db, now = Date.now()): Promise<number> {
  let added = 0;
  for (const ws of await listWorkspaces(db)) {
    for (const [name, kind] of Object.entries(ANNOTATION_EVENTS)) {
      const follower = { workspaceId: ws.id, ownerId: ws.id, cursor: `annotation:${name}`, event: name, startAt: 0, now, pageSize: PAGE };
      await followTrackEvents(db, follower, async (events) => {
        const first = new Map<string, number>();
        for (const e of events) {
          const label = labelOf(name, e.properties);
          first.set(label, Math.min(first.get(label) ?? Infinity, e.timestamp));
        }
        for (const [label, at] of first) {
          await addAnnotation(db, ws.id, { at, kind, label, source: name }, now);
          added++;
        }
      });
    }
  }
  return added;
}
