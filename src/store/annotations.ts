import { sql } from 'kysely';
import { newId } from '../domain/ids.ts';
import type { Db, Tx } from './db.ts';
import type { AnnotationTable } from './schema.ts';

export interface NewAnnotation {
  at: number;
  kind: AnnotationTable['kind'];
  label: string;
  source: string;
}

/** One annotation per kind and label: a campaign sent as an event to every recipient is marked once, at its first send. */
export async function addAnnotation(db: Db | Tx, workspaceId: string, a: NewAnnotation, now = Date.now()): Promise<AnnotationTable> {
  const row: AnnotationTable = { id: newId('ann', now), workspace_id: workspaceId, at: a.at, kind: a.kind, label: a.label, source: a.source, created_at: now };
  await db.insertInto('annotations').values(row).onConflict((oc) => oc.columns(['workspace_id', 'kind', 'label']).doUpdateSet({ at: sql`case when excluded.at < annotations.at then excluded.at else annotations.at end` })).execute();
  return (await db.selectFrom('annotations').selectAll().where('workspace_id', '=', workspaceId).where('kind', '=', a.kind).where('label', '=', a.label).executeTakeFirstOrThrow());
}

/** When each of these (kind, label) annotations is marked, for those that exist; keyed `kind\u0000label`. */
export async function annotationTimes(db: Db | Tx, workspaceId: string, labels: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < labels.length; i += 500) {
    const rows = await db.selectFrom('annotations').select(['kind', 'label', 'at']).where('workspace_id', '=', workspaceId).where('label', 'in', labels.slice(i, i + 500)).execute();
    for (const r of rows) out.set(`${r.kind}\u0000${r.label}`, Number(r.at));
  }
  return out;
}

export async function annotationsBetween(db: Db, workspaceId: string, from: number, to: number): Promise<AnnotationTable[]> {
  return db.selectFrom('annotations').selectAll().where('workspace_id', '=', workspaceId).where('at', '>=', from).where('at', '<', to).orderBy('at').execute();
}

export async function deleteAnnotation(db: Db, workspaceId: string, id: string): Promise<boolean> {
  return Number((await db.deleteFrom('annotations').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
}
