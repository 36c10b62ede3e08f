import { isTransientDbError } from '../store/transient.ts';

/**
 * Work that is due by the clock rather than by a request: scanning for trigger events, starting
 * scheduled survey runs. Every task is safe to run in several processes at once (its writes are
 * idempotent), so each process simply runs its own clock; a slow run is never overlapped by the next.
 */
export interface ClockTask {
  name: string;
  run: (now: number) => Promise<unknown>;
}

export class Clock {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Tasks whose last run failed because the database was unavailable. */
  private readonly unavailable = new Set<string>();
  readonly everyMs: number;

  constructor(
    private readonly tasks: ClockTask[],
    everyMs?: number,
  ) {
    this.everyMs = everyMs ?? Number(process.env.ADVOCATE_CLOCK_MS ?? 15_000);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Runs every task once now (or waits for the run in progress). */
  tick(now = Date.now()): Promise<void> {
    this.running ??= (async () => {
      for (const task of this.tasks) {
        try {
          await task.run(now);
          this.unavailable.delete(task.name);
        } catch (err) {
          // The next tick tries again whatever failed; an outage of the database is said once per task.
          if (!isTransientDbError(err)) console.error(`advocate: ${task.name}`, err);
          else if (!this.unavailable.has(task.name)) console.error(`advocate: ${task.name}: the database is unavailable (${(err as Error).message}); retrying`);
          if (isTransientDbError(err)) this.unavailable.add(task.name);
        }
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
