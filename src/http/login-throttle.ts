/**
 * Failed sign-ins per email and per client address in a sliding window, in memory. Per email stops
 * guessing one account's password; per address stops trying one common password on many accounts.
 * In memory means per process: several processes multiply the allowance, which still keeps online
 * guessing to a handful of tries a minute against a memory-hard hash.
 */
export interface ThrottleLimits {
  perEmail: number;
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = { perEmail: 10, perAddress: 30, windowMs: 15 * 60_000 };
// Bounds memory under a spray of made-up emails: past this many keys, stale ones are swept.
const SWEEP_AT = 10_000;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: ThrottleLimits = DEFAULT_LIMITS) {}

  /** Seconds until another try is allowed, or 0 when one is allowed now. */
  retryAfter(email: string, address: string, now = Date.now()): number {
    let wait = 0;
    for (const [key, limit] of this.keys(email, address)) {
      const times = this.recent(key, now);
      if (times.length >= limit) wait = Math.max(wait, times[times.length - limit] + this.limits.windowMs - now);
    }
    return wait > 0 ? Math.ceil(wait / 1000) : 0;
  }

  fail(email: string, address: string, now = Date.now()): void {
    if (this.failures.size >= SWEEP_AT) this.sweep(now);
    for (const [key, limit] of this.keys(email, address)) this.failures.set(key, [...this.recent(key, now), now].slice(-limit));
  }

  /** A right password forgives that email's failures (not the address's: an attacker may own one account). */
  succeed(email: string): void {
    this.failures.delete(`e:${email}`);
  }

  private keys(email: string, address: string): Array<[string, number]> {
    return [[`e:${email}`, this.limits.perEmail], [`a:${address}`, this.limits.perAddress]];
  }

  private recent(key: string, now: number): number[] {
    const times = (this.failures.get(key) ?? []).filter((t) => t > now - this.limits.windowMs);
    if (times.length) this.failures.set(key, times);
    else this.failures.delete(key);
    return times;
  }

  private sweep(now: number): void {
    for (const key of [...this.failures.keys()]) this.recent(key, now);
  }
}
