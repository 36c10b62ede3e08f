import type { PersonNames } from '../domain/person-label.ts';
import { ANALYZED_ANSWER_KEYS, type FactBatch } from '../domain/facts.ts';
import { textView } from '../text/text-view.ts';
import { commentsChangedSince, liveAnswersByIds } from '../store/answer-feed.ts';
import { answerTextsOf, type AnswerText } from '../store/answer-texts.ts';
import type { Db } from '../store/db.ts';
import { headPosition, readFacts } from '../store/facts.ts';
import { nameProfiles } from '../store/profiles.ts';
import { themeNamer, workspaceTaxonomy } from '../text/taxonomies.ts';

/** What a comment was found to say, as the API shows it (GET /api/v1/answers items' `text`). */
export type LiveText = ReturnType<typeof textView>;

/** One answer as the live feed sends it (an `answer` event). */
export interface LiveAnswer {
  kind: 'answer';
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
    /** The comment's analysis as stored now: null without a comment or before it is analysed */
    text: LiveText | null;
  };
}

/** An answer's comment analysed (again) after its `answer` event went out (an `analysis` event). */
export interface LiveAnalysis {
  kind: 'analysis';
  position: FeedPosition;
  data: { id: string; text: LiveText | null };
}

/** What the feed sends; `kind` names the server-sent event that carries it. */
export type LiveItem = LiveAnswer | LiveAnalysis;

/**
 * A place in the feed: the bus position of the commit that created, changed or analysed the
 * answer, and the item's place among that commit's items. `index: Infinity` stands for "after the
 * whole commit".
 */
export interface FeedPosition {
  position: number;
  index: number;
}

export const laterInFeed = (a: FeedPosition, b: FeedPosition) => a.position > b.position || (a.position === b.position && a.index > b.index);

export type LiveListener = (items: LiveItem[]) => void;

/** Where wake-ups come from: the bus (store/bus.ts). */
export interface WakeSource {
  onWake(listener: () => void): () => void;
}

const PAGE = 200;
/** While reads fail (the database restarting or away), the longest wait before the next try. */
const RETRY_MAX_MS = 2_000;
/**
 * Analyses are passed on only for answers changed at most this long before the analysis was
 * stored. After a theme edit or a new model every comment of the workspace is analysed again, a
 * few hundred per commit: that is no news to someone watching answers arrive, and would flood
 * every open feed (and its replay) with the whole workspace.
 */
const ANALYSIS_NEWS_MS = 60 * 60_000;

interface Wanted {
  kind: LiveItem['kind'];
  id: string;
  position: FeedPosition;
  /** When its commit was made */
  at: number;
}

/**
 * What one commit puts in the feed: the answers it created or changed, then the answers whose
 * analysis it stored or dropped, each once, in the order it named them. Answers first, so that they
 * keep the indexes they had before analyses were in the feed (ids resumed across the upgrade).
 */
function itemsOf(batch: FactBatch): Wanted[] {
  const answers = new Set<string>();
  const analyses = new Set<string>();
  for (const f of batch.facts) {
    if (f.type === 'answer.created' || f.type === 'answer.changed') answers.add(f.answerId);
    else if (f.type === 'answer.analyzed') analyses.add(f.answerId);
  }
  const kinds = [...[...answers].map((id) => ({ kind: 'answer' as const, id })), ...[...analyses].map((id) => ({ kind: 'analysis' as const, id }))];
  return kinds.map((k, index) => ({ ...k, position: { position: batch.position, index }, at: batch.at }));
}

/**
 * What these commits put in the feed, as it sends it, skipping what is up to `after`. Each item
 * carries the answer as it is when read. A few queries for the whole page, not one per answer:
 * the answers with their people's traits, the identities of people whose traits lack an email or
 * phone, the comments of analysed answers, the stored analyses and the theme names.
 */
async function toLive(db: Db, workspaceId: string, batches: FactBatch[], after: FeedPosition | null): Promise<LiveItem[]> {
  const wanted = batches.flatMap(itemsOf).filter((w) => !after || laterInFeed(w.position, after));
  if (!wanted.length) return [];
  const answered = [...new Set(wanted.filter((w) => w.kind === 'answer').map((w) => w.id))];
  const analysed = wanted.filter((w) => w.kind === 'analysis');

  const rows = new Map((await liveAnswersByIds(db, workspaceId, answered)).map((r) => [r.id, r]));
  const since = Math.min(...batches.map((b) => b.at)) - ANALYSIS_NEWS_MS;
  const comments = new Map(analysed.length ? (await commentsChangedSince(db, workspaceId, [...new Set(analysed.map((w) => w.id))], since)).map((r) => [r.id, r]) : []);
  const people = await nameProfiles(db, workspaceId, [...rows.values()].map((r) => ({ id: r.profile_id, traits: r.traits, userId: r.user_id })));
  const commented = [...new Set([...rows.values(), ...comments.values()].filter((r) => r.comment).map((r) => r.id))];
  const texts = commented.length ? await answerTextsOf(db, workspaceId, commented) : new Map<string, AnswerText>();
  const themeName = texts.size ? themeNamer(await workspaceTaxonomy(db, workspaceId)) : (id: string) => id;
  const textOf = (id: string, comment: string | null) => {
    const t = texts.get(id);
    return t && comment ? textView(comment, t, themeName) : null;
  };

  const out: LiveItem[] = [];
  for (const w of wanted) {
    if (w.kind === 'analysis') {
      const answer = comments.get(w.id);
      // Erased since, or no news (ANALYSIS_NEWS_MS).
      if (!answer || answer.updated_at < w.at - ANALYSIS_NEWS_MS) continue;
      out.push({ kind: 'analysis', position: w.position, data: { id: w.id, text: textOf(w.id, answer.comment) } });
      continue;
    }
    // Erased since: nothing to show.
    const row = rows.get(w.id);
    if (!row) continue;
    const { person, label } = people.get(row.profile_id)!;
    out.push({
      kind: 'answer',
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
        text: textOf(row.id, row.comment),
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
        const batches = await readFacts(this.db, this.position, { workspaceId: this.workspaceId, limit: PAGE, wants: (k) => ANALYZED_ANSWER_KEYS.has(k) });
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
   * Calls `listener` with every answer of the workspace stored or changed, and every analysis of
   * one stored or dropped, after this resolves.
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

  /** Answers stored or changed, and analyses, after `from`, in feed order: what a reconnecting watcher missed. */
  async after(workspaceId: string, from: FeedPosition, limit: number): Promise<LiveItem[]> {
    const out: LiveItem[] = [];
    // The commit at from.position itself may hold answers after from.index.
    let position = from.index === Infinity ? from.position : from.position - 1;
    while (out.length < limit) {
      const batches = await readFacts(this.db, position, { workspaceId, limit: PAGE, wants: (k) => ANALYZED_ANSWER_KEYS.has(k) });
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
