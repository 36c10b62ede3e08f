import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { verifyPassword } from '../src/domain/passwords.ts';
import { openStore } from '../src/store/db.ts';
import { tmpDir } from './helpers/backends.ts';
import { basic } from './helpers/server.ts';

const ROOT = join(import.meta.dirname, '..');

/** Runs `advocate serve` as `npm start` does and collects what it prints until the keys are out. */
function serve(dir: string): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: '', ADVOCATE_DB: join(dir, 'advocate.db'), ADVOCATE_DATA_DIR: dir, ADVOCATE_DEMO_CUSTOMERS: '400' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time:\n${out}`)), 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/Secret key:\s+adv_sk_\S+/.test(out)) {
        clearTimeout(timer);
        resolve({ child, out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${out}`)));
  });
}

async function stop(child: ChildProcess) {
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const DASHBOARD = /Dashboard:\s+(http:\/\/\S+?)\/app {2}\(sign in as (demo@advocate\.local) \/ (\S+)\)\n/;

/** Signs in with the printed demo login and reads a figure with the session. */
async function signInAndRead(url: string, email: string, password: string) {
  const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  assert.equal(body.role, 'admin');
  assert.equal(body.workspaces[0].name, 'Demo');
  const cookie = res.headers.get('set-cookie')!.split(';')[0];
  const nps = await fetch(`${url}/api/v1/metrics/nps`, { headers: { cookie } }).then((r) => r.json());
  assert.ok(nps.n > 150, `answers: ${nps.n}`);
}

test('npm start: first start creates the demo workspace and prints the URL, demo login and keys; the API serves it', { timeout: 240_000 }, async () => {
  const dir = tmpDir('advocate-serve-');
  const first = await serve(dir);
  let url = '';
  let secret = '';
  let password = '';
  try {
    const dashboard = first.out.match(DASHBOARD);
    assert.ok(dashboard, first.out);
    url = dashboard[1];
    password = dashboard[3];
    assert.match(password, /^[A-Za-z0-9]{20}$/);
    await signInAndRead(url, dashboard[2], password);
    // The login is saved beside the keys, readable by its owner only.
    const saved = JSON.parse(readFileSync(join(dir, 'demo-credentials.json'), 'utf8'));
    assert.deepEqual(saved.login, { email: 'demo@advocate.local', password });
    assert.equal(statSync(join(dir, 'demo-credentials.json')).mode & 0o777, 0o600);
    secret = first.out.match(/Secret key:\s+(adv_sk_\S+)/)![1];
    const write = first.out.match(/Public write key:\s+(adv_pk_\S+)/)![1];
    assert.match(first.out, /Empty database: creating the demo workspace/);
    assert.match(first.out, /demo data \(400 customers\): done/);

    assert.equal((await fetch(`${url}/health`).then((r) => r.json())).ok, true);
    assert.match(await fetch(`${url}/`).then((r) => r.text()), /Advocate/);
    const openapi = await fetch(`${url}/openapi.json`).then((r) => r.json());
    assert.ok(openapi.paths['/api/v1/metrics/nps'] && openapi.paths['/v1/batch']);

    const get = (path: string) => fetch(url + path, { headers: { authorization: basic(secret) } }).then((r) => r.json());
    const all = await get('/api/v1/metrics/nps');
    assert.ok(all.n > 150, `answers: ${all.n}`);
    // The story the generator planted survives the real write path: sms is the weak channel.
    const sms = await get('/api/v1/metrics/nps?channel=sms');
    const rest = await get('/api/v1/metrics/nps?channel=web,email,app,store');
    assert.ok(sms.n > 10 && rest.nps - sms.nps > 5, `sms ${sms.nps} vs the rest ${rest.nps}`);
    // Answers were captured with their journey stage.
    const stages = await Promise.all(['new', 'active', 'repeat', 'lapsed'].map((s) => get(`/api/v1/metrics/nps?stage=${s}`)));
    assert.equal(stages.reduce((sum, s) => sum + s.n, 0), all.n);
    // A demo customer: identified, merged with the anonymous visit, with orders.
    const p = await get('/api/v1/profiles?userId=cust_00001');
    assert.ok(p.identities.some((i: any) => i.kind === 'anonymousId'));
    assert.ok(p.identities.some((i: any) => i.kind === 'email'));
    // The public key writes but cannot read.
    const w = await fetch(`${url}/api/v1/metrics/nps`, { headers: { authorization: basic(write) } });
    assert.equal(w.status, 403);
  } finally {
    await stop(first.child);
  }

  // A second start on the same database keeps the workspace and prints the same keys and login again.
  const second = await serve(dir);
  try {
    assert.doesNotMatch(second.out, /creating the demo workspace/);
    assert.equal(second.out.match(/Secret key:\s+(adv_sk_\S+)/)![1], secret);
    const dashboard = second.out.match(DASHBOARD);
    assert.ok(dashboard, second.out);
    assert.equal(dashboard[3], password);
    await signInAndRead(dashboard[1], dashboard[2], password);
  } finally {
    await stop(second.child);
  }
});

test('advocate user create: adds a dashboard user to a workspace, with a random password when none is given', { timeout: 60_000 }, async () => {
  const dir = tmpDir('advocate-user-');
  const env = { ...process.env, DATABASE_URL: '', ADVOCATE_DB: join(dir, 'advocate.db'), ADVOCATE_DATA_DIR: dir };
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env, encoding: 'utf8' });
  assert.equal(run('workspace', 'create', 'Acme').status, 0);
  const created = run('user', 'create', '--email', 'Vi@Example.com', '--name', 'Vi', '--role', 'viewer', '--workspace', 'Acme');
  assert.equal(created.status, 0, created.stderr);
  const password = created.stdout.match(/Password: (\S+)/)![1];
  assert.match(created.stdout, /vi@example\.com \(usr_\w+\) created as viewer/);
  const again = run('user', 'create', '--email', 'vi@example.com', '--role', 'admin', '--workspace', 'Acme');
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already in this workspace as viewer/);
  const badRole = run('user', 'create', '--email', 'x@example.com', '--role', 'owner', '--workspace', 'Acme');
  assert.equal(badRole.status, 2);
  assert.match(badRole.stderr, /--role: "owner" is not one of viewer, analyst, admin/);

  const store = openStore({ file: join(dir, 'advocate.db') });
  try {
    const user = await store.db.selectFrom('users').selectAll().where('email', '=', 'vi@example.com').executeTakeFirstOrThrow();
    assert.equal(await verifyPassword(password, user.password_hash), true);
    const membership = await store.db.selectFrom('memberships').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(membership.role, 'viewer');
  } finally {
    await store.close();
  }
});
