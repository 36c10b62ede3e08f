import { randomPassword } from '../domain/passwords.ts';
import { addMember } from '../store/accounts.ts';
import type { Store } from '../store/db.ts';

export const DEMO_EMAIL = 'demo@advocate.local';

/**
 * Makes the demo login an admin of a workspace. Returns its password when this created the
 * account (random: a demo reachable from a network must not open with a known password); null
 * when the account already existed, whose password is whatever it was.
 */
export async function ensureDemoLogin(store: Store, workspaceId: string): Promise<{ email: string; password: string | null }> {
  const password = randomPassword();
  const r = await addMember(store.db, workspaceId, { email: DEMO_EMAIL, name: 'Demo', role: 'admin', password });
  return { email: DEMO_EMAIL, password: r.status === 'created' ? password : null };
}
