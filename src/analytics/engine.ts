import { answerDeletionsSince, answersAfter, answersChangedSince } from '../store/answer-feed.ts';
import type { Db } from '../store/db.ts';
import { timeZoneOfWorkspace } from '../store/workspaces.ts';
import { AnswerColumns } from './columns.ts';
import { setTimeZone } from './dimensions.ts';

/**
 * Keeps each workspace's answers in memory as columns and up to date by reading what changed.
 *
 * A read first catches up (one indexed query when nothing changed; reads at the same moment share
 * it), so a figure includes every answer stored before it was asked for, with no timer running for idle workspaces; any number of processes can
 * do this against one database. Change times are stamped when a writer's transaction starts, so a
 * transaction that commits late can carry times older than ones already read: the feed is re-read
 * from OVERLAP_MS back, and rows already held at that version are skipped.
 *
 * The same read takes the workspace's time zone, so days, weeks, hours and weekdays follow its
 * midnight from the first figure asked for after the zone changes (cubes and derived columns of
 * another zone are built again, see cube.ts and dimensions.ts).
 */
const OVERLAP_MS = 5_000;
const LOAD_PAGE = 20_000;
const FEED_PAGE = 10_000;

interface WorkspaceAnswers {
  columns: AnswerColumns;
  /** Change times read up to (ms) */
  changedUpTo: number;
  deletedUpTo: number;
  refreshing: Promise<void> | null;
}

export class InsightEngine {
  private readonly workspaces = new Map<string, Promise<WorkspaceAnswers>>();

  constructor(private readonly db: Db) {}

  /** The workspace's answers, caught up with the database and set to count in its time zone. */
  async answers(workspaceId: string): Promise<AnswerColumns> {
    let entry = this.workspaces.get(workspaceId);
    if (!entry) {
      entry = this.load(workspaceId);
      this.workspaces.set(workspaceId, entry);
      entry.catch(() => this.workspaces.delete(workspaceId));
    }
    const w = await entry;
    w.refreshing ??= this.catchUp(workspaceId, w).finally(() => {
      w.refreshing = null;
    });
    await w.refreshing;
    return w.columns;
  }

  /** Drops what is held (a workspace deleted, or tests); the next read loads again. */
  forget(workspaceId?: string): void {
    if (workspaceId) this.workspaces.delete(workspaceId);
    else this.workspaces.clear();
  }

  private async load(workspaceId: string): Promise<WorkspaceAnswers> {
    // Changes from here on are read by the feed; those during the load are read twice, harmlessly.
    const started = Date.now();
    const columns = new AnswerColumns();
    let after: string | null = null;
    for (;;) {
      const page = await answersAfter(this.db, workspaceId, after, LOAD_PAGE);
      for (const row of page) columns.upsert(row);
      if (page.length < LOAD_PAGE) break;
      after = page[page.length - 1].id;
      // Let requests in between pages: a first load of a million answers takes seconds.
      await new Promise((r) => setImmediate(r));
    }
    return { columns, changedUpTo: started, deletedUpTo: started, refreshing: null };
  }

  private async catchUp(workspaceId: string, w: WorkspaceAnswers): Promise<void> {
    const [zone] = await Promise.all([timeZoneOfWorkspace(this.db, workspaceId), this.readChanges(workspaceId, w)]);
    setTimeZone(w.columns, zone);
  }

  private async readChanges(workspaceId: string, w: WorkspaceAnswers): Promise<void> {
    let after: { at: number; id: string } | null = null;
    let latest = w.changedUpTo;
    for (;;) {
      const page = await answersChangedSince(this.db, workspaceId, w.changedUpTo - OVERLAP_MS, after, FEED_PAGE);
      for (const row of page) {
        w.columns.upsert(row);
        latest = Math.max(latest, Number(row.updated_at));
      }
      if (page.length < FEED_PAGE) break;
      const last = page[page.length - 1];
      after = { at: Number(last.updated_at), id: last.id };
    }
    let deletedLatest = w.deletedUpTo;
    for (const d of await answerDeletionsSince(this.db, workspaceId, w.deletedUpTo - OVERLAP_MS)) {
      w.columns.remove(d.answer_id);
      deletedLatest = Math.max(deletedLatest, Number(d.deleted_at));
    }
    w.changedUpTo = latest;
    w.deletedUpTo = deletedLatest;
  }
}
