import type { PersonNames } from '../domain/person-label.ts';
import { liveAnswersChangedSince, type FeedPosition, type LiveAnswerRow } from '../store/answer-feed.ts';
import type { Db } from '../store/db.ts';
import { nameProfiles } from '../store/profiles.ts';

/** One answer as the live feed sends it. */
export interface LiveAnswer {
  /** Where it sits in the feed (change time and id), for resuming after it */
  position: FeedPosition;
  data: {
    id: string;
    at: string;
    score: number;
    category: string;
    comment: string | null;
    channel: string;
    surveyId: string | null;
    /** The survey's name, when the answer names one of the workspace's surveys */
    surveyTitle: string | null;
    profileId: string;
    /** Name, email and phone as known, null for an anonymous person */
    person: PersonNames | null;
    /** How to show the person: name, else email, else phone, else an id */
    personLabel: string;
    /** person.name and person.email, as the feed carried them before `person` */
    name: string | null;
    email: string | null;
  };
}

export type LiveListener = (answers: LiveAnswer[]) => void;

// As in the insight engine: change times are stamped when a writer's transaction starts, so one that
// commits late carries a time older than answers already read. Each poll re-reads this far back and
// skips what it has already sent at that version.
const OVERLAP_MS = 5_000;
const PAGE = 1_000;
/** While polls fail (the database restarting or away), the longest wait before the next try. */
const RETRY_MAX_MS = 2_000;

/**
 * The rows as the feed sends them. The feed's query brings traits along; the identities of people
 * whose traits lack an email or phone come in one more query for the whole page, not one per answer.
 */
async function toLive(db: Db, workspaceId: string, rows: LiveAnswerRow[]): Promise<LiveAnswer[]> {
  if (!rows.length) return [];
  const people = await nameProfiles(db, workspaceId, rows.map((r) => ({ id: r.profile_id, traits: r.traits, userId: r.user_id })));
  return rows.map((row) => {
    const { person, label } = people.get(row.profile_id)!;
    return {
      position: { at: Number(row.updated_at), id: row.id },
      data: {
        id: row.id,
        at: new Date(Number(row.answered_at)).toISOString(),
        score: row.score,
        category: row.category,
        comment: row.comment,
        channel: row.channel,
        surveyId: row.survey_id,
        surveyTitle: row.survey_title ?? null,
        profileId: row.profile_id,
        person,
        personLabel: label,
        name: person?.name ?? null,
        email: person?.email ?? null,
      },
    };
  });
}

/**
 * Follows one workspace's answers for whoever is watching: one poll of the (workspace_id,
 * updated_at) index every pollMs however many dashboards are open, and none once the last leaves.
 * Polling rather than an in-process signal, so answers stored by any process sharing the database
 * arrive the same way.
 */
class WorkspaceFeed {
  readonly listeners = new Set<LiveListener>();
  /** Versions sent recently (answer id → change time), so the overlap is not sent twice. */
  private readonly seen = new Map<string, number>();
  private upTo = Date.now();
  /** Set while a burst is being read a page at a time. */
  private resume: FeedPosition | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Polls failed in a row. */
  private failing = 0;
  readonly ready: Promise<void>;

  constructor(private readonly db: Db, private readonly workspaceId: string, private readonly pollMs: number, private readonly onError: (err: unknown) => void) {
    this.ready = this.prime();
  }

  /** Marks what is already there as sent: watchers get what changes from now on. */
  private async prime(): Promise<void> {
    let after: FeedPosition | null = null;
    for (;;) {
      const rows = await liveAnswersChangedSince(this.db, this.workspaceId, this.upTo - OVERLAP_MS, after, PAGE);
      for (const r of rows) this.note(r);
      if (rows.length < PAGE) break;
      after = { at: Number(rows[rows.length - 1].updated_at), id: rows[rows.length - 1].id };
    }
    this.schedule(this.pollMs);
  }

