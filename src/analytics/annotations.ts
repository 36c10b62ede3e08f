import { eventKey } from '../domain/facts.ts';
import { campaignOf } from './exposures.ts';
import { addAnnotation } from '../store/annotations.ts';
import type { DurableConsumer } from '../store/bus.ts';
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

export const ANNOTATIONS_FROM_EVENTS = 'annotations-from-events';
const ANNOTATION_KEYS = new Set(Object.keys(ANNOTATION_EVENTS).map((name) => eventKey('track', name)));

/** A durable consumer of the bus (store/bus.ts): annotation events become annotations as they are stored. */
export function annotationsFromEvents(): DurableConsumer {
  return {
    name: ANNOTATIONS_FROM_EVENTS,
    wants: (f) => f.type === 'event.stored' && f.eventType === 'track' && f.name != null && Object.hasOwn(ANNOTATION_EVENTS, f.name),
    wantsKey: (key) => ANNOTATION_KEYS.has(key),
    async handle(tx, batch) {
      const events = batch.facts.flatMap((f) => (f.type === 'event.stored' ? [f] : []));
      const properties = await eventProperties(tx, batch.workspaceId, events.map((e) => e.eventId));
      const first = new Map<string, { name: string; label: string; at: number }>();
      for (const e of events) {
        const name = e.name!;
        const label = labelOf(name, properties.get(e.eventId) ?? null);
        const key = `${ANNOTATION_EVENTS[name]}\u0000${label}`;
        const seen = first.get(key);
        if (!seen || e.timestamp < seen.at) first.set(key, { name, label, at: e.timestamp });
      }
      for (const { name, label, at } of first.values()) await addAnnotation(tx, batch.workspaceId, { at, kind: ANNOTATION_EVENTS[name], label, source: name });
    },
  };
}
