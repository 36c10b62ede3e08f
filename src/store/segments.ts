import type { FieldCondition } from '../domain/conditions.ts';
import { newId } from '../domain/ids.ts';
import { fromJson, toJson, type Db } from './db.ts';

export interface Segment {
  id: string;
  workspaceId: string;
  name: string;
  conditions: FieldCondition[];
  createdAt: number;
  updatedAt: number;
}

const toSegment = (r: { id: string; workspace_id: string; name: string; conditions: string; created_at: number; updated_at: number }): Segment => ({
  id: r.id, workspaceId: r.workspace_id, name: r.name, conditions: fromJson<FieldCondition[]>(r.conditions, []), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});

export async function createSegment(db: Db, workspaceId: string, name: string, conditions: FieldCondition[], now = Date.now()): Promise<Segment> {
  const row = { id: newId('seg', now), workspace_id: workspaceId, name, conditions: toJson(conditions), created_at: now, updated_at: now };
  await db.insertInto('segments').values(row).execute();
  return toSegment(row);
}

export async function getSegment(db: Db, workspaceId: string, id: string): Promise<Segment | null> {
  const row = await db.selectFrom('segments').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  return row ? toSegment(row) : null;
}

export async function listSegments(db: Db, workspaceId: string): Promise<Segment[]> {
  return (await db.selectFrom('segments').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').execute()).map(toSegment);
}

export async function updateSegment(db: Db, workspaceId: string, id: string, name: string, conditions: FieldCondition[], now = Date.now()): Promise<Segment | null> {
  const r = await db.updateTable('segments').set({ name, conditions: toJson(conditions), updated_at: now }).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) ? getSegment(db, workspaceId, id) : null;
}

export async function deleteSegment(db: Db, workspaceId: string, id: string): Promise<boolean> {
  return Number((await db.deleteFrom('segments').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
}
