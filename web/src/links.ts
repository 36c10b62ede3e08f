// Where things are in the dashboard. Pages and components link with these; this module imports no
// page, so linking never pulls a page's chunk in (the lazy page table is pages.ts, for app.tsx).

export const BASE = '/app';

export const NAV = [
  { href: `${BASE}`, label: 'Overview', match: (p: string) => p === BASE || p === `${BASE}/` },
  { href: `${BASE}/breakdowns`, label: 'Breakdowns' },
  { href: `${BASE}/themes`, label: 'Themes' },
  { href: `${BASE}/live`, label: 'Live feed' },
  { href: `${BASE}/people`, label: 'People' },
  { href: `${BASE}/surveys`, label: 'Surveys' },
  { href: `${BASE}/impact`, label: 'Impact' },
  { href: `${BASE}/settings`, label: 'Settings' },
] as const;

export const profileHref = (id: string) => `${BASE}/people/${encodeURIComponent(id)}`;
export const surveyHref = (id: string, tab?: string) => `${BASE}/surveys/${encodeURIComponent(id)}${tab ? `?tab=${tab}` : ''}`;
