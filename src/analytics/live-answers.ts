import type { PersonNames } from '../domain/person-label.ts';
import { ANSWER_KEYS, type FactBatch } from '../domain/facts.ts';
import { liveAnswersByIds, type LiveAnswerRow } from '../store/answer-feed.ts';
import type { Db } from '../store/db.ts';
import { headPosition, readFacts } from '../store/facts.ts';
import { nameProfiles } from '../store/profiles.ts';

/** One answer as the live feed sends it. */
export interface LiveAnswer {
  /** Where it sits in the feed, for resuming after it */
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

/**
 * A place in the feed: the bus position of the commit that created or changed the answer, and the
 * answer's place among that commit's answers. `index: Infinity` stands for "after the whole commit".
 */
export interface FeedPosition {
  position: number;
  index: number;
}

export const laterInFeed = (a: FeedPosition, b: FeedPosition) => a.position > b.position || (a.position === b.position && a.index > b.index);

export type LiveListener = (answers: LiveAnswer[]) => void;

/** Where wake-ups come from: the bus (store/bus.ts). */
export interface WakeSource {
  onWake(listener: () => void): () => void;
}

const PAGE = 200;
/** While reads fail (the database restarting or away), the longest wait before the next try. */
const RETRY_MAX_MS = 2_000;

/** The answers each commit created or changed, once per commit, in the order it named them. */
function answersOf(batch: FactBatch): string[] {
  const ids = new Set<string>();
  for (const f of batch.facts) if (f.type === 'answer.created' || f.type === 'answer.changed') ids.add(f.answerId);
  return [...ids];
}

/**
 * The answers created or changed by these commits, as the feed sends them, skipping those up to
 * `after`. The feed's query brings traits along; the identities of people whose traits lack an
 * email or phone come in one more query for the whole page, not one per answer.
 */
async function toLive(db: Db, workspaceId: string, batches: FactBatch[], after: FeedPosition | null): Promise<LiveAnswer[]> {
  const wanted: Array<{ id: string; position: FeedPosition }> = [];
  for (const b of batches) {
    answersOf(b).forEach((id, index) => {
      const position = { position: b.position, index };
      if (!after || laterInFeed(position, after)) wanted.push({ id, position });
    });
  }
  if (!wanted.length) return [];
  const rows = new Map((await liveAnswersByIds(db, workspaceId, [...new Set(wanted.map((w) => w.id))])).map((r) => [r.id, r]));
  const present = [...rows.values()];
  const people = await nameProfiles(db, workspaceId, present.map((r) => ({ id: r.profile_id, traits: r.traits, userId: r.user_id })));
  const out: LiveAnswer[] = [];
  for (const w of wanted) {
    // Erased since: nothing to show.
    const row = rows.get(w.id);
    if (!row) continue;
    const { person, label } = people.get(row.profile_id)!;
    out.push({
      position: w.position,
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
    });
  }
  return out;
}

/**
 * Follows one workspace's answers for whoever is watching: on each wake-up of the bus, one read of
 * the workspace's facts after the position it holds however many dashboards are open, and none
 * once the last leaves. The bus wakes it for commits of any process sharing the database.
 */
class WorkspaceFeed {
  readonly listeners = new Set<LiveListener>();
  private position = 0;
  private reading: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Reads failed in a row. */
  private failing = 0;
  private readonly unwake: () => void;
  readonly ready: Promise<void>;

  constructor(private readonly db: Db, bus: WakeSource, private readonly workspaceId: string, private readonly onError: (err: unknown) => void) {
    this.ready = headPosition(db).then((p) => {
      this.position = p;
    });
    this.unwake = bus.onWake(() => this.wake());
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.read().finally(() => {
      this.reading = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async read(): Promise<void> {
    try {
      await this.ready;
      for (;;) {
        const batches = await readFacts(this.db, this.position, { workspaceId: this.workspaceId, limit: PAGE, wants: (k) => ANSWER_KEYS.has(k) });
        if (!batches.length) break;
        const fresh = await toLive(this.db, this.workspaceId, batches, null);
        // Marked as read once named: a failure naming them leaves them to the next read.
        this.position = batches[batches.length - 1].position;
        if (fresh.length && !this.stopped) for (const listener of this.listeners) listener(fresh);
        if (batches.length < PAGE) break;
      }
      this.failing = 0;
    } catch (err) {
      // Watchers stay connected through an outage and get what changed once the database is back
      // (nothing is marked as read until it has been read). Said once, and tried again meanwhile.
      if (this.failing++ === 0) this.onError(err);
      if (!this.retry && !this.stopped) {
        this.retry = setTimeout(() => {
          this.retry = null;
          this.wake();
        }, Math.min(RETRY_MAX_MS, 100 * 2 ** this.failing)).unref();
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.unwake();
    if (this.retry) clearTimeout(this.retry);
    this.listeners.clear();
  }
}

export class LiveAnswers {
  private readonly feeds = new Map<string, WorkspaceFeed>();

  constructor(private readonly db: Db, private readonly bus: WakeSource, private readonly options: { onError?: (err: unknown) => void } = {}) {}

  /**
   * Calls `listener` with every answer of the workspace stored or changed after this resolves.
   * Returns the function that stops it; the workspace's reads stop with its last listener.
   */
  async subscribe(workspaceId: string, listener: LiveListener): Promise<() => void> {
    let feed = this.feeds.get(workspaceId);
    if (!feed) {
      feed = new WorkspaceFeed(this.db, this.bus, workspaceId, this.options.onError ?? (() => {}));
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

  /** Answers stored or changed after `from`, in feed order: what a reconnecting watcher missed. */
  async after(workspaceId: string, from: FeedPosition, limit: number): Promise<LiveAnswer[]> {
    const out: LiveAnswer[] = [];
    // The commit at from.position itself may hold answers after from.index.
    let position = from.index === Infinity ? from.position : from.position - 1;
    while (out.length < limit) {
      const batches = await readFacts(this.db, position, { workspaceId, limit: PAGE, wants: (k) => ANSWER_KEYS.has(k) });
      if (!batches.length) break;
      out.push(...(await toLive(this.db, workspaceId, batches, from)));
      position = batches[batches.length - 1].position;
      if (batches.length < PAGE) break;
    }
    return out.slice(0, limit);
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
