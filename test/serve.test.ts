import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
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

test('npm start: first start creates the demo workspace and prints the URL and keys; the API serves it', { timeout: 240_000 }, async () => {
  const dir = tmpDir('advocate-serve-');
  const first = await serve(dir);
  let url = '';
  let secret = '';
  try {
    url = first.out.match(/Dashboard:\s+(http:\/\/\S+?)\/\s/)![1];
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

  // A second start on the same database keeps the workspace and prints the same keys again.
  const second = await serve(dir);
  try {
    assert.doesNotMatch(second.out, /creating the demo workspace/);
    assert.equal(second.out.match(/Secret key:\s+(adv_sk_\S+)/)![1], secret);
  } finally {
    await stop(second.child);
  }
});