  private note(row: LiveAnswerRow): boolean {
    const at = Number(row.updated_at);
    if (this.seen.get(row.id) === at) return false;
    this.seen.delete(row.id); // re-inserted at the end, keeping the map roughly in time order
    this.seen.set(row.id, at);
    if (at > this.upTo) this.upTo = at;
    return true;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll(), ms).unref();
  }

  private async poll(): Promise<void> {
    let delay = this.pollMs;
    try {
      const rows = await liveAnswersChangedSince(this.db, this.workspaceId, this.upTo - OVERLAP_MS, this.resume, PAGE);
      // Named before being marked as sent: a failure naming them leaves them to the next poll.
      const unseen = rows.filter((r) => this.seen.get(r.id) !== Number(r.updated_at));
      const fresh = await toLive(this.db, this.workspaceId, unseen);
      for (const r of unseen) this.note(r);
      this.resume = rows.length === PAGE ? { at: Number(rows[rows.length - 1].updated_at), id: rows[rows.length - 1].id } : null;
      if (this.resume) delay = 0; // a burst: read on without waiting
      this.forgetBefore(this.upTo - OVERLAP_MS);
      this.failing = 0;
      if (fresh.length && !this.stopped) for (const listener of this.listeners) listener(fresh);
    } catch (err) {
      // Watchers stay connected through an outage and get what changed once the database is back
      // (nothing is marked as read until it has been read). Said once, and asked less often meanwhile.
      if (this.failing++ === 0) this.onError(err);
      delay = Math.min(RETRY_MAX_MS, this.pollMs * 2 ** this.failing);
    }
    this.schedule(delay);
  }

  private forgetBefore(cutoff: number): void {
    for (const [id, at] of this.seen) {
      if (at >= cutoff) break;
      this.seen.delete(id);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.listeners.clear();
  }
}

export class LiveAnswers {
  private readonly feeds = new Map<string, WorkspaceFeed>();

  constructor(private readonly db: Db, private readonly options: { pollMs?: number; onError?: (err: unknown) => void } = {}) {}

  /**
   * Calls `listener` with every answer of the workspace stored or changed after this resolves.
   * Returns the function that stops it; the workspace's poll stops with its last listener.
   */
  async subscribe(workspaceId: string, listener: LiveListener): Promise<() => void> {
    let feed = this.feeds.get(workspaceId);
    if (!feed) {
      feed = new WorkspaceFeed(this.db, workspaceId, this.options.pollMs ?? Number(process.env.ADVOCATE_LIVE_POLL_MS ?? 250), this.options.onError ?? (() => {}));
      this.feeds.set(workspaceId, feed);
    }
    const f = feed;
    f.listeners.add(listener);
    try {
      await f.ready;
    } catch (err) {
      this.drop(workspaceId, f);
      throw err;
    }
    return () => {
      f.listeners.delete(listener);
      if (f.listeners.size === 0) this.drop(workspaceId, f);
    };
  }

  /** Answers stored or changed after `position`, in feed order: what a reconnecting watcher missed. */
  async after(workspaceId: string, position: FeedPosition, limit: number): Promise<LiveAnswer[]> {
    const out: LiveAnswer[] = [];
    let after = position;
    while (out.length < limit) {
      const want = Math.min(PAGE, limit - out.length);
      const rows = await liveAnswersChangedSince(this.db, workspaceId, 0, after, want);
      out.push(...(await toLive(this.db, workspaceId, rows)));
      if (rows.length < want) break;
      after = out[out.length - 1].position;
    }
    return out;
  }

  /** Workspaces being watched now (for tests and diagnostics). */
  get watched(): number {
    return this.feeds.size;
  }

  close(): void {
    for (const [id, feed] of this.feeds) this.drop(id, feed);
  }

  private drop(workspaceId: string, feed: WorkspaceFeed): void {
    feed.stop();
    if (this.feeds.get(workspaceId) === feed) this.feeds.delete(workspaceId);
  }
}
