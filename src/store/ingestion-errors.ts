import type { Insertable } from 'kysely';
import { newId } from '../domain/ids.ts';
import { jsonExcerpt } from '../domain/text.ts';
import type { IngestEvent, IngestFailure } from '../domain/event.ts';
import { fromJson, type Db, type Store, type Tx } from './db.ts';
import { insertRows } from './bulk.ts';
import type { IngestionErrorTable, Schema } from './schema.ts';

/** Messages of an accepted request that validation refused, each with a bounded excerpt. */
export async function recordRejected(store: Store, tx: Tx, workspaceId: string, failures: IngestFailure[], now: number): Promise<void> {
  const rows: Insertable<Schema['ingestion_errors']>[] = failures.map((f) => ({
    id: newId('ierr', now),
    workspace_id: workspaceId,
    received_at: now,
    message_id: f.messageId?.slice(0, 256) ?? null,
    type: f.type?.slice(0, 40) ?? null,
    error: f.error.slice(0, 1_000),
    payload: typeof f.payload === 'string' ? f.payload : jsonExcerpt(f.payload),
    kind: 'rejected',
  }));
  await insertRows(store, tx, 'ingestion_errors', rows);
}

/** An accepted event that could not be projected: kept whole, so it can be replayed once the cause is fixed. */
export async function recordSetAside(store: Store, tx: Tx, workspaceId: string, receivedAt: number, event: IngestEvent | null, reason: string, raw?: string): Promise<string> {
  const id = newId('ierr', Date.now());
  await insertRows(store, tx, 'ingestion_errors', [{
    id,
    workspace_id: workspaceId,
    received_at: receivedAt,
    message_id: event?.messageId ?? null,
    type: event?.type ?? null,
    error: `could not be put on its profile: ${reason}`.slice(0, 1_000),
    payload: event ? JSON.stringify(event) : (raw ?? 'null'),
    kind: 'projection',
  }]);
  return id;
}

export interface IngestionErrorView {
  id: string;
  receivedAt: string;
  kind: IngestionErrorTable['kind'];
  messageId: string | null;
  type: string | null;
  error: string;
  payload: unknown;
  replayable: boolean;
}

function view(r: IngestionErrorTable): IngestionErrorView {
  return {
    id: r.id,
    receivedAt: new Date(Number(r.received_at)).toISOString(),
    kind: r.kind,
    messageId: r.message_id,
    type: r.type,
    error: r.error,
    payload: fromJson(r.payload, r.payload),
    replayable: r.kind === 'projection' && r.type != null,
  };
}

export async function listIngestionErrors(db: Db, workspaceId: string, opts: { limit: number; cursor?: string; kind?: IngestionErrorTable['kind'] }) {
  let query = db.selectFrom('ingestion_errors').selectAll().where('workspace_id', '=', workspaceId);
  if (opts.kind) query = query.where('kind', '=', opts.kind);
  if (opts.cursor) query = query.where('id', '<', opts.cursor);
  const rows = await query.orderBy('id', 'desc').limit(opts.limit + 1).execute();
  const page = rows.slice(0, opts.limit);
  return { items: page.map(view), nextCursor: rows.length > opts.limit ? page[page.length - 1].id : null };
}

export async function countIngestionErrors(db: Db, workspaceId: string): Promise<number> {
  const r = await db.selectFrom('ingestion_errors').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** A set-aside event to replay, or why it cannot be: null when the workspace has no such error. */
export async function setAsideEvent(db: Db, workspaceId: string, id: string): Promise<{ event: IngestEvent | null } | null> {
  const r = await db.selectFrom('ingestion_errors').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!r) return null;
  if (r.kind !== 'projection' || r.type == null) return { event: null };
  return { event: fromJson<IngestEvent | null>(r.payload, null) };
}

export async function deleteIngestionError(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('ingestion_errors').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows ?? 0n) > 0;
}

/** For messageIds that reached no event: the ingestion error each was set aside as (id and reason). */
export async function setAsideOf(db: Db, workspaceId: string, messageIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < messageIds.length; i += 500) {
    const rows = await db.selectFrom('ingestion_errors').select(['id', 'message_id', 'error']).where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'projection').where('message_id', 'in', messageIds.slice(i, i + 500)).execute();
    for (const r of rows) if (r.message_id) out.set(r.message_id, `${r.id}: ${r.error.replace(/^could not be put on its profile: /, '')}`);
  }
  return out;
}
