import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { buildApp, loggerFrom } from './http/app.ts';
import { createServices } from './server.ts';
import { createDemoWorkspace, type DemoWorkspace } from './demo/load.ts';
import { ensureDemoLogin } from './demo/demo-login.ts';
import { MIN_PASSWORD, randomPassword } from './domain/passwords.ts';
import { ROLES, type Role } from './domain/roles.ts';
import { normaliseEmail } from './domain/identifiers.ts';
import { addMember } from './store/accounts.ts';
import { DEFAULT_SQLITE_FILE, migrate, openStore, type Store } from './store/db.ts';
import { createKey, createWorkspace, findWorkspace, listWorkspaces, type KeyKind } from './store/workspaces.ts';
import { progress } from './progress.ts';

const USAGE = `advocate — NPS program built into a customer data platform

Usage:
  advocate serve   [--port 3000] [--host 127.0.0.1] [--no-demo]
  advocate demo    [--customers 5000] [--seed 42] [--name Demo]
  advocate migrate
  advocate import  <people|events|answers> <file.csv> [--workspace W] [--map col=field,...] [--date-format iso|dmy|mdy] [--delighted]
  advocate export  <people|events|answers> [--workspace W] [--out file.csv]
  advocate workspace create <name>
  advocate keys create --kind write|secret [--name N] [--workspace W]
  advocate user create --email E [--name N] --role admin|analyst|viewer [--workspace W] [--password P]
  advocate text backfill [--workspace W]     analyse stored comments (themes, sentiment) not analysed yet

Storage: SQLite file ${DEFAULT_SQLITE_FILE} by default (ADVOCATE_DB to move it);
PostgreSQL when DATABASE_URL=postgres://… is set.`;

function credentialsFile(): string {
  return resolve(process.env.ADVOCATE_DATA_DIR ?? './data', 'demo-credentials.json');
}

/** The demo's keys, and the dashboard login when this installation made it. */
interface DemoCredentials extends DemoWorkspace {
  login?: { email: string; password: string };
}

function saveCredentials(demo: DemoCredentials) {
  const file = credentialsFile();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ workspaceId: demo.workspaceId, name: demo.name, writeKey: demo.writeKey, secretKey: demo.secretKey, ...(demo.login ? { login: demo.login } : {}) }, null, 2) + '\n');
  // The demo secret key and login are the keys to the whole demo workspace: readable by their owner only.
  chmodSync(file, 0o600);
}

/** The demo with its dashboard login; a demo made before logins existed gets one now. */
async function withDemoLogin(store: Store, demo: DemoCredentials): Promise<DemoCredentials> {
  if (demo.login) return demo;
  const login = await ensureDemoLogin(store, demo.workspaceId);
  if (!login.password) return demo;
  const withLogin = { ...demo, login: { email: login.email, password: login.password } };
  saveCredentials(withLogin);
  return withLogin;
}

function readCredentials(workspaceId?: string): DemoCredentials | null {
  const file = credentialsFile();
  if (!existsSync(file)) return null;
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials;
    return !workspaceId || c.workspaceId === workspaceId ? c : null;
  } catch {
    return null;
  }
}

function open(): Store {
  return openStore({ file: process.env.ADVOCATE_DB });
}

export async function resolveWorkspace(store: Store, name?: string): Promise<string> {
  if (name) {
    const ws = await findWorkspace(store.db, name);
    if (!ws) {
      const names = (await listWorkspaces(store.db)).map((w) => w.name);
      throw new CliError(`No workspace "${name}" (by id or name)${names.length ? `; there are: ${names.join(', ')}` : ''}. Create it with \`advocate workspace create ${/^[\w.-]+$/.test(name) ? name : JSON.stringify(name)}\``);
    }
    return ws.id;
  }
  const all = await listWorkspaces(store.db);
  if (all.length === 1) return all[0].id;
  if (all.length === 0) throw new CliError('No workspace yet: run `advocate demo` or `advocate workspace create <name>`');
  throw new CliError(`Several workspaces: pick one with --workspace (${all.map((w) => w.name).join(', ')})`);
}

class CliError extends Error {}

