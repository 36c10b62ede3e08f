import { newId } from '../domain/ids.ts';
import { normaliseDefinition, type SurveyDefinition, type SurveyDefinitionInput } from '../domain/survey-definition.ts';
import { fromJson, toJson, writeTransactionOn, type Db, type Tx } from './db.ts';
import type { SurveyTable } from './schema.ts';

export interface Survey {
  id: string;
  workspaceId: string;
  name: string;
  status: SurveyTable['status'];
  version: number;
  definition: SurveyDefinition;
  createdAt: number;
  updatedAt: number;
}

function toSurvey(row: SurveyTable, definition: string): Survey {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    status: row.status,
    version: row.version,
    // Normalised again on reading, so a definition stored before a field existed gets its default.
    definition: normaliseDefinition(fromJson<SurveyDefinitionInput>(definition, null as unknown as SurveyDefinitionInput)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function createSurvey(db: Db, workspaceId: string, input: SurveyDefinitionInput, now = Date.now()): Promise<Survey> {
  const id = newId('srv', now);
  const definition = normaliseDefinition(input);
  const row: SurveyTable = { id, workspace_id: workspaceId, name: input.name, status: input.status ?? 'active', version: 1, created_at: now, updated_at: now };
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('surveys').values(row).execute();
    await tx.insertInto('survey_versions').values({ survey_id: id, version: 1, workspace_id: workspaceId, definition: toJson(definition), created_at: now }).execute();
  });
  surveyCache.delete(workspaceId);
  return toSurvey(row, toJson(definition));
}

/**
 * A changed definition becomes a new version; answers keep pointing at the one they answered. The
 * current version is read before the next is written, under the survey's lock (writeTransactionOn).
 */
export async function updateSurvey(db: Db, workspaceId: string, id: string, input: SurveyDefinitionInput, now = Date.now()): Promise<Survey | null> {
  const result = await writeTransactionOn(db, `survey:${id}`, async (tx) => {
    const row = await tx.selectFrom('surveys').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const current = await tx.selectFrom('survey_versions').select('definition').where('survey_id', '=', id).where('version', '=', row.version).executeTakeFirstOrThrow();
    const definition = toJson(normaliseDefinition(input));
    let version = row.version;
    if (definition !== current.definition) {
      version += 1;
      await tx.insertInto('survey_versions').values({ survey_id: id, version, workspace_id: workspaceId, definition, created_at: now }).execute();
    }
    const next: SurveyTable = { ...row, name: input.name, status: input.status ?? row.status, version, updated_at: now };
    await tx.updateTable('surveys').set({ name: next.name, status: next.status, version, updated_at: now }).where('id', '=', id).execute();
    return toSurvey(next, definition);
  });
  surveyCache.delete(workspaceId);
  return result;
}

export async function setSurveyStatus(db: Db, workspaceId: string, id: string, status: SurveyTable['status'], now = Date.now()): Promise<boolean> {
  const r = await db.updateTable('surveys').set({ status, updated_at: now }).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  surveyCache.delete(workspaceId);
  return Number(r.numUpdatedRows) > 0;
}

export async function getSurvey(db: Db, workspaceId: string, id: string, version?: number): Promise<Survey | null> {
  const row = await db.selectFrom('surveys').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  const v = await db.selectFrom('survey_versions').select('definition').where('survey_id', '=', id).where('version', '=', version ?? row.version).executeTakeFirst();
  if (!v) return null;
  return { ...toSurvey(row, v.definition), version: version ?? row.version };
}

export async function listSurveys(db: Db, workspaceId: string, includeArchived = false): Promise<Survey[]> {
  let q = db
    .selectFrom('surveys')
    .innerJoin('survey_versions', (j) => j.onRef('survey_versions.survey_id', '=', 'surveys.id').onRef('survey_versions.version', '=', 'surveys.version'))
    .selectAll('surveys')
    .select('survey_versions.definition')
    .where('surveys.workspace_id', '=', workspaceId);
  if (!includeArchived) q = q.where('surveys.status', '!=', 'archived');
  const rows = await q.orderBy('surveys.created_at', 'desc').execute();
  return rows.map((r) => toSurvey(r, r.definition));
}

export async function surveyVersions(db: Db, workspaceId: string, id: string) {
  const rows = await db.selectFrom('survey_versions').select(['version', 'created_at']).where('workspace_id', '=', workspaceId).where('survey_id', '=', id).orderBy('version', 'desc').execute();
  return rows.map((r) => ({ version: r.version, createdAt: new Date(r.created_at).toISOString() }));
}

// Eligibility runs on every page view with the widget: the active surveys of a workspace are kept
// in memory. Another process changing a survey is seen within CACHE_MS.
const CACHE_MS = 5_000;
const surveyCache = new Map<string, { at: number; surveys: Survey[] }>();

export async function activeSurveys(db: Db, workspaceId: string, now = Date.now()): Promise<Survey[]> {
  const hit = surveyCache.get(workspaceId);
  if (hit && now - hit.at < CACHE_MS) return hit.surveys;
  const surveys = (await listSurveys(db, workspaceId)).filter((s) => s.status === 'active');
  surveyCache.set(workspaceId, { at: now, surveys });
  return surveys;
}

/** Active surveys of every workspace that send on their own (after events or on a schedule). */
export async function automatedSurveys(db: Db | Tx, workspaceId?: string): Promise<Survey[]> {
  let q = db
    .selectFrom('surveys')
    .innerJoin('survey_versions', (j) => j.onRef('survey_versions.survey_id', '=', 'surveys.id').onRef('survey_versions.version', '=', 'surveys.version'))
    .selectAll('surveys')
    .select('survey_versions.definition')
    .where('surveys.status', '=', 'active');
  if (workspaceId) q = q.where('surveys.workspace_id', '=', workspaceId);
  const rows = await q.execute();
  return rows.map((r) => toSurvey(r, r.definition)).filter((s) => s.definition.triggers.length > 0 || s.definition.schedule != null);
}

/** Whether the workspace has this survey (and, when given, this version of it): a reference in a request must name one. */
export async function surveyExists(db: Db, workspaceId: string, id: string, version?: number): Promise<boolean> {
  let q = db.selectFrom('surveys').select('surveys.id').where('surveys.workspace_id', '=', workspaceId).where('surveys.id', '=', id);
  if (version != null) {
    q = q.innerJoin('survey_versions', 'survey_versions.survey_id', 'surveys.id').where('survey_versions.version', '=', version);
  }
  return (await q.executeTakeFirst()) != null;
}

/** Survey names by id, for answers that show which survey they answered (one query per list). */
export async function surveyTitles(db: Db, workspaceId: string, ids: Array<string | null>): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id != null))];
  if (!wanted.length) return new Map();
  const rows = await db.selectFrom('surveys').select(['id', 'name']).where('workspace_id', '=', workspaceId).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
