import type { Db, Store, Tx } from './db.ts';

/** Creates a durable consumer's cursor at `position` unless it exists. */
export async function ensureCursor(db: Db, name: string, position: number, now = Date.now()): Promise<void> {
  await db.insertInto('consumer_cursors').values({ name, position, partial: 0, updated_at: now }).onConflict((oc) => oc.column('name').doNothing()).execute();
}

/** Where a consumer is, read without taking it. */
export async function cursorOf(db: Db, name: string): Promise<CursorPlace | null> {
  return toPlace(await db.selectFrom('consumer_cursors').select(['position', 'partial']).where('name', '=', name).executeTakeFirst());
}

/**
 * Takes the consumer's cursor for this transaction and returns its position, or null when another
 * process holds it (PostgreSQL: the row stays locked to commit, and a second process skips it
 * rather than wait). On SQLite the first statement is a write, so the transaction holds the write
 * lock from the start and never has to upgrade a stale read snapshot.
 */
export async function claimCursor(store: Store, tx: Tx, name: string, now = Date.now()): Promise<CursorPlace | null> {
  const row = store.dialect.sharedByProcesses
    ? await store.dialect.claim(tx.selectFrom('consumer_cursors').select(['position', 'partial']).where('name', '=', name)).executeTakeFirst()
    : await tx.updateTable('consumer_cursors').set({ updated_at: now }).where('name', '=', name).returning(['position', 'partial']).executeTakeFirst();
  return toPlace(row);
}

/** Where a consumer is: past the batch at `position`, and `partial` facts into the next one. */
export interface CursorPlace {
  position: number;
  partial: number;
}

const toPlace = (row: { position: number; partial: number } | undefined): CursorPlace | null => (row ? { position: Number(row.position), partial: Number(row.partial) } : null);

export async function moveCursor(tx: Tx, name: string, place: CursorPlace, now = Date.now()): Promise<void> {
  await tx.updateTable('consumer_cursors').set({ position: place.position, partial: place.partial, updated_at: now }).where('name', '=', name).execute();
}

/** Every durable cursor, for pruning the log behind the slowest and for status pages. */
export async function listCursors(db: Db): Promise<Array<CursorPlace & { name: string; updatedAt: number }>> {
  const rows = await db.selectFrom('consumer_cursors').selectAll().orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, position: Number(r.position), partial: Number(r.partial), updatedAt: Number(r.updated_at) }));
}

/** A batch the consumer could not handle, kept with the reason; it went on past it. */
export async function recordConsumerError(tx: Tx, consumer: string, position: number, workspaceId: string, reason: string, now = Date.now()): Promise<void> {
  await tx.insertInto('consumer_errors').values({ consumer, position, workspace_id: workspaceId, reason: reason.slice(0, 1000), at: now })
    .onConflict((oc) => oc.columns(['consumer', 'position']).doUpdateSet({ reason: reason.slice(0, 1000), at: now })).execute();
}

export async function consumerErrors(db: Db, consumer?: string): Promise<Array<{ consumer: string; position: number; workspaceId: string; reason: string; at: number }>> {
  let q = db.selectFrom('consumer_errors').selectAll();
  if (consumer) q = q.where('consumer', '=', consumer);
  const rows = await q.orderBy('consumer').orderBy('position').execute();
  return rows.map((r) => ({ consumer: r.consumer, position: Number(r.position), workspaceId: r.workspace_id, reason: r.reason, at: Number(r.at) }));
}
