import type { FastifyRequest } from 'fastify';
import type { Role } from '../domain/roles.ts';
import { membershipsOf, type Membership } from '../store/accounts.ts';
import type { Db } from '../store/db.ts';
import { findSession, type SessionRow } from '../store/sessions.ts';
import { CSRF_HEADER, WORKSPACE_HEADER } from '../api-types/accounts.ts';
import { readCookie } from './cookies.ts';
import { AppError } from '../domain/errors.ts';

export const SESSION_COOKIE = 'adv_session';
// Named in the session's reply schema too, which the dashboard reads without server code.
export { CSRF_HEADER, WORKSPACE_HEADER };

/** A request made from a signed-in dashboard, in the workspace it chose. */
export interface SignedIn {
  session: SessionRow;
  memberships: Membership[];
  workspaceId: string;
  role: Role;
}

/**
 * Finds the signed-in user behind a request's session cookie and the workspace it works in: the
 * one named by X-Advocate-Workspace (the dashboard's workspace switcher), else the first joined.
 * Read from the database on every request, so signing out, a removed membership or a changed role
 * takes effect at once on every process.
 */
export class Sessions {
  constructor(private readonly db: Db) {}

  /** null without a session cookie; 401 for an ended session, 403 for a workspace the user is not in. */
  async signedIn(request: FastifyRequest): Promise<SignedIn | null> {
    const token = readCookie(request, SESSION_COOKIE);
    if (!token) return null;
    const session = await findSession(this.db, token);
    if (!session) throw new AppError('unauthorized', 'Your session has ended (signed out or expired): sign in again');
    const memberships = await membershipsOf(this.db, session.userId);
    if (memberships.length === 0) throw new AppError('unauthorized', 'Your account no longer belongs to any workspace: ask an admin to add you');
    const current = chosenWorkspace(request, memberships);
    return { session, memberships, workspaceId: current.workspaceId, role: current.role };
  }
}

/** The membership X-Advocate-Workspace names (403 when the user is not in it), else the first. */
export function chosenWorkspace(request: FastifyRequest, memberships: Membership[]): Membership {
  const chosen = request.headers[WORKSPACE_HEADER.toLowerCase()];
  if (chosen === undefined) return memberships[0];
  const id = String(chosen).trim();
  const found = memberships.find((m) => m.workspaceId === id);
  if (!found) throw new AppError('forbidden', `${WORKSPACE_HEADER}: you are not a member of workspace "${id.slice(0, 80)}"`, { field: WORKSPACE_HEADER });
  return found;
}
