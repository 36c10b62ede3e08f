import type { Worker } from 'node:worker_threads';
import { tsWorker } from './ts-worker.ts';
import type { IngestEvent, IngestFailure } from '../domain/event.ts';
import type { Command } from '../domain/commands.ts';
import type { CommandResult } from './commands.ts';
import type { Store } from './db.ts';
import { AppError, type ErrorKind } from '../domain/errors.ts';
import { serialize, type EventWriter, type SpecBatch, type WriteOptions, type WriteResult } from './writer.ts';

/** An error thrown in the writer's thread, as posted back (writer-worker.ts). */
interface WorkerError {
  name: string;
  message: string;
  stack?: string;
  kind?: ErrorKind;
  field?: string;
  headers?: Record<string, string>;
  details?: Record<string, unknown>;
}

// Projection allocates a lot that dies young (each batch parsed back, rows built and dropped). With
// V8's default young generation (16 MB semi-spaces) garbage collection took a sixth of projection's
// time; 128 MB semi-spaces (a young generation of about 3 × that) cut projection's CPU per event
// by 12-15% (bench/project-profile.ts: 92-106 → 84-88 µs/event). The space is taken only as it fills.
const YOUNG_GENERATION_MB = Number(process.env.ADVOCATE_WRITER_YOUNG_MB ?? 384);

/**
 * The writer of a SQLite file, run in a worker thread. Rows are built here (JSON encoding is the
 * caller's work) and shipped as plain strings; the worker commits and projects them. Measured on
 * the ingest benchmark; see the issue notes for the figures.
 */
export class ThreadWriter implements EventWriter {
  private readonly worker: Worker;
  private next = 1;
  private readonly calls = new Map<number, { resolve(v: any): void; reject(e: unknown): void }>();
  private readonly ready: Promise<void>;
  onProjected: ((workspaceIds: string[]) => void) | null = null;

  /** `entry`: the module the thread runs (ingest/writer-worker.ts, which gives the writer its batch reader). */
  constructor(file: string, entryUrl: URL) {
    this.worker = tsWorker(entryUrl, {
      workerData: { file },
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: any) => {
        if (m?.op === 'ready') resolve();
        else if (m?.op === 'projected') this.onProjected?.(m.workspaceIds);
        else this.settle(m);
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', (err) => {
        reject(err);
        for (const c of this.calls.values()) c.reject(err);
        this.calls.clear();
      });
    });
    // Alive while starting or while a call is outstanding, so a process that is done can exit.
    void this.ready.then(() => this.calls.size === 0 && this.worker.unref(), () => {});
  }

  private settle(m: { id: number; ok: boolean; result?: unknown; error?: WorkerError }) {
    const call = this.calls.get(m.id);
    if (!call) return;
    this.calls.delete(m.id);
    if (this.calls.size === 0) this.worker.unref();
    if (m.ok) return call.resolve(m.result);
    const e = m.error!;
    // Rebuilt as what it was, so that it answers as it would have in this thread.
    const err = e.kind ? new AppError(e.kind, e.message, { field: e.field, headers: e.headers, details: e.details }) : Object.assign(new Error(e.message), { name: e.name });
    err.stack = e.stack;
    call.reject(err);
  }

  private async call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.closed) throw new Error(`the writer is closed (${op})`);
    this.worker.ref();
    await this.ready;
    const id = this.next++;
    this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  write(workspaceId: string, events: IngestEvent[], failures: IngestFailure[] = [], options: WriteOptions = {}): Promise<WriteResult> {
    // One JSON string crosses threads far more cheaply than the objects (measured: 20.5k vs ~30k events/s).
    return this.call('write', workspaceId, serialize(events), failures, options);
  }
  acceptBatch(workspaceId: string, batch: SpecBatch, failures: IngestFailure[] = []): Promise<WriteResult> {
    return this.call('acceptBatch', workspaceId, batch, failures);
  }
  settled(): Promise<void> {
    return this.call('settled');
  }
  drain(): Promise<void> {
    return this.call('drain');
  }
  pending(workspaceId?: string): Promise<number> {
    return this.call('pending', workspaceId);
  }
  apply<C extends Command>(workspaceId: string, command: C): Promise<CommandResult<C>> {
    return this.call('apply', workspaceId, command);
  }
  private closed = false;
  async close(): Promise<void> {
    if (this.closed) return;
    await this.call('close');
    this.closed = true;
    this.worker.ref(); // keep the loop alive until the thread has really gone
    await this.worker.terminate();
  }
}
