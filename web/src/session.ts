import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Preferences, Role, Session } from './types.ts';

export type { Preferences, Role, Session };

export const DEFAULT_PREFERENCES: Preferences = { currency: 'USD', locale: 'en-US', timeZone: 'UTC', industry: null };

/** A workspace of the session; one the session does not list yet (see pickWorkspace) has no preferences. */
export type Workspace = Omit<Session['workspaces'][number], 'preferences'> & { preferences?: Preferences };

export interface SessionState {
  session: Session;
  workspace: Workspace;
  switchWorkspace(id: string): void;
  signOut(): Promise<void>;
  /** Reads the session again, e.g. after the workspace's preferences changed. */
  refresh(): Promise<void>;
}

const RANK: Record<Role, number> = { viewer: 0, analyst: 1, admin: 2 };

/** Whether a role may do what `need` may: the server checks again, this only hides what would fail. */
export const allows = (role: Role, need: Role) => RANK[role] >= RANK[need];

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in app');
  return s;
}

/** The current workspace's currency, locale, time zone and industry. */
export function usePreferences(): Preferences {
  const s = useContext(SessionContext);
  return s?.workspace.preferences ?? DEFAULT_PREFERENCES;
}

export function useCan(need: Role): boolean {
  return allows(useSession().workspace.role, need);
}

const WORKSPACE_KEY = 'advocate.workspace';

/** The workspace this browser last chose, if the session still has it; else the session's own. */
export function pickWorkspace(session: Session): Workspace {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(WORKSPACE_KEY);
  } catch {
    // Storage blocked: the session's workspace it is.
  }
  return session.workspaces.find((w) => w.id === saved)
    ?? session.workspaces.find((w) => w.id === session.workspaceId)
    ?? session.workspaces[0]
    ?? { id: session.workspaceId, name: 'Workspace', role: session.role };
}

export function rememberWorkspace(id: string) {
  try {
    localStorage.setItem(WORKSPACE_KEY, id);
  } catch {
    // Not remembered: the next visit starts in the session's workspace.
  }
}
