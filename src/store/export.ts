import { eventPayloads } from './batches.ts';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Store } from './db.ts';
import { isoOrNull } from '../domain/time.ts';
import { csvWriter } from '../domain/csv.ts';

export type ExportKind = 'people' | 'events' | 'answers';
export const EXPORT_KINDS: readonly ExportKind[] = ['people', 'events', 'answers'];

/**
 * Headers use the import's field names (timestamp, user_id, survey_id…) so that an export reads
 * back with `advocate import <kind>` and no --map; ids the writer assigns (id, profile_id) and the
 * answer context it computes are ignored on such a re-import (see DERIVED in csv-import.ts).
 */
export const EXPORT_COLUMNS: Record<ExportKind, readonly string[]> = {
  people: [
    'id', 'user_id', 'email', 'phone', 'anonymous_ids', 'traits',
    'first_seen', 'last_seen', 'order_count', 'revenue', 'last_order_at', 'nps_score', 'nps_category',
  ],
  events: ['id', 'message_id', 'profile_id', 'type', 'name', 'user_id', 'anonymous_id', 'timestamp', 'properties', 'traits', 'context'],
  answers: [
    'id', 'message_id', 'profile_id', 'user_id', 'anonymous_id', 'email', 'score', 'category', 'comment', 'channel', 'survey_id',
    'survey_version', 'stage', 'days_since_last_order', 'days_since_first_seen', 'campaign', 'utm_source', 'timestamp', 'properties',
  ],
};

const BATCH = 1000;

export interface ExportOptions {
  /** End `output` when done; false for process.stdout, which must stay open. */
  end?: boolean;
  /** Told how many rows are out so far, then a summary at the end (the CLI's progress line). */
  progress?: { update(rows: number): void; done(summary: string): void };
}


type Row = Record<string, unknown>;

/** The earliest identity of each kind per profile: the one the person was first known by. */
async function identitiesOf(store: Store, workspaceId: string, profileIds: string[]) {
  const by = new Map<string, { email: string | null; phone: string | null; anon: string[] }>();
  if (!profileIds.length) return by;
  const rows = await store.db
    .selectFrom('identities')
    .select(['profile_id', 'kind', 'value'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', 'in', profileIds)
    .where('kind', 'in', ['email', 'phone', 'anon'])
    .orderBy('created_at')
    .orderBy('value')
    .execute();
  for (const r of rows) {
    const entry = by.get(r.profile_id) ?? { email: null, phone: null, anon: [] };
    by.set(r.profile_id, entry);
    if (r.kind === 'email') entry.email ??= r.value;
    else if (r.kind === 'phone') entry.phone ??= r.value;
    else entry.anon.push(r.value);
  }
  return by;
}

/** One page after `after` (keyset: by id, which never shifts under concurrent inserts the way an offset does). */
async function page(store: Store, workspaceId: string, kind: ExportKind, after: string): Promise<{ rows: Row[]; last: string | null }> {
  if (kind === 'people') {
    const profiles = await store.db
      .selectFrom('profiles')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('merged_into', 'is', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    const ids = await identitiesOf(store, workspaceId, profiles.map((p) => p.id));
    const rows = profiles.map((p) => {
      const i = ids.get(p.id);
      return {
        id: p.id,
        user_id: p.user_id,
        email: i?.email ?? null,
        phone: i?.phone ?? null,
        anonymous_ids: i?.anon.length ? JSON.stringify(i.anon) : null,
        traits: p.traits,
        first_seen: isoOrNull(p.first_seen_at),
        last_seen: isoOrNull(p.last_seen_at),
        order_count: p.order_count,
        revenue: p.revenue,
        last_order_at: isoOrNull(p.last_order_at),
        nps_score: p.nps_score,
        nps_category: p.nps_category,
      };
    });
    return { rows, last: profiles.at(-1)?.id ?? null };
  }
  if (kind === 'events') {
    const events = await store.db
      .selectFrom('events')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    const payloads = await eventPayloads(store.db, events);
    const rows = events.map((e, k) => ({
      id: e.id,
      message_id: e.message_id,
      profile_id: e.profile_id,
      type: e.type,
      name: e.name,
      user_id: e.user_id,
      anonymous_id: e.anonymous_id,
      timestamp: isoOrNull(e.timestamp),
      properties: jsonOrNull(payloads[k].properties),
      traits: jsonOrNull(payloads[k].traits),
      context: jsonOrNull(payloads[k].context),
    }));
    return { rows, last: events.at(-1)?.id ?? null };
  }
  const answers = await store.db
    .selectFrom('answers')
    .leftJoin('profiles', 'profiles.id', 'answers.profile_id')
    .leftJoin('events', 'events.id', 'answers.event_id')
    .selectAll('answers')
    .select(['profiles.user_id as profile_user_id', 'events.user_id as event_user_id', 'events.anonymous_id as event_anonymous_id'])
    .where('answers.workspace_id', '=', workspaceId)
    .where('answers.id', '>', after)
    .orderBy('answers.id')
    .limit(BATCH)
    .execute();
  const ids = await identitiesOf(store, workspaceId, [...new Set(answers.map((a) => a.profile_id))]);
  const rows = answers.map((a) => ({
    id: a.id,
    message_id: a.message_id,
    profile_id: a.profile_id,
    user_id: a.profile_user_id ?? a.event_user_id,
    // The id the answer arrived with; the profile may hold several.
    anonymous_id: a.event_anonymous_id,
    email: ids.get(a.profile_id)?.email ?? null,
    score: a.score,
    category: a.category,
    comment: a.comment,
    channel: a.channel,
    survey_id: a.survey_id,
    survey_version: a.survey_version,
    stage: a.stage,
    days_since_last_order: a.days_since_last_order,
    days_since_first_seen: a.days_since_first_seen,
    campaign: a.campaign,
    utm_source: a.utm_source,
    timestamp: isoOrNull(a.answered_at),
    properties: a.properties,
  }));
  return { rows, last: answers.at(-1)?.id ?? null };
}

/**
 * Streams one kind of record of a workspace as CSV, a page at a time, waiting whenever `output`
 * is full so that exporting millions of rows to a slow disk or pipe keeps memory flat. Merged
 * profiles are left out: their data lives on in the profile they were merged into.
 */
export async function exportCsv(store: Store, workspaceId: string, kind: ExportKind, output: Writable, options: ExportOptions = {}): Promise<{ rows: number; seconds: number }> {
  if (!EXPORT_KINDS.includes(kind)) throw new Error(`unknown kind "${kind}": use ${EXPORT_KINDS.join(', ')}`);
  const started = performance.now();
  const csv = csvWriter(EXPORT_COLUMNS[kind]);
  const done = pipeline(csv, output, { end: options.end ?? true });
  // A failing output (disk full, closed pipe) also destroys `csv`, which ends the wait below.
  done.catch(() => {});
  let rows = 0;
  try {
    let after = '';
    for (;;) {
      const { rows: batch, last } = await page(store, workspaceId, kind, after);
      for (const row of batch) {
        if (!csv.write(row)) await once(csv, 'drain');
        rows++;
      }
      options.progress?.update(rows);
      if (!last || batch.length < BATCH) break;
      after = last;
    }
    csv.end();
  } catch (err) {
    csv.destroy(err as Error);
    throw err;
  }
  await done;
  options.progress?.done(`${rows.toLocaleString('en')} rows`);
  return { rows, seconds: (performance.now() - started) / 1000 };
}

const jsonOrNull = (v: Record<string, unknown> | null) => (v == null ? null : JSON.stringify(v));
