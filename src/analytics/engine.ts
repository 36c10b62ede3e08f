import { ANALYZED_ANSWER_KEYS, answerChanges } from '../domain/facts.ts';
import { answersAfter, answersByIds } from '../store/answer-feed.ts';
import type { Db } from '../store/db.ts';
import { headPosition, readFacts } from '../store/facts.ts';
import { timeZoneOfWorkspace } from '../store/workspaces.ts';
import { AnswerColumns } from './columns.ts';
import { setTimeZone } from './dimensions.ts';

/**
 * Keeps each workspace's answers in memory as columns, kept up to date from the bus.
 *
 * A read first catches up: it reads the workspace's facts committed after the position it holds
 * (one indexed query when nothing changed; reads at the same moment share it) and reads again the
 * answers they say were created or changed, dropping those erased. So a figure includes every
 * answer committed before it was asked for, with no timer running for idle workspaces, and any
 * number of processes can do this against one database. The log is pruned after a week, so a
 * workspace not read for a day is loaded afresh.
 *
 * The same read takes the workspace's time zone, so days, weeks, hours and weekdays follow its
 * midnight from the first figure asked for after the zone changes (cubes and derived columns of
 * another zone are built again, see cube.ts and dimensions.ts).
 */
const LOAD_PAGE = 20_000;
const FEED_PAGE = 1_000;
const RELOAD_IDLE_MS = 86_400_000;

interface WorkspaceAnswers {
  columns: AnswerColumns;
  /** The bus position read up to */
  position: number;
  readAt: number;
  refreshing: Promise<void> | null;
}

export class InsightEngine {
  private readonly workspaces = new Map<string, Promise<WorkspaceAnswers>>();

  constructor(private readonly db: Db) {}

  /** The workspace's answers, caught up with the database and set to count in its time zone. */
  async answers(workspaceId: string): Promise<AnswerColumns> {
    let entry = this.workspaces.get(workspaceId);
    if (entry && Date.now() - (await entry).readAt > RELOAD_IDLE_MS) {
      if (this.workspaces.get(workspaceId) === entry) this.workspaces.delete(workspaceId);
      entry = this.workspaces.get(workspaceId);
    }
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
    // Facts from here on are read by catchUp; answers changed during the load are read twice, harmlessly.
    const position = await headPosition(this.db);
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
    return { columns, position, readAt: Date.now(), refreshing: null };
  }

  private async catchUp(workspaceId: string, w: WorkspaceAnswers): Promise<void> {
    const [zone] = await Promise.all([timeZoneOfWorkspace(this.db, workspaceId), this.readFacts(workspaceId, w)]);
    setTimeZone(w.columns, zone);
    w.readAt = Date.now();
  }

  private async readFacts(workspaceId: string, w: WorkspaceAnswers): Promise<void> {
    for (;;) {
      const batches = await readFacts(this.db, w.position, { workspaceId, limit: FEED_PAGE, wants: (k) => ANALYZED_ANSWER_KEYS.has(k) });
      if (!batches.length) return;
      // Analyses too: a comment's themes and sentiment are filters and breakdowns like any other.
      const { upserted, erased } = answerChanges(batches, { analyzed: true });
      for (const id of erased) w.columns.remove(id);
      const rows = await answersByIds(this.db, workspaceId, upserted);
      for (const row of rows) w.columns.upsert(row);
      // Changed, then erased by a commit after these facts: the erasure's own fact follows.
      const found = new Set(rows.map((r) => r.id));
      for (const id of upserted) if (!found.has(id)) w.columns.remove(id);
      w.position = batches[batches.length - 1].position;
      if (batches.length < FEED_PAGE) return;
    }
  }
}
