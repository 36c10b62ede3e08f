import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MIN_PASSWORD } from '../domain/passwords.ts';
import type { Role } from '../domain/roles.ts';
import { normaliseEmail } from '../domain/identifiers.ts';
import { addMember, changeMember, getMember, listMembers, type Member } from '../store/accounts.ts';
import type { Store } from '../store/db.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError } from '../domain/errors.ts';
import { secretSecurity, withErrors } from './schemas.ts';
import { RoleSchema, UserAdded, UserList, UserView } from '../api-types/accounts.ts';

function userView(m: Member) {
  return { id: m.id, email: m.email, name: m.name, role: m.role, createdAt: new Date(m.createdAt).toISOString() };
}

const lastAdmin = (id: string, self: boolean) => `${self ? 'You are' : `User ${id} is`} the last admin of this workspace: make someone else admin first`;

/** Who may use this workspace's dashboard, and as what. Admins (and secret keys) only. */
export async function userRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache }) {
  const { store } = opts;
  const admin = authenticate(opts.keys, 'secret', { role: 'admin' });
  const tags = ['accounts'];
  const security = secretSecurity;
  const params = Type.Object({ id: Type.String({ maxLength: 100 }) });

  app.get('/api/v1/users', {
    preValidation: admin,
    schema: { tags, security, summary: 'Users of this workspace with their role', response: withErrors({ 200: UserList }) },
  }, async (request) => ({ items: (await listMembers(store.db, request.principal.workspaceId)).map(userView) }));

  app.post('/api/v1/users', {
    preValidation: admin,
    schema: {
      tags, security,
      summary: 'Add a user to this workspace: creates the account for a new email (password needed), or adds an existing account, whose password stays its own',
      body: Type.Object({
        email: Type.String({ minLength: 3, maxLength: 320 }),
        name: Type.String({ minLength: 1, maxLength: 200 }),
        role: RoleSchema,
        password: Type.Optional(Type.String({ minLength: MIN_PASSWORD, maxLength: 1024 })),
      }, { additionalProperties: false }),
      response: withErrors({ 201: UserAdded }),
    },
  }, async (request, reply) => {
    const b = request.body as { email: string; name: string; role: Role; password?: string };
    const email = normaliseEmail(b.email);
    if (!email) throw new AppError('invalid', `email: "${b.email}" is not an email address`, { field: 'email' });
    const r = await addMember(store.db, request.principal.workspaceId, { ...b, email });
    if (r.status === 'password-required') throw new AppError('invalid', `password: required to create the account for ${email} (at least ${MIN_PASSWORD} characters)`, { field: 'password' });
    if (r.status === 'already-member') throw new AppError('conflict', `${email} is already in this workspace as ${r.member.role}: change the role with PATCH /api/v1/users/${r.member.id}`, { field: 'email' });
    reply.status(201);
    return { user: userView(r.member), created: r.status === 'created' };
  });

  app.patch('/api/v1/users/:id', {
    preValidation: admin,
    schema: {
      tags, security, summary: 'Change a user\'s role in this workspace (409 for the last admin)', params,
      body: Type.Object({ role: RoleSchema }, { additionalProperties: false }),
      response: withErrors({ 200: Type.Object({ user: UserView }) }),
    },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const ws = request.principal.workspaceId;
    const outcome = await changeMember(store, ws, id, (request.body as { role: Role }).role);
    if (outcome === 'not-member') throw new AppError('not_found', `No user ${id} in this workspace`);
    if (outcome === 'last-admin') throw new AppError('conflict', `role: ${lastAdmin(id, id === request.principal.userId)}`, { field: 'role' });
    return { user: userView((await getMember(store.db, ws, id))!) };
  });

  app.delete('/api/v1/users/:id', {
    preValidation: admin,
    schema: { tags, security, summary: 'Remove a user from this workspace (their account stays for other workspaces; 409 for the last admin)', params, response: withErrors({ 204: Type.Null() }) },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const outcome = await changeMember(store, request.principal.workspaceId, id, null);
    if (outcome === 'not-member') throw new AppError('not_found', `No user ${id} in this workspace`);
    if (outcome === 'last-admin') throw new AppError('conflict', lastAdmin(id, id === request.principal.userId));
    reply.status(204);
  });
}
