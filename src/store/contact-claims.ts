import { dialectOf } from './dialect.ts';
import { getContact, updateContact } from './contacts.ts';
import { retryWhileBusy, type Db, type Tx } from './db.ts';
import type { ContactStatus } from './schema.ts';

export type ClaimResult =
  | { claimed: true }
  /** `reason` is null when the contact was no longer waiting to be sent (cancelled, or claimed by another attempt). */
  | { claimed: false; reason: string | null };

const WAITING: ContactStatus[] = ['scheduled', 'failed'];

/**
 * Claims a waiting contact for sending, so that "count this person's recent contacts, then send"
 * cannot interleave with another send to the same person, in this process or another. In one
 * transaction: `refusal` reads the person's history and says why not (or null), and the contact
 * becomes 'sending' (which counts as asked: the next claim for this person sees it) or 'skipped'
 * with the reason. The transaction holds no network I/O: the message is sent after it commits,
 * and a failed attempt gives the claim back (delivery.ts).
 *
 * PostgreSQL: an advisory lock per workspace and person comes first (two-key form, so it never
 * meets lockWorkspace's one-key locks); under read committed the reads after it see the claim it
 * waited for. SQLite: one process's transactions share one connection and never interleave; across
 * processes, a transaction that read before another's claim committed cannot write afterwards
 * (SQLITE_BUSY_SNAPSHOT), so it is run again and then reads that claim. The reads come before the
 * first write so that the database's single write lock is held only from the claim to the commit:
 * the event projector's transactions give up at once when they meet a held write lock.
 */
export async function claimContact(db: Db, workspaceId: string, contactId: string, personKey: string, refusal: (tx: Tx, now: number) => Promise<string | null>): Promise<ClaimResult> {
  const dialect = dialectOf(db);
  const claim = () =>
    db.transaction().execute(async (tx): Promise<ClaimResult> => {
      await dialect.lockKeys(tx, `contact-budget:${workspaceId}`, personKey);
      // The time is read once the lock is held: a claim that waited for it must not judge the
      // claim it waited for (stamped later) as lying in its future.
      const now = Date.now();
      const row = await getContact(tx, workspaceId, contactId);
      if (!row || !WAITING.includes(row.status)) return { claimed: false, reason: null };
      const reason = await refusal(tx, now);
      const patch = reason == null ? { status: 'sending' as const, contacted_at: now, updated_at: now } : { status: 'skipped' as const, reason, updated_at: now };
      if (!(await updateContact(tx, workspaceId, contactId, patch, WAITING))) return { claimed: false, reason: null };
      return reason == null ? { claimed: true } : { claimed: false, reason };
    });
  return retryWhileBusy(dialect, 20, (attempt) => 5 + Math.random() * 20 * attempt, claim);
}
