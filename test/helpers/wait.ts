/** Polls `probe` until it gives something truthy; fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Items a test server receives (emails, texts), with a wait for the n-th: `add` records one and
 * wakes whoever waits for it.
 */
export class Received<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();
  constructor(private readonly label: string) {}

  add(item: T): void {
    this.items.push(item);
    for (const wake of this.waiters) wake();
  }

  waitFor(n: number, timeoutMs = 5000): Promise<T[]> {
    if (this.items.length >= n) return Promise.resolve(this.items.slice());
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (this.items.length < n) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(this.items.slice());
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`${this.label}: waited ${timeoutMs} ms for ${n} message(s), got ${this.items.length}`));
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }
}
