import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { tmpDir } from './helpers/backends.ts';
import { basic } from './helpers/server.ts';

const ROOT = join(import.meta.dirname, '..');

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  [key: string]: unknown;
}

/** `advocate serve` with the environment an operator would have: no LOG_LEVEL, no test quieting. */
function serve(dir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '', ADVOCATE_DB: join(dir, 'advocate.db'), ADVOCATE_DATA_DIR: dir };
  delete env.LOG_LEVEL;
  delete env.ADVOCATE_PUBLIC_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0', '--no-demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  let out = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, lines, output: () => out };
}

/** The first log line that `match` accepts, once the server has printed it. */
async function lineWhere(server: ReturnType<typeof serve>, what: string, match: (l: LogLine) => boolean): Promise<LogLine> {
  const end = Date.now() + 60_000;
  for (;;) {
    const line = server.lines.find(match);
    if (line) return line;
    if (Date.now() > end || server.child.exitCode !== null) throw new Error(`no ${what} in:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

test('serve logs its start, each 5xx once with the request id, and its stop, as JSON lines, without a line per request', { timeout: 120_000 }, async () => {
  const dir = tmpDir('advocate-logging-');
  const created = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'workspace', 'create', 'Acme'], {
    cwd: ROOT, env: { ...process.env, DATABASE_URL: '', ADVOCATE_DB: join(dir, 'advocate.db') }, encoding: 'utf8',
  });
  assert.equal(created.status, 0, created.stderr);
  const secret = created.stdout.match(/Secret key:\s+(adv_sk_\S+)/)![1];

  const server = serve(dir);
  let exited = false;
  try {
    const started = await lineWhere(server, 'start line', (l) => l.msg === 'Advocate started');
    assert.equal(started.level, 30, 'info');
    assert.equal(started.backend, 'sqlite');
    const url = `http://127.0.0.1:${started.port}`;
    assert.equal(started.publicUrl, url);
    const get = (path: string) => fetch(url + path, { headers: { authorization: basic(secret) } });

    // An ordinary request is not logged at the default level.
    const ok = await get('/api/v1/surveys');
    assert.equal(ok.status, 200);
    const okId = ok.headers.get('x-request-id');
    assert.ok(okId);

    // A real fault under the running server: a table gone from its database.
    const db = new Database(join(dir, 'advocate.db'));
    db.exec('ALTER TABLE surveys RENAME TO surveys_gone');
    db.close();
    const failed = await get('/api/v1/surveys');
    assert.equal(failed.status, 500);
    assert.equal((await failed.json()).message, 'Internal error; it has been logged');
    const reqId = failed.headers.get('x-request-id')!;
    assert.match(reqId, /^[0-9a-f-]{36}$/);
    assert.notEqual(reqId, okId);
    const logged = await lineWhere(server, `line for request ${reqId}`, (l) => l.reqId === reqId);
    assert.equal(logged.level, 50, 'error');
    assert.equal(logged.statusCode, 500);
    assert.equal(logged.route, '/api/v1/surveys');
    assert.match((logged.err as { message: string; stack: string }).message, /no such table: surveys/);
    assert.match((logged.err as { stack: string }).stack, /\n\s+at /);

    const code = await stop(server.child);
    exited = true;
    assert.equal(code, 0, server.output());
    assert.equal(server.lines.filter((l) => l.reqId === reqId).length, 1, 'one line per 5xx');
    assert.equal(server.lines.filter((l) => l.reqId === okId).length, 0, 'no line for a 200');
    const stopping = server.lines.find((l) => l.msg === 'Advocate stopping (SIGTERM)');
    const stopped = server.lines.find((l) => l.msg === 'Advocate stopped');
    assert.ok(stopping && stopped, server.output());
    assert.deepEqual([stopping.level, stopped.level], [30, 30]);
    assert.ok(server.lines.indexOf(stopped) > server.lines.indexOf(logged));
  } finally {
    if (!exited) await stop(server.child);
  }
});
