import { createHash, randomBytes } from 'node:crypto';

// Time-sortable identifiers (ULID alphabet): ordering by id is ordering by creation time, which
// makes cursor paging trivial, and ids can be made in the application before a bulk insert.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
let lastRandom = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 10; i++) out += ALPHABET[bytes[i] & 31];
  return out;
}

/** Monotonic within one process: ids made in the same millisecond still sort in creation order. */
export function newId(prefix: string, now = Date.now()): string {
  if (now <= lastTime) {
    now = lastTime;
    for (let i = 9; i >= 0; i--) {
      if (lastRandom[i] < 31) {
        lastRandom[i]++;
        break;
      }
      lastRandom[i] = 0;
    }
  } else {
    lastTime = now;
    lastRandom = Uint8Array.from(randomBytes(10), (b) => b & 31);
  }
  return `${prefix}_${encodeTime(now)}${encodeRandom(lastRandom)}`;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Uniform random base62 text (bytes ≥ 248 are dropped so no letter is likelier than another). */
export function randomBase62(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i++) if (bytes[i] < 248) out += BASE62[bytes[i] % 62];
  return out.length === length ? out : randomBase62(length);
}

/** The smallest id of that prefix made at `ms`: `id > idFloor(p, t)` selects ids made from t on. */
export function idFloor(prefix: string, ms: number): string {
  return `${prefix}_${encodeTime(Math.max(0, Math.floor(ms)))}0000000000`;
}

/**
 * An id that sorts by `ms` like newId's but is the same every time for the same key, so work that
 * may be done twice (a trigger scan after a crash, two processes) creates one row, not two.
 */
export function derivedId(prefix: string, ms: number, key: string): string {
  const digest = createHash('sha256').update(key).digest();
  return `${prefix}_${encodeTime(Math.max(0, Math.floor(ms)))}${encodeRandom(digest)}`;
}
