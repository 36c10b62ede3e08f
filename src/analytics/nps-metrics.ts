import { npsSummary, type NpsCounts, type NpsSummary } from '../domain/nps.ts';
import type { Db } from '../store/db.ts';

export interface NpsFilter {
  from?: number;
  to?: number;
  channel?: string[];
  surveyId?: string[];
  stage?: string[];
}

export interface NpsMetrics extends NpsSummary {
  from: string | null;
  to: string | null;
  filters: Omit<NpsFilter, 'from' | 'to'>;
}

/** Counts per category for the answers matching a filter; `to` is exclusive. */
export async function npsCounts(db: Db, workspaceId: string, f: NpsFilter): Promise<NpsCounts> {
  let q = db
    .selectFrom('answers')
    .select(['category', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', workspaceId);
  if (f.from != null) q = q.where('answered_at', '>=', f.from);
  if (f.to != null) q = q.where('answered_at', '<', f.to);
  if (f.channel?.length) q = q.where('channel', 'in', f.channel);
  if (f.surveyId?.length) q = q.where('survey_id', 'in', f.surveyId);
  if (f.stage?.length) q = q.where('stage', 'in', f.stage);
  const rows = await q.groupBy('category').execute();
  const counts: NpsCounts = { promoters: 0, passives: 0, detractors: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    if (r.category === 'promoter') counts.promoters = n;
    else if (r.category === 'passive') counts.passives = n;
    else counts.detractors = n;
  }
  return counts;
}

export async function npsMetrics(db: Db, workspaceId: string, f: NpsFilter): Promise<NpsMetrics> {
  const summary = npsSummary(await npsCounts(db, workspaceId, f));
  return {
    ...summary,
    from: f.from != null ? new Date(f.from).toISOString() : null,
    to: f.to != null ? new Date(f.to).toISOString() : null,
    filters: { channel: f.channel, surveyId: f.surveyId, stage: f.stage },
  };
}
