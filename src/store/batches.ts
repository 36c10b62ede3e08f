import type { IngestEvent } from '../domain/event.ts';
import type { Db, Tx } from './db.ts';
import type { Schema } from './schema.ts';

/**
 * The accepted log: every accepted request's body, kept as it came (`batches`). It is the event
 * store for what events carry beyond their keys: an events row names its batch and position and
 * leaves traits and context null (and properties, but for track events: projector.ts eventRow), so
 * projection writes each event's payload no second time (that was most of its cost). A column an
 * events row does hold (a track's properties, rows from before the log, an answer's properties after
 * an edit) wins over the batch.
 *
 * Reading a message back needs its wire format's parser; the store knows none, so each format's
 * reader registers itself here (ingest/segment-spec.ts for 'spec'). Events the application writes
 * (format 'events': imports, the demo, answers) keep their payload in their rows instead, and their
 * batch is dropped once projected: they come in large batches that analyses would read out of order.
 */
export interface BatchFormat<P = unknown> {
  /** Work done once per batch text and kept with it in the cache (parsed JSON, message offsets). */
  prepare(text: string): P;
  /** The event at `position`, as validation made it when the batch was accepted. */
  message(prepared: P, receivedAt: number, batchId: string, position: number): IngestEvent;
  /** The text with the messages at these positions emptied, every other message where it was. */
  blank(text: string, positions: number[]): string;
}

export type BatchFormatName = Schema['batches']['format'];

const formats = new Map<string, BatchFormat<any>>();

export function registerBatchFormat<P>(name: BatchFormatName, format: BatchFormat<P>): void {
  formats.set(name, format);
}

function formatOf(name: string): BatchFormat<any> {
  const f = formats.get(name);
  if (!f) throw new Error(`no reader for accepted batches of format '${name}' (the ingest module registers it)`);
  return f;
}

export type BatchRow = Schema['batches'];

export async function batchBodies(db: Db | Tx, ids: string[]): Promise<Map<string, BatchRow>> {
  const out = new Map<string, BatchRow>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of await db.selectFrom('batches').selectAll().where('id', 'in', ids.slice(i, i + 500)).execute()) out.set(r.id, r);
  }
  return out;
}

// Reading a timeline or walking an event's history touches a batch many times in a row: the last
// batches read stay prepared. Bodies change only when messages in them are emptied, and an emptied
// message has no events row left to ask for it, so a stale entry is never read where it differs.
const CACHE_BATCHES = 64;
const cache = new Map<string, { row: BatchRow; prepared: unknown }>();

function remember(row: BatchRow): { row: BatchRow; prepared: unknown } {
  const entry = { row, prepared: formatOf(row.format).prepare(row.body) };
  if (cache.size >= CACHE_BATCHES) cache.delete(cache.keys().next().value!);
  cache.set(row.id, entry);
  return entry;
}

export interface PayloadColumns {
  batch_id: string | null;
  batch_position: number | null;
  properties: string | null;
  traits: string | null;
  context: string | null;
}

export interface Payload {
  properties: Record<string, unknown> | null;
  traits: Record<string, unknown> | null;
  context: Record<string, unknown> | null;
}

const PAYLOAD_COLUMNS = ['properties', 'traits', 'context'] as const;
type PayloadColumn = (typeof PAYLOAD_COLUMNS)[number];

/**
 * What events carry beyond their keys, in the order given: from the row where it holds them, else
 * from the accepted batch. `wanted`: the columns the caller reads (the others come back as the row
 * has them, and never send it to the log). A message that cannot be read back (its batch gone) reads
 * as empty rather than failing the page it is on.
 */
export async function eventPayloads(
  db: Db | Tx,
  rows: Array<Pick<PayloadColumns, 'batch_id' | 'batch_position'> & Partial<Pick<PayloadColumns, PayloadColumn>>>,
  wanted: readonly PayloadColumn[] = PAYLOAD_COLUMNS,
): Promise<Payload[]> {
  const fromLog = (r: (typeof rows)[number]) => r.batch_id != null && r.batch_position != null && wanted.some((c) => r[c] == null);
  const need = [...new Set(rows.filter(fromLog).map((r) => r.batch_id!))];
  // Each batch prepared once per call (a page may need more batches than the cache holds).
  const prepared = new Map<string, { row: BatchRow; prepared: unknown } | null>();
  for (const id of need) {
    const entry = cache.get(id);
    if (entry) prepared.set(id, entry);
  }
  const missing = need.filter((id) => !prepared.has(id));
  if (missing.length) {
    const bodies = await batchBodies(db, missing);
    for (const id of missing) {
      const row = bodies.get(id);
      try {
        prepared.set(id, row ? remember(row) : null);
      } catch {
        prepared.set(id, null);
      }
    }
  }
  return rows.map((r) => {
    const out: Payload = { properties: parseObject(r.properties ?? null), traits: parseObject(r.traits ?? null), context: parseObject(r.context ?? null) };
    const entry = fromLog(r) ? prepared.get(r.batch_id!) : null;
    if (!entry) return out;
    try {
      const e = formatOf(entry.row.format).message(entry.prepared, Number(entry.row.received_at), entry.row.id, r.batch_position!);
      for (const c of wanted) if (r[c] == null) out[c] = e[c] ?? null;
    } catch {
      /* read as empty */
    }
    return out;
  });
}

/** The properties of one event row (see eventPayloads). */
export async function eventPropertiesOf(db: Db | Tx, row: Pick<PayloadColumns, 'batch_id' | 'batch_position' | 'properties'>): Promise<Record<string, unknown> | null> {
  return (await eventPayloads(db, [row], ['properties']))[0].properties;
}

/**
 * Empties these messages in their batches (an erasure, or messages projection did not store: a
 * redelivery, one set aside), and removes batches left with nothing stored from them.
 */
export async function blankBatchMessages(tx: Db | Tx, positions: Map<string, number[]>, emptyBatches: string[] = []): Promise<void> {
  for (const id of emptyBatches) cache.delete(id);
  for (let i = 0; i < emptyBatches.length; i += 500) await tx.deleteFrom('batches').where('id', 'in', emptyBatches.slice(i, i + 500)).execute();
  if (!positions.size) return;
  const rows = await batchBodies(tx, [...positions.keys()]);
  for (const [id, list] of positions) {
    const row = rows.get(id);
    if (!row || !list.length) continue;
    cache.delete(id);
    await tx.updateTable('batches').set({ body: formatOf(row.format).blank(row.body, list) }).where('id', '=', id).execute();
  }
}

/** A JSON object's text parsed, or null (for anything else, or text that is not JSON). */
export function parseObject(text: string | null): Record<string, unknown> | null {
  if (text == null || text === '') return null;
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}
