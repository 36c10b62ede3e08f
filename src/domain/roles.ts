/**
 * Dashboard roles, weakest first: a viewer reads, an analyst also changes the NPS program
 * (surveys, segments, sends, answers), an admin also manages who and what gets in (users, keys)
 * and the workspace's settings. A secret key acts as an admin.
 */
export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
