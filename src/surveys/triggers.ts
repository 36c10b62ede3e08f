import { derivedId } from '../domain/ids.ts';
import { followTrackEvents } from '../store/events.ts';
import { automatedSurveys, type Survey } from '../store/surveys.ts';
import { scheduleContact, type DeliveryContext } from './delivery.ts';
import { resolvePerson } from './eligibility.ts';

/**
 * "Send 72 hours after Order Delivered": each trigger of an active survey reads the new track
 * events of its name from a cursor and schedules a send for the event's time plus the delay.
 *
 * - Events count from when the trigger's survey was last saved; history imported later, whose
 *   send time passed more than STALE_MS ago, is passed over (nobody wants a survey about last
 *   year's order).
 * - A contact's id is derived from the survey, event and channel, so reading an event twice
 *   (a crash before the cursor moved, two processes) schedules one send.
 * - The cursor stays a few seconds behind the newest events (see followTrackEvents).
 */
const STALE_MS = 24 * 3_600_000;
const PAGE = 500;

export interface TriggerScan {
  scheduled: number;
  skipped: number;
  stale: number;
}

export async function scanTriggers(ctx: DeliveryContext, now = Date.now()): Promise<TriggerScan> {
  const totals: TriggerScan = { scheduled: 0, skipped: 0, stale: 0 };
  for (const survey of await automatedSurveys(ctx.db)) {
    for (const trigger of survey.definition.triggers) {
      const r = await scanTrigger(ctx, survey, trigger, now);
      totals.scheduled += r.scheduled;
      totals.skipped += r.skipped;
      totals.stale += r.stale;
    }
  }
  if (totals.scheduled) ctx.outbox?.kick();
  return totals;
}

async function scanTrigger(ctx: DeliveryContext, survey: Survey, trigger: Survey['definition']['triggers'][number], now: number): Promise<TriggerScan> {
  const { db } = ctx;
  const ws = survey.workspaceId;
  const name = `trigger:${trigger.event}`;
  const out: TriggerScan = { scheduled: 0, skipped: 0, stale: 0 };
  const delayMs = trigger.delayHours * 3_600_000;
  await followTrackEvents(db, { workspaceId: ws, ownerId: survey.id, cursor: name, event: trigger.event, startAt: survey.updatedAt, now, pageSize: PAGE }, async (events) => {
    for (const e of events) {
      const due = e.timestamp + delayMs;
      if (due < now - STALE_MS) {
        out.stale++;
        continue;
      }
      const person = await resolvePerson(db, ws, { profileId: e.profileId });
      const r = await scheduleContact(ctx, ws, survey, person, {
        channel: trigger.channel, reason: name, contactId: derivedId('con', e.timestamp, `${survey.id}\u0000${e.id}\u0000${trigger.channel}`),
        runAt: Math.max(now, due), properties: { eventId: e.id }, recordSkipped: true,
      }, now);
      if (r.created) r.decision.ask ? out.scheduled++ : out.skipped++;
    }
  });
  return out;
}
