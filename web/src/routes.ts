import { lazy } from 'preact-iso';

// One chunk per page: the first page loads the shell and the overview, and charts come only
// with the pages that draw them.
export const pages = {
  overview: lazy(() => import('./pages/overview.tsx')),
  breakdowns: lazy(() => import('./pages/breakdowns.tsx')),
  live: lazy(() => import('./pages/live.tsx')),
  people: lazy(() => import('./pages/people.tsx')),
  profile: lazy(() => import('./pages/profile.tsx')),
  surveys: lazy(() => import('./pages/surveys.tsx')),
  survey: lazy(() => import('./pages/survey.tsx')),
  impact: lazy(() => import('./pages/impact.tsx')),
  settings: lazy(() => import('./pages/settings.tsx')),
};

export const BASE = '/app';

export const NAV = [
  { href: `${BASE}`, label: 'Overview', match: (p: string) => p === BASE || p === `${BASE}/` },
  { href: `${BASE}/breakdowns`, label: 'Breakdowns' },
  { href: `${BASE}/live`, label: 'Live feed' },
  { href: `${BASE}/people`, label: 'People' },
  { href: `${BASE}/surveys`, label: 'Surveys' },
  { href: `${BASE}/impact`, label: 'Impact' },
  { href: `${BASE}/settings`, label: 'Settings' },
] as const;

export const profileHref = (id: string) => `${BASE}/people/${encodeURIComponent(id)}`;
export const surveyHref = (id: string, tab?: string) => `${BASE}/surveys/${encodeURIComponent(id)}${tab ? `?tab=${tab}` : ''}`;
