import { dialectOf } from './dialect.ts';
import { decodeFacts, encodeFacts, factKeys, type Fact, type FactBatch } from '../domain/facts.ts';
import type { Db, Tx } from './db.ts';

/** The NOTIFY channel peers listen on (PostgreSQL). */
export const FACTS_CHANNEL = 'advocate_facts';

// Any constant: the one advisory lock that orders every append across processes.
const APPEND_LOCK = 0x61647663;

/**
 * Adds the facts a transaction commits to the log, per workspace. Call it last in the transaction:
 * on PostgreSQL it takes a lock held to commit, so that positions are handed out in commit order
 * and a reader that has seen position N has seen everything before it; and it notifies the
 * processes listening, which PostgreSQL delivers at commit. SQLite has one writer at a time.
 */
export async function appendFacts(tx: Db | Tx, byWorkspace: Map<string, Fact[]>, at = Date.now()): Promise<void> {
  const rows = [...byWorkspace].filter(([, facts]) => facts.length).map(([workspace_id, facts]) => ({ workspace_id, at, keys: JSON.stringify(factKeys(facts)), body: encodeFacts(facts) }));
  if (!rows.length) return;
  const dialect = dialectOf(tx);
  await dialect.lockKeys(tx, APPEND_LOCK);
  await tx.insertInto('facts').values(rows).execute();
  await dialect.notify(tx, FACTS_CHANNEL);
}

/** One workspace's facts (a command outside projection), last in its transaction as above. */
export async function appendWorkspaceFacts(tx: Db | Tx, workspaceId: string, facts: Fact[], at = Date.now()): Promise<void> {
  await appendFacts(tx, new Map([[workspaceId, facts]]), at);
}

/** The newest position committed (0 before the first). */
export async function headPosition(db: Db | Tx): Promise<number> {
  const row = await db.selectFrom('facts').select((eb) => eb.fn.max('position').as('p')).executeTakeFirst();
  return Number(row?.p ?? 0);
}

export interface ReadFactsOptions {
  workspaceId?: string;
  limit: number;
  wants?: (key: string, workspaceId: string) => boolean;
}

/**
 * Batches after `after`, in commit order, of every workspace or one. With `wants` (a test of
 * factKeys), batches holding nothing it wants come with no facts, undecoded: a projection step can
 * announce tens of thousands of events, and most readers want a few kinds of fact.
 */
export async function readFacts(db: Db | Tx, after: number, options: ReadFactsOptions): Promise<FactBatch[]> {
  const out: FactBatch[] = [];
  for await (const batch of factBatches(db, after, options)) out.push(batch);
  return out;
}

/**
 * The same batches one at a time, their bodies read and decoded only as the reader gets to them
 * (a few first, then more at a time): a reader that stops after a few hundred facts does not pay
 * for the tens of thousands the page may hold, and reads them again next step.
 */
export async function* factBatches(db: Db | Tx, after: number, options: ReadFactsOptions): AsyncGenerator<FactBatch> {
  let q = db.selectFrom('facts').select(['position', 'workspace_id', 'at', 'keys']).where('position', '>', after);
  if (options.workspaceId) q = q.where('workspace_id', '=', options.workspaceId);
  const rows = await q.orderBy('position').limit(options.limit).execute();
  const wants = options.wants;
  const wanted = rows.map((r) => !wants || (JSON.parse(r.keys) as string[]).some((k) => wants(k, r.workspace_id)));
  const bodies = new Map<number, string>();
  let loadedTo = 0; // rows before this index have their wanted bodies in `bodies`
  let group = 4;
  for (let i = 0; i < rows.length; i++) {
    if (i >= loadedTo) {
      const positions: number[] = [];
      for (; loadedTo < rows.length && positions.length < group; loadedTo++) if (wanted[loadedTo]) positions.push(Number(rows[loadedTo].position));
      group = Math.min(group * 4, 200);
      if (positions.length) {
        for (const b of await db.selectFrom('facts').select(['position', 'body']).where('position', 'in', positions).execute()) bodies.set(Number(b.position), b.body);
      }
    }
    const r = rows[i];
    const position = Number(r.position);
    const body = bodies.get(position);
    bodies.delete(position);
    yield { position, workspaceId: r.workspace_id, at: Number(r.at), facts: body ? decodeFacts(body) : [] };
  }
}

/** The last position committed before `at` (ms), for readers that kept a time rather than a position. */
export async function positionBefore(db: Db, workspaceId: string, at: number): Promise<number> {
  const row = await db.selectFrom('facts').select((eb) => eb.fn.max('position').as('p')).where('workspace_id', '=', workspaceId).where('at', '<', at).executeTakeFirst();
  return Number(row?.p ?? 0);
}

/**
 * Drops batches older than `before` (ms) that every durable consumer has handled (`upTo`), keeping
 * the newest row so positions never start again. Returns how many went.
 */
export async function pruneFacts(db: Db, before: number, upTo: number): Promise<number> {
  const head = await headPosition(db);
  const r = await db.deleteFrom('facts').where('at', '<', before).where('position', '<=', upTo).where('position', '<', head).executeTakeFirst();
  return Number(r.numDeletedRows ?? 0);
}
