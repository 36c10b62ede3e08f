import type { ExpressionBuilder } from 'kysely';
import { newId } from '../domain/ids.ts';
import { hashPassword } from '../domain/passwords.ts';
import type { Role } from '../domain/roles.ts';
import { DEFAULT_PREFERENCES, type Preferences } from '../domain/preferences.ts';
import { fromJson, type Db, type Store, type Tx } from './db.ts';
import type { Schema } from './schema.ts';

export interface User {
  id: string;
  email: string;
  name: string;
  createdAt: number;
}

export interface Member extends User {
  role: Role;
}

export interface Membership {
  workspaceId: string;
  name: string;
  role: Role;
  preferences: Preferences;
}

export async function findUserByEmail(db: Db, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
}

export async function getUser(db: Db, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setPasswordHash(db: Db, userId: string, passwordHash: string, now = Date.now()): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', userId).execute();
}

/** The workspaces a user belongs to, the one joined first first (the default when a request names none). */
export async function membershipsOf(db: Db, userId: string): Promise<Membership[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('workspaces', 'workspaces.id', 'memberships.workspace_id')
    .select(['memberships.workspace_id', 'workspaces.name', 'memberships.role', 'workspaces.settings'])
    .where('memberships.user_id', '=', userId)
    .orderBy('memberships.created_at')
    .orderBy('workspaces.name')
    .execute();
  return rows.map((r) => ({
    workspaceId: r.workspace_id, name: r.name, role: r.role,
    preferences: { ...DEFAULT_PREFERENCES, ...fromJson<{ preferences?: Partial<Preferences> }>(r.settings, {}).preferences },
  }));
}

export async function listMembers(db: Db, workspaceId: string): Promise<Member[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.name', 'users.created_at', 'memberships.role'])
    .where('memberships.workspace_id', '=', workspaceId)
    .orderBy('users.email')
    .execute();
  return rows.map((r) => ({ id: r.id, email: r.email, name: r.name, createdAt: r.created_at, role: r.role }));
}

export async function getMember(db: Db | Tx, workspaceId: string, userId: string): Promise<Member | null> {
  const r = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.name', 'users.created_at', 'memberships.role'])
    .where('memberships.workspace_id', '=', workspaceId)
    .where('memberships.user_id', '=', userId)
    .executeTakeFirst();
  return r ? { id: r.id, email: r.email, name: r.name, createdAt: r.created_at, role: r.role } : null;
}

export type AddMemberResult =
  | { status: 'created' | 'added'; member: Member }
  | { status: 'already-member'; member: Member }
  | { status: 'password-required' };

/**
 * Puts a person in a workspace with a role, creating their account when the email is new. An
 * existing account keeps its password: an admin of one workspace must not be able to take over an
 * account that also belongs to another.
 */
export async function addMember(db: Db, workspaceId: string, input: { email: string; name: string; role: Role; password?: string }, now = Date.now()): Promise<AddMemberResult> {
  const email = input.email.trim().toLowerCase();
  let user = await findUserByEmail(db, email);
  let created = false;
  if (!user) {
    if (!input.password) return { status: 'password-required' };
    const id = newId('usr', now);
    const passwordHash = await hashPassword(input.password);
    // Two admins adding the same new email at once: one insert wins, the other joins its account.
    await db.insertInto('users').values({ id, email, name: input.name.trim(), password_hash: passwordHash, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('email').doNothing()).execute();
    user = (await findUserByEmail(db, email))!;
    created = user.id === id;
  }
  const r = await db.insertInto('memberships').values({ user_id: user.id, workspace_id: workspaceId, role: input.role, created_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'workspace_id']).doNothing()).executeTakeFirst();
  const member = (await getMember(db, workspaceId, user.id))!;
  if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return { status: 'already-member', member };
  return { status: created ? 'created' : 'added', member };
}

/**
 * Changes a member's role, or removes them from the workspace (role null), unless that would leave
 * the workspace without an admin. The check is part of the one statement that writes, so it holds
 * against a concurrent change: on SQLite writes are serial, on PostgreSQL a lock per workspace
 * keeps two admins demoting each other at once from both succeeding. (Reading before writing in
 * a SQLite transaction would fail whenever the writer thread committed in between.)
 */
export async function changeMember(store: Store, workspaceId: string, userId: string, role: Role | null): Promise<'ok' | 'not-member' | 'last-admin'> {
  const changed = await store.db.transaction().execute(async (tx) => {
    await store.dialect.lockKeys(tx, `memberships:${workspaceId}`);
    const keepsAnAdmin = (eb: ExpressionBuilder<Schema, 'memberships'>) => eb.or([
      eb('role', '<>', 'admin'),
      eb(eb.selectFrom('memberships as m').select((e) => e.fn.countAll().as('n')).where('m.workspace_id', '=', workspaceId).where('m.role', '=', 'admin'), '>', 1),
    ]);
    if (role) {
      let q = tx.updateTable('memberships').set({ role }).where('workspace_id', '=', workspaceId).where('user_id', '=', userId);
      if (role !== 'admin') q = q.where(keepsAnAdmin);
      return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
    }
    const r = await tx.deleteFrom('memberships').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).where(keepsAnAdmin).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  });
  if (changed) return 'ok';
  return (await getMember(store.db, workspaceId, userId)) ? 'last-admin' : 'not-member';
}
