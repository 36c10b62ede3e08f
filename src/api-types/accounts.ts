import { Type } from '@sinclair/typebox';
import { ROLES } from '../domain/roles.ts';
import { PreferencesSchema } from './workspace.ts';

// Replies of signing in and of the users routes (src/http/sign-in.ts, users.ts).

/** The header naming the workspace a dashboard request works in. */
export const WORKSPACE_HEADER = 'X-Advocate-Workspace';
/** The header every dashboard request that changes something carries the session's CSRF token in. */
export const CSRF_HEADER = 'X-CSRF-Token';

export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

export const SessionView = Type.Object({
  user: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
  workspaces: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), role: RoleSchema, preferences: PreferencesSchema })),
  workspaceId: Type.String({ description: `The workspace requests work in unless they name another in ${WORKSPACE_HEADER}` }),
  role: RoleSchema,
  csrfToken: Type.String({ description: `Send it as ${CSRF_HEADER} with every request that changes something` }),
});

export const UserView = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), role: RoleSchema, createdAt: Type.String() });
export const UserList = Type.Object({ items: Type.Array(UserView) });
export const UserAdded = Type.Object({ user: UserView, created: Type.Boolean({ description: 'false: an existing account was added' }) });