async function serve(args: string[]) {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' }, 'no-demo': { type: 'boolean' } } });
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  const host = values.host ?? process.env.HOST ?? '127.0.0.1';
  const store = open();
  const applied = await migrate(store);
  if (applied.length) console.log(`Migrations applied: ${applied.join(', ')}`);
  // Made before the demo so the demo's data goes through the server's own writer.
  const services = createServices({ store });
  let demo: DemoCredentials | null = null;
  const workspaces = await listWorkspaces(store.db);
  if (workspaces.length === 0 && !values['no-demo']) {
    console.log('Empty database: creating the demo workspace…');
    const customers = Number(process.env.ADVOCATE_DEMO_CUSTOMERS ?? 5000);
    const created = await createDemoWorkspace(store, { customers: Number.isInteger(customers) && customers > 0 ? customers : 5000, writer: services.writer });
    saveCredentials(created);
    demo = await withDemoLogin(store, created);
  } else if (workspaces.length) {
    const saved = readCredentials(workspaces.find((w) => w.name === 'Demo')?.id);
    demo = saved && (await withDemoLogin(store, saved));
  }
  const { app } = await buildApp({ services, logger: loggerFrom(process.env.LOG_LEVEL) });
  await app.listen({ port, host });
  const bound = (app.server.address() as AddressInfo).port;
  app.log.info({ event: 'start', backend: store.backend, port: bound, publicUrl: services.publicUrl(), pid: process.pid }, 'Advocate started');
  const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${bound}`;
  console.log(`\nAdvocate is running on ${store.dialect.label} (${store.location})`);
  console.log(`  Dashboard:  ${url}/app${demo?.login ? `  (sign in as ${demo.login.email} / ${demo.login.password})` : ''}`);
  console.log(`  API docs:   ${url}/openapi.json`);
  if (demo) {
    console.log(`\nDemo workspace "${demo.name}" (${demo.workspaceId}); keys also in ${credentialsFile()}`);
    console.log(`  Public write key: ${demo.writeKey}`);
    console.log(`  Secret key:       ${demo.secretKey}`);
    console.log(`  Try: curl -u ${demo.secretKey}: ${url}/api/v1/metrics/nps`);
  }
  const stop = async (signal: NodeJS.Signals) => {
    app.log.info({ event: 'stopping', signal }, `Advocate stopping (${signal})`);
    await app.close(); // drains and closes the writer
    await store.close();
    app.log.info({ event: 'stop', signal }, 'Advocate stopped');
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function demoCommand(args: string[]) {
  const { values } = parseArgs({ args, options: { customers: { type: 'string' }, seed: { type: 'string' }, name: { type: 'string' } } });
  const customers = values.customers ? Number(values.customers) : 5000;
  if (!Number.isInteger(customers) || customers < 1) throw new CliError('--customers must be a positive integer');
  const store = open();
  await migrate(store);
  const demo = await createDemoWorkspace(store, { customers, seed: values.seed ? Number(values.seed) : undefined, name: values.name ?? 'Demo' });
  let login: DemoCredentials['login'];
  if (!readCredentials()) {
    saveCredentials(demo);
    login = (await withDemoLogin(store, demo)).login;
  }
  console.log(`Workspace "${demo.name}" (${demo.workspaceId}): ${demo.messages.toLocaleString('en')} messages`);
  console.log(`  Public write key: ${demo.writeKey}\n  Secret key:       ${demo.secretKey}`);
  if (login) console.log(`  Dashboard login:  ${login.email} / ${login.password}`);
  await store.close();
}

async function textCommand(args: string[]) {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { workspace: { type: 'string' } } });
  if (positionals[0] !== 'backfill') throw new CliError('usage: advocate text backfill [--workspace W]');
  const store = open();
  try {
    await migrate(store);
    const workspaceId = values.workspace ? await resolveWorkspace(store, values.workspace) : undefined;
    const { backfillTexts } = await import('./text/answers.ts');
    const { TextModels } = await import('./text/training.ts');
    // One progress line per workspace, closed when the next starts and at the end.
    let bar: { workspaceId: string; done: number; line: ReturnType<typeof progress> } | null = null;
    const close = () => bar?.line.done(`${bar.done.toLocaleString('en')} comments`);
    const n = await backfillTexts(store.db, new TextModels(store.db), {
      workspaceId,
      onProgress: (p) => {
        if (bar?.workspaceId !== p.workspaceId) {
          close();
          bar = { workspaceId: p.workspaceId, done: 0, line: progress(`analysing comments of ${p.workspaceId}`, p.total) };
        }
        bar.done = p.done;
        bar.line.update(p.done);
      },
    });
    close();
    console.log(n ? `Analysed ${n.toLocaleString('en')} comments.` : 'Every stored comment is analysed already.');
  } finally {
    await store.close();
  }
}

async function workspaceCommand(args: string[]) {
  const [sub, name] = args;
  if (sub !== 'create' || !name) throw new CliError('usage: advocate workspace create <name>');
  const store = open();
  await migrate(store);
  const ws = await createWorkspace(store.db, name);
  const write = await createKey(store.db, ws.id, 'write', 'Default write key');
  const secret = await createKey(store.db, ws.id, 'secret', 'Default secret key');
  console.log(`Workspace "${name}" (${ws.id})\n  Public write key: ${write.key}\n  Secret key:       ${secret.key}\nKeep the secret key safe: it is shown only now.`);
  await store.close();
}

async function keysCommand(args: string[]) {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { kind: { type: 'string' }, name: { type: 'string' }, workspace: { type: 'string' } } });
  if (positionals[0] !== 'create' || (values.kind !== 'write' && values.kind !== 'secret')) throw new CliError('usage: advocate keys create --kind write|secret [--name N] [--workspace W]');
  const store = open();
  await migrate(store);
  const wsId = await resolveWorkspace(store, values.workspace);
  const key = await createKey(store.db, wsId, values.kind as KeyKind, values.name ?? `${values.kind} key`);
  console.log(`${key.kind} key ${key.id}: ${key.key}\nShown only now.`);
  await store.close();
}

async function userCommand(args: string[]) {
  const usage = 'usage: advocate user create --email E [--name N] --role admin|analyst|viewer [--workspace W] [--password P]';
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, workspace: { type: 'string' }, password: { type: 'string' } } });
  if (positionals[0] !== 'create' || !values.email || !values.role) throw new CliError(usage);
  const email = normaliseEmail(values.email);
  if (!email) throw new CliError(`--email: "${values.email}" is not an email address`);
  if (!(ROLES as readonly string[]).includes(values.role)) throw new CliError(`--role: "${values.role}" is not one of ${ROLES.join(', ')}`);
  if (values.password != null && values.password.length < MIN_PASSWORD) throw new CliError(`--password: at least ${MIN_PASSWORD} characters`);
  const store = open();
  try {
    await migrate(store);
    const wsId = await resolveWorkspace(store, values.workspace);
    const password = values.password ?? randomPassword();
    const r = await addMember(store.db, wsId, { email, name: values.name ?? email.split('@')[0], role: values.role as Role, password });
    if (r.status === 'password-required') throw new Error('unreachable: a password was given');
    if (r.status === 'already-member') throw new CliError(`${email} is already in this workspace as ${r.member.role}`);
    if (r.status === 'added') console.log(`${email} (${r.member.id}) added as ${r.member.role}; the account already existed and keeps its password`);
    else console.log(`${email} (${r.member.id}) created as ${r.member.role}${values.password ? '' : `\n  Password: ${password}\nShown only now.`}`);
  } finally {
    await store.close();
  }
}

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'demo':
      return demoCommand(rest);
    case 'migrate': {
      const store = open();
      const applied = await migrate(store);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date');
      return store.close();
    }
    case 'import':
    case 'export': {
      const { runCsvCommand } = await import('./csv-cli.ts');
      const store = open();
      await migrate(store);
      try {
        await runCsvCommand(command, rest, store, (name?: string) => resolveWorkspace(store, name));
      } finally {
        await store.close();
      }
      return;
    }
    case 'workspace':
      return workspaceCommand(rest);
    case 'keys':
      return keysCommand(rest);
    case 'user':
      return userCommand(rest);
    case 'text':
      return textCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new CliError(`Unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof CliError || (err as Error)?.name === 'UsageError' || String((err as NodeJS.ErrnoException)?.code).startsWith('ERR_PARSE_ARGS')) {
    console.error(`advocate: ${(err as Error).message}`);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
