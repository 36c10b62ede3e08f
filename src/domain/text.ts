import { LIMITS } from './limits.ts';

// NUL cannot be stored in PostgreSQL text at all, and an unpaired UTF-16 surrogate has no UTF-8
// form: SQLite stores it as bytes that read back as U+FFFD, so two different ids would collapse
// into one and neither could be found by the string that was sent. Both are refused at the door,
// on both backends alike, rather than replaced.
const SUSPECT = /[\u0000\uD800-\uDFFF]/;

/** Why `s` is not storable text, or null. */
export function textProblem(s: string): string | null {
  if (!SUSPECT.test(s)) return null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return 'contains a NUL character (\\u0000), which is not text';
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `contains an unpaired surrogate (\\u${c.toString(16)}), which is not valid Unicode`;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return `contains an unpaired surrogate (\\u${c.toString(16)}), which is not valid Unicode`;
  }
  return null;
}

export interface JsonProblem {
  /** Where, as a field path: `properties.items[2].name`. */
  path: string;
  message: string;
}

const isIdent = /^[A-Za-z_$][\w$]*$/;
function join(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const k = isIdent.test(key) ? key : JSON.stringify(key);
  return base ? (isIdent.test(key) ? `${base}.${k}` : `${base}[${k}]`) : k;
}

/** A place in the value being walked; its path string is only built for the one that fails. */
interface Place {
  parent: Place | null;
  key: string | number;
}

function pathOf(base: string, place: Place | null): string {
  const keys: Array<string | number> = [];
  for (let p = place; p; p = p.parent) keys.push(p.key);
  let path = base;
  for (let i = keys.length - 1; i >= 0; i--) path = join(path, keys[i]);
  return path || 'body';
}

// SUSPECT matched, but a well-paired surrogate is fine: only a real problem stops the walk.
function stringProblem(s: string, base: string, place: Place | null): JsonProblem | null {
  const p = textProblem(s);
  return p ? { path: pathOf(base, place), message: p } : null;
}

/**
 * The first thing in a parsed JSON value that cannot be stored: nesting deeper than
 * LIMITS.jsonDepth (deep values overflow the stack of every recursive reader after us, JSON.stringify
 * included), or a string or key that is not text. Iterative, so a hostile depth costs nothing here;
 * it runs on every message ingested, so paths are kept as parent links and spelled out only on failure.
 */
export function jsonProblem(value: unknown, base = '', maxDepth: number = LIMITS.jsonDepth): JsonProblem | null {
  const values: unknown[] = [value];
  const places: Array<Place | null> = [null];
  const depths: number[] = [0];
  while (values.length) {
    const v = values.pop();
    const place = places.pop()!;
    const depth = depths.pop()!;
    if (typeof v === 'string') {
      if (SUSPECT.test(v)) {
        const p = stringProblem(v, base, place);
        if (p) return p;
      }
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return { path: pathOf(base, place), message: `nests deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const x = v[i];
        if (x === null || typeof x !== 'object') {
          if (typeof x === 'string' && SUSPECT.test(x)) {
            const p = stringProblem(x, base, { parent: place, key: i });
            if (p) return p;
          }
          continue;
        }
        values.push(x);
        places.push({ parent: place, key: i });
        depths.push(depth + 1);
      }
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i];
      if (SUSPECT.test(k)) {
        const p = textProblem(k);
        if (p) return { path: pathOf(base, place), message: `has a key that ${p}` };
      }
      const x = (v as Record<string, unknown>)[k];
      if (x === null || typeof x !== 'object') {
        if (typeof x === 'string' && SUSPECT.test(x)) {
          const p = stringProblem(x, base, { parent: place, key: k });
          if (p) return p;
        }
        continue;
      }
      values.push(x);
      places.push({ parent: place, key: k });
      depths.push(depth + 1);
    }
  }
  return null;
}

/** Decodes UTF-8, refusing malformed bytes instead of turning them into U+FFFD (which would merge distinct ids). */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** How much of a rejected message is kept: enough to recognise it, never a whole 32 KB payload. */
export const EXCERPT_CHARS = 2_000;

/**
 * JSON text of `value`, cut after about `max` characters. Iterative and budgeted, because what is
 * kept here is by definition what failed validation: it may nest far deeper than JSON.stringify's
 * stack allows, or be large.
 */
export function jsonExcerpt(value: unknown, max = EXCERPT_CHARS): string {
  let out = '';
  type Frame = { kind: 'value'; v: unknown } | { kind: 'text'; t: string };
  const stack: Frame[] = [{ kind: 'value', v: value }];
  while (stack.length && out.length <= max) {
    const f = stack.pop()!;
    if (f.kind === 'text') {
      out += f.t;
      continue;
    }
    const v = f.v;
    if (v === null || typeof v === 'number' || typeof v === 'boolean') out += Number.isFinite(v as number) || typeof v !== 'number' ? String(v) : 'null';
    else if (typeof v === 'string') out += JSON.stringify(v.length > max ? v.slice(0, max) : v);
    else if (Array.isArray(v)) {
      stack.push({ kind: 'text', t: ']' });
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ kind: 'value', v: v[i] });
        if (i > 0) stack.push({ kind: 'text', t: ',' });
      }
      out += '[';
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && typeof x !== 'function');
      stack.push({ kind: 'text', t: '}' });
      for (let i = entries.length - 1; i >= 0; i--) {
        stack.push({ kind: 'value', v: entries[i][1] });
        stack.push({ kind: 'text', t: `${JSON.stringify(entries[i][0])}:` });
        if (i > 0) stack.push({ kind: 'text', t: ',' });
      }
      out += '{';
    } else out += 'null';
  }
  return out.length > max || stack.length ? `${out.slice(0, max)}…` : out;
}
