import type { Db } from '../store/db.ts';
import { surveyExists } from '../store/surveys.ts';
import { AppError } from '../domain/errors.ts';

/**
 * Every id a request names must be an object of the caller's workspace. A missing one in the path
 * is the resource not found (404); in a body or a query it is the request that cannot be carried
 * out (422 unless the route says otherwise), with the field that named it. Another workspace's id
 * and a made-up one answer alike, so nothing tells a caller which ids exist elsewhere.
 */
export function mustExist(found: unknown, what: { kind: string; id: string; field?: string; error?: 'not_found' | 'unprocessable' }): asserts found {
  if (found) return;
  if (what.field) throw new AppError(what.error ?? 'unprocessable', `${what.field}: no ${what.kind} "${what.id}" in this workspace`, { field: what.field });
  throw new AppError('not_found', `No ${what.kind} ${what.id} in this workspace`);
}

/** `surveyId` and `surveyVersion` of a body: the workspace's survey, and a version it has. */
export async function mustExistSurvey(db: Db, workspaceId: string, surveyId: string | undefined, version: number | undefined): Promise<void> {
  if (!surveyId) {
    if (version != null) throw new AppError('unprocessable', 'surveyVersion: give surveyId too (a version is one survey\'s)', { field: 'surveyVersion' });
    return;
  }
  mustExist(await surveyExists(db, workspaceId, surveyId), { kind: 'survey', id: surveyId, field: 'surveyId' });
  if (version != null && !(await surveyExists(db, workspaceId, surveyId, version))) {
    throw new AppError('unprocessable', `surveyVersion: survey "${surveyId}" has no version ${version}`, { field: 'surveyVersion' });
  }
}
