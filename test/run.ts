/**
 * Entry point of `npm test`.
 *
 * node:test on Node 20 has no global setup hook, so this wrapper owns the one piece of shared state
 * the suites need: a PostgreSQL server. It starts a throwaway cluster (unless DATABASE_URL points at
 * one), hands its admin URL to the test processes as ADVOCATE_TEST_PG_URL, runs the tests, and
 * always tears the cluster down again.
 *
 *   npx tsx test/run.ts                         all test/**\/*.test.ts
 *   npx tsx test/run.ts store                   files whose path contains "store"
 *   npx tsx test/run.ts 'test/ingest/**'        glob over the test files
 *   npx tsx test/run.ts --test-name-pattern=x   options starting with "-" go to `node --test`
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chownSync, constants as fsConstants, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, statfsSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TEST_DIR = join(ROOT, 'test');
const IS_CI = isTruthy(process.env.CI);
const color = process.stderr.isTTY && !process.env.NO_COLOR;

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

function paint(code: string, text: string): string {
  return color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function say(message: string): void {
  process.stderr.write(`[test/run] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Test file selection

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      // "**/" must also match zero directories, as in shells with globstar.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** Returns [options for node --test, test files], both in a stable order. */
function selectTests(args: string[]): [string[], string[]] {
  const all = walk(TEST_DIR).sort();
  const options: string[] = [];
  const patterns: string[] = [];
  for (const arg of args) (arg.startsWith('-') ? options : patterns).push(arg);
  if (patterns.length === 0) return [options, all];

  const chosen = new Set<string>();
  for (const pattern of patterns) {
    const matched: string[] = [];
    const asPath = resolve(pattern);
    if (existsSync(asPath) && statSync(asPath).isFile()) matched.push(asPath);
    else if (existsSync(asPath) && statSync(asPath).isDirectory() && walk(asPath).length) matched.push(...walk(asPath));
    // A word that happens to name a folder without tests (`widget`) still picks test files by name.
    else if (/[*?]/.test(pattern)) {
      const re = globToRegExp(toPosix(pattern).replace(/^\.\//, ''));
      matched.push(...all.filter((file) => re.test(toPosix(relative(ROOT, file)))));
    } else {
      matched.push(...all.filter((file) => toPosix(relative(ROOT, file)).includes(toPosix(pattern))));
    }
    // A typo must not turn into a green run of zero tests.
    if (matched.length === 0) throw new UsageError(`no test file matches "${pattern}"`);
    for (const file of matched) chosen.add(file);
  }
  return [options, [...chosen].sort()];
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------
// Throwaway PostgreSQL cluster

interface PgBinaries {
  version: string;
  initdb: string;
  pgCtl: string;
}

function findPgBinaries(): PgBinaries | null {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    if (versions.length > 0) {
      const bin = join(base, versions[0], 'bin');
      return { version: versions[0], initdb: join(bin, 'initdb'), pgCtl: join(bin, 'pg_ctl') };
    }
  }
  // Non-Debian installs (Homebrew, distro packages with binaries on PATH).
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) {
      const out = spawnSync(join(dir, 'pg_ctl'), ['--version'], { encoding: 'utf8' }).stdout ?? '';
      return { version: out.match(/(\d+(?:\.\d+)?)/)?.[1] ?? '?', initdb: join(dir, 'initdb'), pgCtl: join(dir, 'pg_ctl') };
    }
  }
  return null;
}

/**
 * On a disk-backed /tmp every CREATE DATABASE costs a few hundred ms even with fsync=off, and each
 * PostgreSQL test creates one; tmpfs makes that several times faster. An explicit TMPDIR wins, and
 * a small /dev/shm (Docker's default is 64 MB) is left alone because a full one crashes the server.
 */
