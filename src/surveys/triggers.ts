import { eventKey, type FactBatch } from '../domain/facts.ts';
import { derivedId } from '../domain/ids.ts';
import type { DurableConsumer } from '../store/bus.ts';
import type { Tx } from '../store/db.ts';
import { automatedSurveys, type Survey } from '../store/surveys.ts';
import { scheduleContact, type DeliveryContext } from './delivery.ts';
import { resolvePerson } from './eligibility.ts';

/**
 * "Send 72 hours after Order Delivered": a durable consumer of the bus (store/bus.ts) that, for
 * each track event stored, schedules a send of every active survey triggered by its name for the
 * event's time plus the delay, in the transaction that moves its cursor past the event.
 *
 * - Events count from when the trigger's survey was last saved; history imported later, whose
 *   send time passed more than STALE_MS ago, is passed over (nobody wants a survey about last
 *   year's order).
 * - A contact's id is derived from the survey, event and channel as well, so an event handled
 *   twice (a consumer renamed, a bug) still schedules one send.
 */
const STALE_MS = 24 * 3_600_000;
// A survey switched on is followed from the step after this at the latest; it counts events
// stored from when it was saved, so none is missed meanwhile.
const REFRESH_MS = 1_000;

export interface TriggerScan {
  scheduled: number;
  skipped: number;
  stale: number;
}

type Trigger = Survey['definition']['triggers'][number];

export const SURVEY_TRIGGERS = 'survey-triggers';
const TRACK_KEY = eventKey('track', '');

/** The consumer; `totals` counts what it did since it was made (for logs and tests). */
export function surveyTriggers(ctx: DeliveryContext): DurableConsumer & { totals: TriggerScan } {
  const totals: TriggerScan = { scheduled: 0, skipped: 0, stale: 0 };
  // The event names that trigger an active survey, per workspace (read again each step, at most once a second).
  let triggering = new Map<string, Set<string>>();
  let readAt = 0;
  return {
    name: SURVEY_TRIGGERS,
    totals,
    async refresh(db) {
      if (Date.now() - readAt < REFRESH_MS) return;
      const next = new Map<string, Set<string>>();
      for (const s of await automatedSurveys(db)) {
        for (const t of s.definition.triggers) (next.get(s.workspaceId) ?? next.set(s.workspaceId, new Set()).get(s.workspaceId)!).add(t.event);
      }
      triggering = next;
      readAt = Date.now();
    },
    wants: (f, workspaceId) => f.type === 'event.stored' && f.eventType === 'track' && f.name != null && !!triggering.get(workspaceId)?.has(f.name),
    wantsKey: (key, workspaceId) => key.startsWith(TRACK_KEY) && !!triggering.get(workspaceId)?.has(key.slice(TRACK_KEY.length)),
    // Each send is several queries: keep SQLite's write lock short.
    budget: 50,
    async handle(tx, batch) {
      const byEvent = new Map<string, Array<{ survey: Survey; trigger: Trigger }>>();
      for (const survey of await automatedSurveys(tx, batch.workspaceId)) {
        if (survey.updatedAt > batch.at) continue; // saved after these events were stored
        for (const trigger of survey.definition.triggers) {
          (byEvent.get(trigger.event) ?? byEvent.set(trigger.event, []).get(trigger.event)!).push({ survey, trigger });
        }
      }
      if (!byEvent.size) return;
      const r = await scheduleTriggered(ctx, tx, batch, byEvent, Date.now());
      totals.scheduled += r.scheduled;
      totals.skipped += r.skipped;
      totals.stale += r.stale;
    },
    afterCommit: () => ctx.outbox?.kick(),
  };
}

async function scheduleTriggered(ctx: DeliveryContext, tx: Tx, batch: FactBatch, byEvent: Map<string, Array<{ survey: Survey; trigger: Trigger }>>, now: number): Promise<TriggerScan> {
  const out: TriggerScan = { scheduled: 0, skipped: 0, stale: 0 };
  const inTx: DeliveryContext = { db: tx, writer: ctx.writer, outbox: ctx.outbox, publicUrl: ctx.publicUrl };
  const ws = batch.workspaceId;
  for (const f of batch.facts) {
    if (f.type !== 'event.stored') continue;
    for (const { survey, trigger } of byEvent.get(f.name ?? '') ?? []) {
      const due = f.timestamp + trigger.delayHours * 3_600_000;
      if (due < now - STALE_MS) {
        out.stale++;
        continue;
      }
      const person = await resolvePerson(tx, ws, { profileId: f.profileId });
      const reason = `trigger:${trigger.event}`;
      const r = await scheduleContact(inTx, ws, survey, person, {
        channel: trigger.channel, reason, contactId: derivedId('con', f.timestamp, `${survey.id}\u0000${f.eventId}\u0000${trigger.channel}`),
        runAt: Math.max(now, due), properties: { eventId: f.eventId }, recordSkipped: true,
      }, now);
      if (r.created) r.decision.ask ? out.scheduled++ : out.skipped++;
    }
  }
  return out;
}
