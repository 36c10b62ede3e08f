import { retrainTextModel } from '../text/training.ts';
import { isAppError } from '../domain/errors.ts';
import type { Preferences } from '../domain/preferences.ts';
import type { Store } from '../store/db.ts';
import { createKey, createWorkspace, updateSettings } from '../store/workspaces.ts';
import type { EventWriter } from '../store/writer.ts';
import { createWriter } from '../ingest/writer.ts';
import { parseMessage } from '../ingest/segment-spec.ts';
import type { IngestEvent } from '../domain/event.ts';
import { demoWaveTimes, demoWindow, generateDemo, CONTACT_GAP_DAYS, type DemoOptions, type DemoTally } from './generate.ts';
import { createDemoSegments } from './segments.ts';
import { activateDemoSurveys, createDemoSurveys, recordWaveRuns } from './surveys.ts';
import { WallClock } from './wall-clock.ts';
import { progress } from '../progress.ts';

/** An American homeware shop: what the workspace reads its figures in, and whose days the customers live by. */
export const DEMO_PREFERENCES: Preferences = { currency: 'USD', locale: 'en-US', timeZone: 'America/New_York', industry: 'retail' };

export interface DemoWorkspace {
  workspaceId: string;
  name: string;
  writeKey: string;
  secretKey: string;
}

/**
 * Fills a workspace with the generated story through the same write path as live traffic, so the
 * demo exercises identity resolution, merges and answer context exactly as real data would.
 */
export async function loadDemo(store: Store, workspaceId: string, options: DemoOptions & { writer?: EventWriter; quiet?: boolean } = {}) {
  const writer = options.writer ?? createWriter(store);
  const customers = options.customers ?? 5000;
  const bar = progress(`demo data (${customers.toLocaleString('en')} customers)`, customers, options.quiet);
  let pending: IngestEvent[] = [];
  let messages = 0;
  let done = 0;
  const inFlight: Promise<unknown>[] = [];
  for (const list of generateDemo(options)) {
    for (const m of list) pending.push(parseMessage(m, Date.parse(String(m.timestamp))));
    messages += list.length;
    done++;
    if (pending.length >= 2000) {
      inFlight.push(writer.write(workspaceId, pending, [], { wait: 'accepted' }));
      pending = [];
      if (inFlight.length >= 4) await Promise.all(inFlight.splice(0));
      bar.update(done);
    }
  }
  if (pending.length) inFlight.push(writer.write(workspaceId, pending, [], { wait: 'accepted' }));
  await Promise.all(inFlight);
  // Profiles, merges and answers follow from the accepted events; the demo is ready when they are.
  await writer.settled();
  if (!options.writer) await writer.close();
  bar.done(`${messages.toLocaleString('en')} messages`);
  return { customers, messages };
}

/**
 * The demo workspace with the story around its data: the surveys its answers belong to (and the
 * runs of the scheduled waves), saved segments, and the shop's currency, locale and time zone.
 */
export async function createDemoWorkspace(store: Store, options: DemoOptions & { name?: string; quiet?: boolean; writer?: EventWriter } = {}): Promise<DemoWorkspace & { messages: number }> {
  const db = store.db;
  const name = options.name ?? 'Demo';
  const timeZone = options.timeZone ?? DEMO_PREFERENCES.timeZone;
  // Read the clock once: the surveys' dates and the data must agree on what "today" is.
  const now = options.now ?? new WallClock(timeZone).midnightBefore(Date.now());
  const story = { ...options, timeZone, now };
  const ws = await createWorkspace(db, name);
  const write = await createKey(db, ws.id, 'write', 'Demo write key (public)');
  const secret = await createKey(db, ws.id, 'secret', 'Demo secret key');
  await updateSettings(db, ws.id, {
    preferences: { ...DEMO_PREFERENCES, timeZone },
    // The generator invites nobody twice within 30 days, across both surveys.
    contactPolicy: { maxSurveys: 1, perDays: CONTACT_GAP_DAYS },
  });
  const surveys = await createDemoSurveys(db, ws.id, { createdAt: demoWindow(story).start, firstWaveAt: demoWaveTimes(story)[0] });
  const tally: DemoTally = { waves: [] };
  const ids = { postPurchase: { id: surveys.postPurchase.id, version: surveys.postPurchase.version }, relationship: { id: surveys.relationship.id, version: surveys.relationship.version } };
  const { messages } = await loadDemo(store, ws.id, { ...story, surveys: ids, tally });
  await recordWaveRuns(db, ws.id, surveys.relationship, tally.waves);
  await activateDemoSurveys(db, ws.id, surveys);
  await createDemoSegments(db, ws.id);
  // Its own sentiment model from its comments, as the daily retraining would make it: the Themes
  // page then reads them with it (the stored ones again, in the background).
  try {
    await retrainTextModel(db, ws.id);
  } catch (err) {
    if (!(isAppError(err) && err.kind === 'conflict')) throw err; // a demo too small to learn from
  }
  return { workspaceId: ws.id, name, writeKey: write.key, secretKey: secret.key, messages };
}
