import type { Db } from '../store/db.ts';
import { surveyExists } from '../store/surveys.ts';
import { HttpError } from './errors.ts';

/**
 * Every id a request names must be an object of the caller's workspace. A missing one in the path
 * is the resource not found (404); in a body or a query it is the request that cannot be carried
 * out (422 unless the route says otherwise), with the field that named it. Another workspace's id
 * and a made-up one answer alike, so nothing tells a caller which ids exist elsewhere.
 */
export function mustExist(found: unknown, what: { kind: string; id: string; field?: string; status?: 404 | 422 }): asserts found {
  if (found) return;
  if (what.field) throw new HttpError(what.status ?? 422, `${what.field}: no ${what.kind} "${what.id}" in this workspace`, what.field);
  throw new HttpError(404, `No ${what.kind} ${what.id} in this workspace`);
}

/** `surveyId` and `surveyVersion` of a body: the workspace's survey, and a version it has. */
export async function mustExistSurvey(db: Db, workspaceId: string, surveyId: string | undefined, version: number | undefined): Promise<void> {
  if (!surveyId) {
    if (version != null) throw new HttpError(422, 'surveyVersion: give surveyId too (a version is one survey\'s)', 'surveyVersion');
    return;
  }
  mustExist(await surveyExists(db, workspaceId, surveyId), { kind: 'survey', id: surveyId, field: 'surveyId' });
  if (version != null && !(await surveyExists(db, workspaceId, surveyId, version))) {
    throw new HttpError(422, `surveyVersion: survey "${surveyId}" has no version ${version}`, 'surveyVersion');
  }
}
