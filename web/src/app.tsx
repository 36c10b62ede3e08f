import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorBoundary, LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { api, ApiError, configureApi } from './api.ts';
import { Shell } from './components/shell.tsx';
import { ErrorNotice, Loading } from './components/states.tsx';
import { BASE } from './links.ts';
import { pages } from './pages.ts';
import { setFormatPreferences } from './format.ts';
import { pickWorkspace, rememberWorkspace, SessionContext, type Session, type SessionState } from './session.ts';
import { SignIn } from './sign-in.tsx';
import { takeFirstSession } from './first-visit.ts';
import { NotFound } from './not-found.tsx';

const SIGN_IN = `${BASE}/sign-in`;
// Whether this browser signed in last time: without it the sign-in page shows at once, instead of
// asking the server first and logging a 401 in the console of everyone who is not signed in.
const HINT = 'advocate.signedIn';
function hint(on?: boolean): boolean {
  try {
    if (on === true) localStorage.setItem(HINT, '1');
    if (on === false) localStorage.removeItem(HINT);
    return localStorage.getItem(HINT) === '1';
  } catch {
    return true;
  }
}

// The overview is where most visits land: fetch its chunk while the session is checked, not after.
if (/^\/app\/?$/.test(location.pathname)) void pages.overview.preload();

type State = { status: 'checking' } | { status: 'signed-out' } | { status: 'failed'; error: unknown } | { status: 'signed-in'; session: Session; workspaceId: string };

export function App() {
  return (
    <LocationProvider scope={BASE}>
      <Gate />
    </LocationProvider>
  );
}

function Gate() {
  const loc = useLocation();
  const [state, setState] = useState<State>({ status: 'checking' });

  const signedIn = useCallback((session: Session) => {
    hint(true);
    const ws = pickWorkspace(session);
    configureApi({ csrfToken: session.csrfToken, workspaceId: ws.id });
    setState({ status: 'signed-in', session, workspaceId: ws.id });
  }, []);

  const signedOut = useCallback(() => {
    hint(false);
    setState({ status: 'signed-out' });
  }, []);

  const check = useCallback(() => {
    // The server put the session into the page it served: no round trip to ask for it.
    const inlined = takeFirstSession();
    if (inlined) return signedIn(inlined);
    if (!hint()) return signedOut();
    setState({ status: 'checking' });
    api<Session>('/api/v1/session', { quiet401: true }).then(signedIn, (error) => {
      if (error instanceof ApiError && error.status === 401) signedOut();
      else setState({ status: 'failed', error });
    });
  }, [signedIn, signedOut]);

  useEffect(() => {
    // Any 401 later (the session expired or was signed out elsewhere) brings the sign-in page back.
    configureApi({ onSignedOut: signedOut });
    check();
  }, [check, signedOut]);

  // Signed out: the sign-in page, remembering where the person was going.
  useEffect(() => {
    if (state.status === 'signed-out' && loc.path !== SIGN_IN) {
      const next = loc.url.startsWith(BASE) ? loc.url : BASE;
      loc.route(`${SIGN_IN}?next=${encodeURIComponent(next)}`, true);
    }
    if (state.status === 'signed-in' && loc.path === SIGN_IN) loc.route(safeNext(loc.query.next), true);
  }, [state.status, loc.path]);

  if (state.status === 'checking') return <main id="main"><Loading what="Opening Advocate" /></main>;
  if (state.status === 'failed') {
    return <main id="main"><ErrorNotice title="Advocate could not start" error={state.error} retry={check} /></main>;
  }
  if (state.status === 'signed-out') {
    return <SignIn onSignedIn={(s) => { signedIn(s); loc.route(safeNext(loc.query.next), true); }} />;
  }
  return <SignedIn session={state.session} workspaceId={state.workspaceId} onWorkspace={(id) => setState({ ...state, workspaceId: id })} onSignedOut={signedOut} onSession={signedIn} />;
}

/** Only paths inside the app: a crafted ?next= must not send a person to another site. */
function safeNext(next: string | undefined): string {
  return next && next.startsWith(`${BASE}`) && !next.startsWith('//') && !next.startsWith(SIGN_IN) ? next : BASE;
}

function SignedIn({ session, workspaceId, onWorkspace, onSignedOut, onSession }: { session: Session; workspaceId: string; onWorkspace(id: string): void; onSignedOut(): void; onSession(s: Session): void }) {
  const workspace = session.workspaces.find((w) => w.id === workspaceId) ?? pickWorkspace(session);
  // Before any page renders: every fmtMoney and fmtDate below writes in this workspace's terms.
  setFormatPreferences(workspace.preferences);
  const value = useMemo<SessionState>(() => ({
    session,
    workspace,
    switchWorkspace(id) {
      rememberWorkspace(id);
      configureApi({ workspaceId: id });
      onWorkspace(id);
    },
    async refresh() {
      onSession(await api<Session>('/api/v1/session'));
    },
    async signOut() {
      try {
        await api('/api/v1/session', { method: 'DELETE', quiet401: true });
      } finally {
        configureApi({ csrfToken: null });
        onSignedOut();
      }
    },
  }), [session, workspace.id]);

  return (
    <SessionContext.Provider value={value}>
      <Shell>
        {/* Keyed by workspace: switching it starts every page afresh, with nothing of the other workspace shown. */}
        <ErrorBoundary key={workspace.id}>
          <Router>
            <Route path={`${BASE}`} component={pages.overview} />
            <Route path={`${BASE}/`} component={pages.overview} />
            <Route path={`${BASE}/breakdowns`} component={pages.breakdowns} />
            <Route path={`${BASE}/live`} component={pages.live} />
            <Route path={`${BASE}/people`} component={pages.people} />
            <Route path={`${BASE}/people/:id`} component={pages.profile} />
            <Route path={`${BASE}/surveys`} component={pages.surveys} />
            <Route path={`${BASE}/surveys/new`} component={pages.survey} />
            <Route path={`${BASE}/surveys/:id`} component={pages.survey} />
            <Route path={`${BASE}/impact`} component={pages.impact} />
            <Route path={`${BASE}/themes`} component={pages.themes} />
            <Route path={`${BASE}/settings`} component={pages.settings} />
            <Route default component={NotFound} />
          </Router>
        </ErrorBoundary>
      </Shell>
    </SessionContext.Provider>
  );
}
