/**
 * A throwaway PostgreSQL cluster: initdb into a temporary (tmpfs when there is room) directory,
 * pg_ctl on a free loopback port, everything removed on stop. test/run.ts starts one for the whole
 * run; a test that must stop and start its server (test/pg-restart.test.ts) starts one of its own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chownSync, constants as fsConstants, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export interface PgBinaries {
  version: string;
  initdb: string;
  pgCtl: string;
}

export function findPgBinaries(): PgBinaries | null {
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

export function freePort(): Promise<number> {
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

export class Cluster {
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

  /**
   * Starts the server and answers its port. `port` starts it again where clients already point (after
   * stopServer); `settings` are extra `-c name=value` options, after (so overriding) the defaults.
   */
  async start(options: { port?: number; settings?: string[] } = {}): Promise<number> {
    if (!this.dataDir || !this.sockDir || !this.logFile) throw new Error('cluster not initialised');
    // The free port is only reserved until we close the probe socket; another process can take it
    // before the postmaster binds, so retry on that race instead of failing the whole run.
    let lastError = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      const port = options.port ?? (await freePort());
      const serverOptions = [
        `-p ${port}`,
        `-k '${this.sockDir}'`,
        '-c listen_addresses=127.0.0.1',
        // Durability is pointless for a cluster that is deleted after the run.
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        // Each test file runs in its own process with its own pools; the default 100 is tight.
        '-c max_connections=200',
        ...(options.settings ?? []).map((setting) => `-c ${setting}`),
      ].join(' ');
      const r = await this.run(this.bin.pgCtl, ['-D', this.dataDir, '-o', serverOptions, '-l', this.logFile, '-w', 'start']);
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

  /** Stops the server as a crash would (no checkpoint, connections cut) and keeps its data for start(). */
  async stopServer(): Promise<void> {
    const r = await this.run(this.bin.pgCtl, this.stopArgs());
    if (r.code !== 0) throw new Error(`pg_ctl stop failed (exit ${r.code}):\n${r.output}`);
    this.started = false;
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

/**
 * A short-lived client on `url` for `fn`: a pool would keep the process alive after its last use,
 * and CREATE/DROP DATABASE cannot run inside a transaction anyway.
 */
export async function withPgClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
