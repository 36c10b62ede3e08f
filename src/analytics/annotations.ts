import { eventKey, type FactBatch } from '../domain/facts.ts';
import { campaignOf } from './exposures.ts';
import { addAnnotation, annotationTimes } from '../store/annotations.ts';
import type { DurableConsumer } from '../store/bus.ts';
import type { Db, Tx } from '../store/db.ts';
import { eventProperties } from '../store/events.ts';
import type { AnnotationTable } from '../store/schema.ts';

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

function labelOf(name: string, p: Record<string, unknown> | null): string {
  const release = [p?.version, p?.release].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  return (campaignOf(p) ?? release?.trim() ?? name).slice(0, 200);
}

export const ANNOTATIONS_FROM_EVENTS = 'annotations-from-events';
const ANNOTATION_KEYS = new Set(Object.keys(ANNOTATION_EVENTS).map((name) => eventKey('track', name)));

interface Marked {
  kind: AnnotationTable['kind'];
  name: string;
  label: string;
  at: number;
}

/** The first event of each campaign or release in a batch. */
async function firstOfEach(db: Db | Tx, batch: FactBatch): Promise<Marked[]> {
  const events = batch.facts.flatMap((f) => (f.type === 'event.stored' && f.name != null && Object.hasOwn(ANNOTATION_EVENTS, f.name) ? [f] : []));
  const properties = await eventProperties(db, batch.workspaceId, events.map((e) => e.eventId));
  const first = new Map<string, Marked>();
  for (const e of events) {
    const name = e.name!;
    const kind = ANNOTATION_EVENTS[name];
    const label = labelOf(name, properties.get(e.eventId) ?? null);
    const key = `${kind}\u0000${label}`;
    const seen = first.get(key);
    if (!seen || e.timestamp < seen.at) first.set(key, { kind, name, label, at: e.timestamp });
  }
  return [...first.values()];
}

/**
 * A durable consumer of the bus (store/bus.ts): annotation events become annotations as they are
 * stored. An email platform sends one event per recipient, so most batches mark nothing new: that
 * is found out before any write.
 */
export function annotationsFromEvents(): DurableConsumer<Marked[]> {
  return {
    name: ANNOTATIONS_FROM_EVENTS,
    wants: (f) => f.type === 'event.stored' && f.eventType === 'track' && f.name != null && Object.hasOwn(ANNOTATION_EVENTS, f.name),
    wantsKey: (key) => ANNOTATION_KEYS.has(key),
    async prepare(db, batch) {
      const marks = await firstOfEach(db, batch);
      const known = await annotationTimes(db, batch.workspaceId, [...new Set(marks.map((m) => m.label))]);
      const news = marks.filter((m) => {
        const at = known.get(`${m.kind}\u0000${m.label}`);
        return at == null || m.at < at;
      });
      return news.length ? news : null;
    },
    async handle(tx, batch, prepared) {
      for (const m of prepared ?? (await firstOfEach(tx, batch))) await addAnnotation(tx, batch.workspaceId, { at: m.at, kind: m.kind, label: m.label, source: m.name });
    },
  };
}
