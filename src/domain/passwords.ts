import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { randomBase62 } from './ids.ts';

// scrypt is memory-hard: each guess costs 128·N·r bytes (32 MiB here) as well as time, which is
// what makes GPU and ASIC guessing of stolen hashes expensive. OWASP's minimum is N=2^17 with
// r=8; 2^15 keeps a sign-in near 60 ms on one core, and the parameters travel with each hash, so
// raising them later rehashes passwords as people sign in (needsRehash).
export const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;

/** Node refuses scrypt above maxmem (32 MiB by default, just under what N=2^15, r=8 needs). */
function options(N: number, r: number, p: number): ScryptOptions {
  return { N, r, p, maxmem: 128 * N * r * p + 16 * 1024 * 1024 };
}

// The async API runs scrypt on libuv's thread pool, so hashing never blocks the event loop.
function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options(N, r, p), (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function parse(stored: string) {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  const N = Number(n), R = Number(r), P = Number(p);
  // Bounds keep a corrupted or hostile row from asking for gigabytes.
  if (scheme !== 'scrypt' || !salt || !hash || !(N >= 2 && N <= 2 ** 20) || !(R >= 1 && R <= 32) || !(P >= 1 && P <= 16)) return null;
  return { N, r: R, p: P, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h || h.hash.length === 0) return false;
  const key = await derive(password, h.salt, h.N, h.r, h.p);
  return key.length === h.hash.length && timingSafeEqual(key, h.hash);
}

/** True when the hash was made with other parameters than today's. */
export function needsRehash(stored: string): boolean {
  const h = parse(stored);
  return !h || h.N !== SCRYPT.N || h.r !== SCRYPT.r || h.p !== SCRYPT.p || h.hash.length !== KEY_LENGTH;
}

/** A hash of a password nobody knows: checked against when an email is unknown, so that a wrong email takes as long as a wrong password. */
let dummy: Promise<string> | null = null;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}

export const MIN_PASSWORD = 10;

/** 20 base62 characters: about 119 bits. */
export function randomPassword(): string {
  return randomBase62(20);
}
