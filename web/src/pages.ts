import { lazy } from 'preact-iso';

// One chunk per page: the first page loads the shell and the overview, and charts come only
// with the pages that draw them. Only app.tsx imports this table; pages link through links.ts,
// so no page imports the module that imports every page.
export const pages = {
  overview: lazy(() => import('./pages/overview.tsx')),
  breakdowns: lazy(() => import('./pages/breakdowns.tsx')),
  themes: lazy(() => import('./pages/themes.tsx')),
  live: lazy(() => import('./pages/live.tsx')),
  people: lazy(() => import('./pages/people.tsx')),
  profile: lazy(() => import('./pages/profile.tsx')),
  surveys: lazy(() => import('./pages/surveys.tsx')),
  survey: lazy(() => import('./pages/survey.tsx')),
  impact: lazy(() => import('./pages/impact.tsx')),
  settings: lazy(() => import('./pages/settings.tsx')),
};
