// Seeded randomness for the demo data. Math.random cannot be seeded, and the demo must be
// reproducible: the same (seed, options) has to give byte-identical messages so tests can assert on
// planted effects and a demo workspace looks the same on every machine.

/** 32-bit avalanche mix (splitmix32 finaliser): nearby seeds (customer 41, 42) give unrelated streams. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Combines numbers into one 32-bit seed, so each customer can own an independent stream. */
export function hashSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    // Fold in both halves so seeds above 2^32 still matter.
    h = mix32(h ^ (p >>> 0));
    h = mix32(h ^ Math.floor(p / 0x1_0000_0000));
  }
  return h;
}

export type Weighted<T> = readonly (readonly [T, number])[];

/**
 * xoshiro128** generator. Chosen over mulberry32 for its 128-bit state: per-customer streams of a
 * few thousand draws each never show the short-cycle artefacts a 32-bit state can.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => (s = mix32(s));
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Uniform in [0, 1). */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result / 0x1_0000_0000;
  }

  /** Uniform in [min, max). */
  float(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  weighted<T>(items: Weighted<T>): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1][0]; // only reachable through rounding at the very top
  }

  /** Box–Muller; the second value of each pair is kept so half the calls cost no logarithm. */
  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + sd * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** Waiting time of a Poisson process with the given rate (mean 1/rate). */
  exponential(rate: number): number {
    return -Math.log(1 - this.next()) / rate;
  }

  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    // Knuth's product method is exact but linear in lambda; past 30 the normal approximation is
    // indistinguishable for demo purposes.
    if (lambda > 30) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** RFC 4122 version-4 shape, as the Segment browser library makes anonymous ids. */
  uuid(): string {
    const hex = (n: number, len: number) => (n >>> 0).toString(16).padStart(8, '0').slice(8 - len);
    const w = () => Math.floor(this.next() * 0x1_0000_0000);
    const a = w();
    const b = w();
    const c = w();
    const d = w();
    return (
      hex(a, 8) +
      '-' +
      hex(b >>> 16, 4) +
      '-' +
      hex(0x4000 | (b & 0x0fff), 4) +
      '-' +
      hex(0x8000 | (c & 0x3fff), 4) +
      '-' +
      hex(c >>> 16, 4) +
      hex(d, 8)
    );
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