function clusterTmpBase(): string {
  if (process.env.TMPDIR) return tmpdir();
  try {
    accessSync('/dev/shm', fsConstants.W_OK);
    const fs = statfsSync('/dev/shm');
    if (fs.bavail * fs.bsize >= 1024 ** 3) return '/dev/shm';
  } catch {
    /* no /dev/shm (macOS) */
  }
  return tmpdir();
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

interface CommandResult {
  code: number | null;
  output: string;
}

class Cluster {
  dataDir: string | null = null;
  sockDir: string | null = null;
  logFile: string | null = null;
  started = false;
  private stopping: Promise<void> | null = null;
  private readonly asRoot = process.getuid?.() === 0;

  constructor(private readonly bin: PgBinaries) {}

  /** initdb refuses to run as root, so as root every server command runs as the `postgres` user. */
  private command(program: string, args: string[]): [string, string[]] {
    return this.asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  }

  private run(program: string, args: string[]): Promise<CommandResult> {
    const [cmd, argv] = this.command(program, args);
    return new Promise((done) => {
      // Output is only interesting when something fails; initdb is chatty otherwise.
      const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', (err) => done({ code: -1, output: output + String(err) }));
      child.on('close', (code) => done({ code, output }));
    });
  }

  private postgresIds(): { uid: number; gid: number } {
    const id = (flag: string) => {
      const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error('running as root but there is no "postgres" user to run the server as');
      return Number(r.stdout.trim());
    };
    return { uid: id('-u'), gid: id('-g') };
  }

  async init(): Promise<void> {
    const base = clusterTmpBase();
    this.dataDir = mkdtempSync(join(base, 'advocate-pgdata-'));
    this.sockDir = mkdtempSync(join(base, 'advocate-pgsock-'));
    this.logFile = join(this.sockDir, 'postgres.log');
    if (this.asRoot) {
      const { uid, gid } = this.postgresIds();
      chownSync(this.dataDir, uid, gid);
      chownSync(this.sockDir, uid, gid);
    }
    const r = await this.run(this.bin.initdb, [
      '-D', this.dataDir, '--auth=trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8',
    ]);
    if (r.code !== 0) throw new Error(`initdb failed (exit ${r.code}):\n${r.output}`);
  }

  async start(): Promise<number> {
    if (!this.dataDir || !this.sockDir || !this.logFile) throw new Error('cluster not initialised');
    // The free port is only reserved until we close the probe socket; another process can take it
    // before the postmaster binds, so retry on that race instead of failing the whole run.
    let lastError = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      const port = await freePort();
      const options = [
        `-p ${port}`,
        `-k '${this.sockDir}'`,
        '-c listen_addresses=127.0.0.1',
        // Durability is pointless for a cluster that is deleted after the run.
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        // Each test file runs in its own process with its own pools; the default 100 is tight.
        '-c max_connections=200',
      ].join(' ');
      const r = await this.run(this.bin.pgCtl, ['-D', this.dataDir, '-o', options, '-l', this.logFile, '-w', 'start']);
      if (r.code === 0) {
        this.started = true;
        return port;
      }
      lastError = `pg_ctl start failed (exit ${r.code}):\n${r.output}\n--- server log ---\n${this.logTail()}`;
      if (!/could not bind|already in use/i.test(lastError)) break;
    }
    throw new Error(lastError);
  }

  logTail(): string {
    try {
      return readFileSync(this.logFile ?? '', 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  private stopArgs(): string[] {
    return ['-D', this.dataDir ?? '', '-m', 'immediate', '-w', 'stop'];
  }

  private hasPostmaster(): boolean {
    return this.dataDir !== null && existsSync(join(this.dataDir, 'postmaster.pid'));
  }

  /** pg_ctl fails if it was interrupted half-way through start; then kill the postmaster directly. */
  private killPostmaster(): void {
    try {
      const pid = Number(readFileSync(join(this.dataDir ?? '', 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      /* already gone */
    }
  }

  private removeDirs(): void {
    for (const dir of [this.dataDir, this.sockDir]) {
      if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
    this.dataDir = this.sockDir = null;
  }

  /**
   * Asynchronous on purpose: under `tsx test/run.ts` the tsx parent relays Ctrl-C to us and SIGKILLs
   * us if our (hidden) signal listener does not acknowledge within 30 ms, which it cannot do while
   * a spawnSync blocks the event loop; that used to leave the data directory behind.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.hasPostmaster()) {
        const r = await this.run(this.bin.pgCtl, this.stopArgs());
        if (r.code !== 0) this.killPostmaster();
      }
      this.removeDirs();
    })();
    return this.stopping;
  }

  /** For process.on('exit'), the last line of defence against leaving a postmaster behind. */
  stopSync(): void {
    if (this.dataDir === null && this.sockDir === null) return;
    if (this.hasPostmaster()) {
      const [cmd, argv] = this.command(this.bin.pgCtl, this.stopArgs());
      const r = spawnSync(cmd, argv, { stdio: 'ignore', timeout: 30_000 });
      if (r.status !== 0) this.killPostmaster();
    }
    this.removeDirs();
  }
}

// ---------------------------------------------------------------------------------------------
// Main

let cluster: Cluster | null = null;
let child: ChildProcess | null = null;
let interrupted: NodeJS.Signals | null = null;

function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 1);
}

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) return;
  interrupted = signal;
  say(`${signal} received, stopping…`);
  if (child && child.exitCode === null && child.signalCode === null) {
    // The test runner shuts down its own subprocesses; we clean up when it has exited.
    child.kill(signal);
  } else if (!cluster || cluster.started || !cluster.dataDir) {
    // Not inside a startup step: nothing to wait for.
    void bail();
  }
  // Otherwise a startup step (initdb / pg_ctl start) is running; main() notices `interrupted`
  // when it returns, because killing pg_ctl half-way can orphan a postmaster.
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
process.on('exit', () => cluster?.stopSync());

async function bail(): Promise<never> {
  await cluster?.stop();
  process.exit(signalExitCode(interrupted ?? 'SIGTERM'));
}

function warnBox(lines: string[]): void {
  const bar = '!'.repeat(Math.max(...lines.map((l) => l.length)) + 4);
  const body = [bar, ...lines.map((l) => `! ${l}`), bar].join('\n');
  process.stderr.write(`\n${paint('1;33', body)}\n\n`);
}

async function preparePostgres(): Promise<string | null> {
  if (process.env.DATABASE_URL) {
    say(`PostgreSQL: using DATABASE_URL (${process.env.DATABASE_URL.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')})`);
    return process.env.DATABASE_URL;
  }
  if (process.env.ADVOCATE_TEST_PG_URL) {
    say('PostgreSQL: using the ADVOCATE_TEST_PG_URL given in the environment');
    return process.env.ADVOCATE_TEST_PG_URL;
  }

  const bin = findPgBinaries();
  let failure: string;
  if (bin) {
    const started = performance.now();
    cluster = new Cluster(bin);
    try {
      await cluster.init();
      if (interrupted) await bail();
      const initMs = performance.now() - started;
      const port = await cluster.start();
      if (interrupted) await bail();
      const totalMs = performance.now() - started;
      say(
        `PostgreSQL ${bin.version} throwaway cluster on 127.0.0.1:${port} (${cluster.dataDir}) started in ` +
          `${Math.round(totalMs)} ms (initdb ${Math.round(initMs)} ms, start ${Math.round(totalMs - initMs)} ms)`,
      );
      return `postgres://postgres@127.0.0.1:${port}/postgres`;
    } catch (err) {
      if (interrupted) await bail();
      await cluster.stop();
      cluster = null;
      failure = `could not start a PostgreSQL ${bin.version} cluster: ${(err as Error).message}`;
    }
  } else {
    failure = 'no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH';
  }

  if (IS_CI) {
    process.stderr.write(
      `\n${paint('1;31', `[test/run] FATAL: ${failure}`)}\n` +
        '[test/run] CI must run the PostgreSQL tests: install PostgreSQL (see .ci/run) or set DATABASE_URL.\n\n',
    );
    process.exit(1);
  }
  warnBox([
    'PostgreSQL not found: PostgreSQL tests will be SKIPPED',
    failure.split('\n')[0],
    'Install PostgreSQL (apt-get install postgresql) or set DATABASE_URL to an admin URL.',
  ]);
  return null;
}

async function main(): Promise<number> {
  let options: string[];
  let files: string[];
  try {
    [options, files] = selectTests(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      say(`error: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (files.length === 0) {
    say('error: no test files found under test/');
    return 1;
  }

  const pgUrl = await preparePostgres();
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Tests must reach PostgreSQL only through the per-test databases of test/helpers/backends.ts;
  // openStore() falls back to DATABASE_URL, which would point a careless test at the admin database.
  delete env.DATABASE_URL;
  delete env.ADVOCATE_TEST_PG_URL;
  delete env.ADVOCATE_TEST_PG_TEMPLATE;
  delete env.ADVOCATE_TEST_PG_THROWAWAY;
  // Per run, so a template migrated by an earlier run (with older migrations) is never reused.
  const template = `advocate_tpl_${randomBytes(6).toString('hex')}`;
  if (pgUrl) {
    env.ADVOCATE_TEST_PG_URL = pgUrl;
    env.ADVOCATE_TEST_PG_TEMPLATE = template;
    if (cluster) env.ADVOCATE_TEST_PG_THROWAWAY = '1';
  }

  const argv = [
    '--import', 'tsx',
    '--test', '--test-reporter=spec', '--test-concurrency=1',
    ...options,
    ...files.map((f) => relative(ROOT, f)),
  ];
  const code = await new Promise<number>((done) => {
    child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: 'inherit' });
    child.on('error', (err) => {
      say(`could not start the test runner: ${err.message}`);
      done(1);
    });
    child.on('exit', (exitCode, signal) => done(exitCode ?? signalExitCode(signal ?? 'SIGTERM')));
  });
  // Our own cluster is deleted wholesale; on a server given by the user, tidy up after ourselves.
  if (pgUrl && !cluster) await dropTemplate(pgUrl, template);
  // Repeated because the first warning has scrolled away behind the test output by now.
  if (!pgUrl) warnBox(['PostgreSQL not found: PostgreSQL tests were SKIPPED']);
  return code;
}

async function dropTemplate(adminUrl: string, template: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${template}"`);
  } catch (err) {
    say(`warning: could not drop template database ${template}: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

main()
  .then(async (code) => {
    await cluster?.stop();
    process.exit(interrupted ? signalExitCode(interrupted) : code);
  })
  .catch(async (err: unknown) => {
    say(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cluster?.stop().catch(() => {});
    process.exit(1);
  });
