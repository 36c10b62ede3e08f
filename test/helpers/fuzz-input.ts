/**
 * Generated hostile input for test/fuzz.test.ts: a seeded PRNG, values drawn from an OpenAPI
 * schema (so that input reaches real fields), mutations of those values, and the bodies, query
 * strings and path segments built from them as raw bytes (what JSON.stringify or URLSearchParams
 * cannot write: 5,000 levels of nesting, 2^53+1, 1e400, malformed UTF-8, stray percent signs).
 */
import { gzipSync } from 'node:zlib';

// ---------------------------------------------------------------------------------------------
// Randomness

export interface Rng {
  (): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast and good enough to spread cases; the same seed gives the same cases. */
export function rngFrom(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = next as Rng;
  r.int = (n) => Math.floor(next() * n);
  r.pick = (xs) => xs[Math.floor(next() * xs.length)];
  r.chance = (p) => next() < p;
  return r;
}

/** FNV-1a, to derive one case's seed from the run's seed, the route and the case number. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Raw pieces of JSON text

/** Bytes spliced into a JSON body as they are, where JSON.stringify cannot write them. */
export class Raw {
  constructor(readonly bytes: Buffer, readonly label: string) {}
  static text(text: string, label = text.length > 40 ? `${text.slice(0, 40)}…` : text): Raw {
    return new Raw(Buffer.from(text, 'utf8'), label);
  }
}

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

/** JSON text with every Raw spliced in at its place. */
export function toJsonBytes(value: unknown): Buffer {
  const raws: Raw[] = [];
  const marker = `~raw~${Math.random().toString(36).slice(2)}~`;
  const text = JSON.stringify(value, (_k, v) => {
    if (v instanceof Raw) {
      raws.push(v);
      return `${marker}${raws.length - 1}~`;
    }
    return v;
  }) ?? 'null';
  if (!raws.length) return Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  const re = new RegExp(`"${marker}(\\d+)~"`, 'g');
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(Buffer.from(text.slice(last, m.index), 'utf8'), raws[Number(m[1])].bytes);
    last = m.index + m[0].length;
  }
  out.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(out);
}

// ---------------------------------------------------------------------------------------------
// What the generator knows about the workspace under test

/** Real values of the caller's own objects (so input reaches handler logic), and others' and made-up ones. */
export interface Known {
  own: Record<string, string>;
  foreign: Record<string, string>;
  /** Endpoints the server may connect to: every host and URL a body carries is one of these (loopback only). */
  loopbackHosts: string[];
  loopbackUrls: string[];
}

const nest = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};

const DATES = [
  '2026-02-30', '2026-02-30T10:00:00Z', '2025-13-01T00:00:00Z', '2026-01-01T24:00:01Z', '2026-01-01T10:61:00Z',
  '+275760-09-13T00:00:00Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00Z', '-000001-01-01T00:00:00Z',
  '99999999999999999999', '1e12', '1e15', '-1', '0', '1999-12-31T23:59:59Z', '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z', '2026-01-01T00:00:00+25:00', '2026-01-01T00:00:00.0000000001Z', '2026-W01', 'yesterday',
  'Tue, 30 Feb 2026 10:00:00 GMT', '2026-06-01', '20260601', '1.7e12',
];

const STRINGS = [
  '', ' ', '\t', '0', '-1', '1.5', 'NaN', 'Infinity', '-Infinity', 'null', 'undefined', 'true', '1e12', '1e308', '1e400',
  '9007199254740993', '99999999999999999999', '2147483648', '-2147483649', '0x10', '1_000',
  'nul\u0000inside', '\u0000', 'lone \ud800 high', 'lone \udc00 low', '\udc00\ud800', 'bom\ufeff', '\u202eevil', 'zero\u200bwidth',
  '\r\n', 'line\nbreak', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' OR 1=1 --", '"; DROP TABLE events; --',
  '%00', '%ED%B0%80', '../../etc/passwd', '..\\..\\boot.ini', '=HYPERLINK("http://127.0.0.1/x")', '+SUM(1)', '@x', '-2+3',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '$where', '{{7*7}}', '${7*7}',
  'email:', 'phone_number:', 'email:nobody@example.com', 'a@b', '@', 'not-an-email', 'x@y.z', '+', '+1', '+15550100', '+1 (555) 010-7788',
  'adv_pk_madeup', 'adv_sk_madeup', 'srv_madeup', 'ans_madeup', 'prof_madeup',
  'ünïcödé', '😀', 'e\u0301', 'ﷺ', '𝕏'.repeat(64), 'é'.repeat(257), 'x'.repeat(201), 'x'.repeat(257), 'x'.repeat(1025), 'x'.repeat(4001),
  ...DATES,
];

const NUMBERS = [
  -1, 0, 1, 0.5, 1.5, -0.5, 7, 10, 11, 101, 255, 256, 65536, 2147483647, 2147483648, -2147483648, -2147483649, 4294967296,
  2 ** 53, 1e12, 1e12 + 1, -1e12, -1e12 - 1, 1e15, 1e21, 1e308, -1e308, 5e-324, 0.1, 31536001, 1767225600000, 1767225600,
];

/** Numbers as JSON text JavaScript cannot write: 2^53+1 is not a double, 1e400 parses as Infinity, -0 as -0. */
const RAW_NUMBERS = ['9007199254740993', '1e400', '-1e400', '-0', '1E2', '0.0', '1.0', '123456789012345678901234567890', '1e-400', '4.9e-325'];

/** Bytes inside a JSON string that are not UTF-8 (or are its forbidden forms). */
const BAD_UTF8: Array<[string, Buffer]> = [
  ['0xff 0xfe', bytes('"bad', [0xff, 0xfe], '"')],
  ['CESU surrogate', bytes('"', [0xed, 0xa0, 0x80], '"')],
  ['CESU low surrogate', bytes('"', [0xed, 0xb0, 0x80], '"')],
  ['overlong /', bytes('"', [0xc0, 0xaf], '"')],
  ['past U+10FFFF', bytes('"', [0xf4, 0x90, 0x80, 0x80], '"')],
  ['truncated sequence', bytes('"', [0xe2, 0x82], '"')],
  ['latin-1 é', bytes('"caf', [0xe9], '"')],
];

/** A value of any kind that a field should refuse, or at worst store as harmless text. */
export function hostileValue(rng: Rng, known: Known): unknown {
  switch (rng.int(12)) {
    case 0: case 1: case 2: return rng.pick(STRINGS);
    case 3: return rng.pick(NUMBERS);
    case 4: return Raw.text(rng.pick(RAW_NUMBERS));
    case 5: {
      const [label, b] = rng.pick(BAD_UTF8);
      return new Raw(b, label);
    }
    case 6: return rng.pick([null, true, false, {}, [], [[]], [{}], { '': '' }, [null], { a: null }]);
    case 7: return rng.pick([
      nest(33), nest(32), { [`k\u0000`]: 1 }, { 'k\ud800': 1 }, { constructor: { prototype: { polluted: true } } },
      Raw.text('{"__proto__":{"polluted":true}}'), Raw.text('{"a":1,"a":2}'),
      Raw.text('['.repeat(5000) + ']'.repeat(5000), '5000 levels of arrays'),
      Raw.text('{"a":'.repeat(5000) + '1' + '}'.repeat(5000), '5000 levels of objects'),
      Raw.text(`[${new Array(20000).fill('0').join(',')}]`, '20,000 numbers'),
      Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`k${i}`, i])),
    ]);
    case 8: return rng.pick(Object.values(known.own));
    case 9: return rng.pick(Object.values(known.foreign));
    case 10: return 'x'.repeat(rng.pick([65, 201, 257, 321, 501, 2001, 10001, 33000]));
    default: return rng.pick(DATES);
  }
}

// ---------------------------------------------------------------------------------------------
// Values drawn from a schema

type Schema = Record<string, any>;

const ENDPOINT_KEYS = new Set(['host', 'url']);

/** Hosts and URLs stay on loopback whatever the case: a fuzzed SMTP or SMS setting must not reach out. */
function endpointValue(key: string, rng: Rng, known: Known, hostile: boolean): unknown {
  if (key === 'host') return rng.pick(hostile ? [...known.loopbackHosts.map((h) => `${h}\u0000`), '', ' ', '127.0.0.1:25', '[::1]', ...known.loopbackHosts] : known.loopbackHosts);
  return rng.pick(hostile ? [...known.loopbackUrls.map((u) => `${u}/\u0000`), 'http://', 'https://', 'http://127.0.0.1:99999', 'ftp://127.0.0.1/', 'http://[::1', ...known.loopbackUrls] : known.loopbackUrls);
}

/** A string a field of this name plausibly holds: the caller's own ids where it names one. */
function plausibleString(key: string, rng: Rng, known: Known): string {
  const k = key.toLowerCase();
  const own = known.own;
  if (k.includes('email')) return rng.pick([own.email, own.signInEmail ?? own.email, `fuzz-${rng.int(1000)}@example.com`, `fuzz-${rng.int(1000)}@example.com`, 'Ada <ada@example.com>']);
  if (k.includes('phone') || k === 'from' && rng.chance(0.3)) return rng.pick(['+15550100' + String(100 + rng.int(900)), '+4930123456', '+15550100123', '(555) 010-7788']);
  if (k === 'score') return String(rng.int(11));
  if (k === 'csat' || k === 'ces') return String(1 + rng.int(5));
  if (k === 'by') return rng.pick(['channel', 'stage', 'survey', 'campaign', 'utmSource', 'device', 'hour', 'weekday', 'daysSinceOrder', 'tenure', 'property.plan', 'trait.plan']);
  if (k === 'interval') return rng.pick(['day', 'week', 'month']);
  if (k === 'format') return rng.pick(['json', 'csv', 'png', 'svg']);
  if (k === 'industry') return rng.pick(['retail', 'saas', 'ecommerce', 'finance']);
  if (k === 'baseline') return rng.pick(['all', 'never']);
  if (k === 'status') return rng.pick(['failed', 'pending', 'done', 'sent', 'scheduled', 'rejected']);
  if (k === 'campaign') return rng.pick(['Loyalty Rewards Launch', 'Spring Sale']);
  if (k === 'body') return rng.pick(['9', '0', 'STOP', 'START', 'Great service', '10']);
  if (k === 'accountsid') return own.accountSid ?? 'AC_fuzz';
  if (k === 'page_info' || k === 'cursor') return rng.pick(['', 'eyJuIjoxfQ', 'x']);
  if (k === 'surveyid' || k === 'trend' || k === 'survey') return own.survey;
  if (k === 'profileid' || k === 'person' || k === 'person_id') return own.profile;
  if (k === 'answerid') return own.answer;
  if (k === 'segment' || k === 'segmentid') return own.segment;
  if (k === 'updatetoken') return own.updateToken;
  if (k === 'writekey') return own.writeKey;
  if (k === 'userid') return rng.pick([own.userId, `fuzz-user-${rng.int(50)}`]);
  if (k === 'anonymousid') return `fuzz-anon-${rng.int(50)}`;
  if (k === 'messageid') return `fuzz-msg-${rng.int(1e9)}`;
  if (k.includes('timestamp') || k.endsWith('at') || ['from', 'to', 'since', 'until', 'asof', 'sentat', 'date'].includes(k)) {
    return new Date(Date.now() - rng.int(90) * 86_400_000).toISOString();
  }
  if (k === 'channel') return rng.pick(['email', 'sms', 'web', 'api', 'in-app']);
  if (k === 'event' || k === 'churnevent') return rng.pick(['Order Completed', 'NPS Survey Responded', 'Campaign Sent', 'Signed Up']);
  if (k.includes('language')) return rng.pick(['en', 'de', 'fr-CA', 'xx']);
  if (k === 'password' || k === 'current' || k === 'next') return rng.pick([own.password, 'correct horse battery', 'short']);
  if (k === 'role') return rng.pick(['viewer', 'analyst', 'admin', 'owner']);
  if (k === 'kind') return rng.pick(['open', 'kiosk', 'secret', 'write', 'note', 'campaign', 'release', 'rejected', 'projection']);
  if (k === 'field') return rng.pick(['traits.plan', 'latestNpsScore', 'orderCount', 'journeyStage', 'trait.x', 'lifetimeRevenue']);
  if (k === 'op') return rng.pick(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists']);
  if (k === 'stage') return rng.pick(['new', 'active', 'loyal', 'at-risk']);
  return rng.pick(['fuzz', 'Fuzz value', 'plan-pro', 'web', 'Order Completed', `v${rng.int(100)}`]);
}

function withinLength(s: string, schema: Schema): string {
  let out = s;
  if (typeof schema.maxLength === 'number' && out.length > schema.maxLength) out = out.slice(0, schema.maxLength);
  if (typeof schema.minLength === 'number' && out.length < schema.minLength) out = out.padEnd(schema.minLength, 'x');
  return out;
}

/** A value the schema allows (mostly; heuristics stand in for formats and patterns it names). */
export function fromSchema(schema: Schema | undefined, key: string, rng: Rng, known: Known, depth = 0): unknown {
  if (ENDPOINT_KEYS.has(key)) return endpointValue(key, rng, known, false);
  if (!schema || depth > 6) return plausibleString(key, rng, known);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const real = branches.filter((b: Schema) => !(b.enum?.length === 1 && b.enum[0] === null));
    return fromSchema(rng.pick(real.length ? real : branches), key, rng, known, depth);
  }
  if (schema.enum) return rng.pick(schema.enum);
  if (schema.const !== undefined) return schema.const;
  const type = Array.isArray(schema.type) ? rng.pick(schema.type) : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set<string>(schema.required ?? []);
      for (const [name, sub] of Object.entries<Schema>(schema.properties ?? {})) {
        if (required.has(name) || rng.chance(0.5)) out[name] = fromSchema(sub, name, rng, known, depth + 1);
      }
      if (schema.additionalProperties && !Object.keys(schema.properties ?? {}).length) {
        const sub = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
        for (let i = rng.int(3); i > 0; i--) {
          const name = rng.pick(['plan', 'revenue', 'score', 'name', 'email', 'campaign', 'utm_source', 'total', 'currency', 'nested']);
          out[name] = sub && Object.keys(sub).length ? fromSchema(sub, name, rng, known, depth + 1) : looseValue(name, rng, known);
        }
      }
      return out;
    }
    case 'array': {
      const min = schema.minItems ?? 0;
      const n = Math.min(schema.maxItems ?? min + 3, min + rng.int(3));
      return Array.from({ length: n }, () => fromSchema(schema.items, key, rng, known, depth + 1));
    }
    case 'integer':
    case 'number': {
      // Unix seconds (Delighted's times), where a small number would be 1970.
      const k = key.toLowerCase();
      if (k.endsWith('_at') || k === 'since' || k === 'until' || k.endsWith('_since') || k.endsWith('_until')) return Math.floor(Date.now() / 1000) - rng.int(90 * 86_400);
      const lo = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
      const hi = schema.maximum ?? Math.max(lo + 100, 100);
      const v = lo + rng.int(Math.min(hi - lo, 1000) + 1);
      return type === 'number' && rng.chance(0.3) ? Math.min(hi, v + 0.25) : v;
    }
    case 'boolean': return rng.chance(0.5);
    case 'string': {
      if (schema.pattern === '^https?://') return endpointValue('url', rng, known, false);
      if (typeof schema.pattern === 'string' && schema.pattern.startsWith('^[a-z]{2}')) return rng.pick(['en', 'de', 'fr-CA']);
      return withinLength(plausibleString(key, rng, known), schema);
    }
    default: return looseValue(key, rng, known);
  }
}

/** A value for a free-form field (properties, traits, context). */
function looseValue(key: string, rng: Rng, known: Known): unknown {
  switch (rng.int(5)) {
    case 0: return rng.int(1000) / 4;
    case 1: return rng.chance(0.5);
    case 2: return { [key]: plausibleString(key, rng, known), n: rng.int(10) };
    default: return plausibleString(key, rng, known);
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations

type Path = Array<string | number>;

function paths(value: unknown, out: Path[] = [], at: Path = [], depth = 0): Path[] {
  out.push(at);
  if (depth > 8 || value instanceof Raw || value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, out, [...at, i], depth + 1));
  else for (const [k, v] of Object.entries(value)) paths(v, out, [...at, k], depth + 1);
  return out;
}

function setAt(root: unknown, path: Path, v: unknown): unknown {
  if (!path.length) return v;
  let node = root as any;
  for (const p of path.slice(0, -1)) node = node[p];
  node[path[path.length - 1]] = v;
  return root;
}

function getAt(root: unknown, path: Path): unknown {
  let node = root as any;
  for (const p of path) node = node?.[p];
  return node;
}

/** A deep copy that keeps Raw pieces as they are (they are never changed in place). */
function copy(v: unknown): unknown {
  if (v instanceof Raw || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copy);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
}

/** One to three changes at random places: a hostile value, a key taken away or added, a type swapped. */
export function mutate(value: unknown, rng: Rng, known: Known): { value: unknown; what: string[] } {
  let root = value;
  const what: string[] = [];
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const all = paths(root);
    const path = all.length > 1 && rng.chance(0.85) ? rng.pick(all.slice(1)) : rng.pick(all);
    const where = path.length ? path.join('.') : '(body)';
    const last = path[path.length - 1];
    const current = getAt(root, path);
    switch (rng.int(7)) {
      case 6: {
        // An array past any sensible length: one of its items many times over.
        if (!Array.isArray(current) || !current.length) continue;
        const n = rng.pick([51, 101, 501, 1001, 5001]);
        root = setAt(root, path, Array.from({ length: n }, (_, i) => copy(current[i % current.length])));
        what.push(`*${n} ${where}`);
        break;
      }
      case 0: {
        // Take a key away (often a required one).
        if (!path.length || typeof last !== 'string') continue;
        const parent = getAt(root, path.slice(0, -1)) as Record<string, unknown>;
        delete parent[last];
        what.push(`-${where}`);
        break;
      }
      case 1: {
        // A field no schema names, beside this one.
        const parentPath = current && typeof current === 'object' && !Array.isArray(current) && !(current instanceof Raw) ? path : path.slice(0, -1);
        const parent = getAt(root, parentPath);
        if (!parent || typeof parent !== 'object' || Array.isArray(parent) || parent instanceof Raw) continue;
        const name = rng.pick(['unknownField', '__proto__x', 'Score', 'score ', 'type', 'writeKey', 'workspaceId', 'id', '']);
        (parent as Record<string, unknown>)[name] = hostileValue(rng, known);
        what.push(`+${[...parentPath, name].join('.')}`);
        break;
      }
      case 2: {
        // The right kind of thing in the wrong shape.
        const swapped = rng.pick([[current], { value: current }, String(current), Number.NaN, current === null ? 0 : null]);
        root = setAt(root, path, Number.isNaN(swapped) ? Raw.text('NaN') : swapped);
        what.push(`~${where}`);
        break;
      }
      default: {
        const v = typeof last === 'string' && ENDPOINT_KEYS.has(last) ? endpointValue(last, rng, known, true) : hostileValue(rng, known);
        root = setAt(root, path, v);
        what.push(`=${where}`);
      }
    }
  }
  return { value: root, what };
}

// ---------------------------------------------------------------------------------------------
// Whole bodies

export interface Body {
  bytes: Buffer;
  headers: Record<string, string>;
  /** What was done, for the report. */
  label: string;
}

/** JSON text that is not JSON, or is JSON in a way that trips naive readers. */
function brokenJson(good: Buffer, rng: Rng): [Buffer, string] {
  const text = good.toString('utf8');
  switch (rng.int(12)) {
    case 0: return [good.subarray(0, Math.max(1, rng.int(good.length))), 'truncated'];
    case 1: return [Buffer.concat([good, Buffer.from(rng.pick(['}', ']', ',', ' garbage', '\u0000', '{}', '\n{"a":1}']))]), 'trailing garbage'];
    case 2: return [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), good]), 'UTF-8 BOM'];
    case 3: return [Buffer.from(text.replace(/"/g, "'")), 'single quotes'];
    case 4: return [Buffer.from(`/* c */${text}`), 'comment'];
    case 5: return [Buffer.from(rng.pick(['', ' ', 'null', 'true', '0', '"text"', '[]', '[1,2]', '-', '{', '}', 'NaN', '{"a":}', '{,}', '{"a" 1}', '\u0000'])), 'not an object'];
    case 6: return [Buffer.from(text.replace(/"([^"\\]{1,40})":/, '"$1":1,"$1":')), 'duplicate key'];
    case 7: return [Buffer.from(JSON.stringify(text)), 'JSON as a string'];
    case 8: return [Buffer.from(text, 'utf16le'), 'UTF-16'];
    case 9: return [Buffer.from(text, 'latin1'), 'Latin-1'];
    case 10: return [Buffer.from('{"a":"\\ud800","b":"\\u0000","c\\u0000":1}'), 'escaped NUL and surrogate'];
    default: return [Buffer.from(`${'['.repeat(100_000)}`), '100,000 open brackets'];
  }
}

const CONTENT_TYPES = [
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'multipart/form-data',
  'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json;charset=UTF-8', 'APPLICATION/JSON',
  'application/vnd.api+json', 'application/json, text/plain', 'application/jsonx', 'text/csv', 'application/octet-stream',
  '*/*', 'application/', 'json', ';', 'application/json; boundary=', 'application/json; charset="', 'text/json',
];

const ENCODINGS = ['gzip', 'deflate', 'br', 'identity', 'gzip, gzip', 'x-unknown', 'GZIP', 'gzip;q=1', 'compress', ''];

/**
 * How the body goes: as JSON (or a form), or with `transport` games: JSON broken, another content
 * type, no content type, no bytes, compressed truthfully (now and then far past the size limits) or not.
 */
export function encodeBody(value: unknown, rng: Rng, form: boolean, transport: boolean): Body {
  let data = form ? formBytes(value) : toJsonBytes(value);
  const headers: Record<string, string> = { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' };
  const label: string[] = [];
  if (!transport) return { bytes: data, headers, label: '' };
  const roll = rng.int(10);
  if (roll < 3) {
    [data, label[label.length]] = brokenJson(data, rng);
  } else if (roll < 5) {
    headers['content-type'] = rng.pick(CONTENT_TYPES);
    label.push(`as ${headers['content-type']}`);
  } else if (roll === 5) {
    delete headers['content-type'];
    label.push('no content type');
  } else if (roll === 6) {
    data = Buffer.alloc(0);
    label.push('empty body');
  }
  if (roll >= 7 || rng.chance(0.2)) {
    const enc = rng.pick(ENCODINGS);
    headers['content-encoding'] = enc;
    if (enc.toLowerCase().startsWith('gzip') && rng.chance(0.5)) {
      // Truthful gzip, sometimes of far more than the size limits (a small "bomb").
      data = gzipSync(rng.chance(0.3) ? Buffer.concat([data, Buffer.alloc(2_000_000, 0x20)]) : data);
      label.push(`gzip`);
    } else label.push(`says ${enc || '(empty)'} but is not`);
  }
  return { bytes: data, headers, label: label.join(', ') };
}

/** An urlencoded form of a value's top-level fields (nested values as JSON text), with hostile percent escapes now and then. */
function formBytes(value: unknown): Buffer {
  if (value instanceof Raw) return value.bytes;
  if (!value || typeof value !== 'object') return Buffer.from(String(value));
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(value)) {
    const text = v instanceof Raw ? v.bytes.toString('latin1') : typeof v === 'string' ? v : JSON.stringify(v) ?? '';
    parts.push(Buffer.from(`${encodeLoosely(k)}=${encodeLoosely(text)}`, 'latin1'));
  }
  return Buffer.from(parts.map((p) => p.toString('latin1')).join('&'), 'latin1');
}

/** Percent-encodes what must be, and leaves lone surrogates as the CESU bytes a client might send. */
function encodeLoosely(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) out += '%ED%' + (0xa0 + ((c >> 6) & 0x1f)).toString(16).toUpperCase() + '%' + (0x80 + (c & 0x3f)).toString(16).toUpperCase();
    else out += encodeURIComponent(ch);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Query strings and path segments

/** Query values as they go on the wire (already percent-encoded or deliberately not). */
const HOSTILE_QUERY = [
  '', '%00', 'a%00b', '%ED%B0%80', '%ED%A0%80', '%FF', '%C0%AF', '%zz', '%', '%%', '%2', '+', '%2B', '1e12', '9007199254740993',
  '99999999999999999999', '-1', '0', '1.5', '-0', 'NaN', 'Infinity', 'true', 'null', '2026-02-30', '%2B275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z', '2026-01-01T24:00:01Z', 'x'.repeat(3000), '%C3%A9'.repeat(700), '%F0%9F%98%80', '%0D%0ASet-Cookie:x=1',
  '%3Cscript%3E', '..%2F..%2F', 'csv', 'json', 'xml', 'week', 'year', 'channel', 'all', 'none', 'email%3Ax%40y.z',
  // Names every plain object has: a lookup table keyed by a query value must not find Object's.
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'property.__proto__', 'trait.constructor',
];

const EXTRA_QUERY_KEYS = [
  'unknown', '__proto__', 'constructor', 'constructor[prototype][x]', 'a[b]', 'a[]', '', '%00', '%ED%B0%80', 'trait.plan', 'trait.',
  'property.x', 'property.', 'trait.%00', 'expand[]', 'groups[]', 'limit[]', 'x'.repeat(2000), 'format', 'cursor', 'page_info',
];

export interface QueryParam {
  name: string;
  schema?: Schema;
  required?: boolean;
}

/** A query string for these declared parameters: plausible values, and when `hostile` also hostile ones, repeats and extras. */
export function queryString(params: QueryParam[], rng: Rng, known: Known, hostile: boolean): string {
  const parts: string[] = [];
  const value = (p: QueryParam) => {
    if (hostile && rng.chance(0.4)) return rng.pick(HOSTILE_QUERY);
    const v = fromSchema(p.schema, p.name, rng, known);
    return encodeLoosely(Array.isArray(v) ? String(v[0] ?? '') : typeof v === 'object' ? JSON.stringify(v) : String(v));
  };
  for (const p of params) {
    if (!(p.required ? rng.chance(0.95) : rng.chance(0.4))) continue;
    const name = hostile && rng.chance(0.1) ? `${encodeURIComponent(p.name)}[]` : encodeURIComponent(p.name);
    for (let n = hostile && rng.chance(0.15) ? 2 + rng.int(rng.chance(0.2) ? 300 : 3) : 1; n > 0; n--) parts.push(`${name}=${value(p)}`);
  }
  if (!hostile) return parts.length ? `?${parts.join('&')}` : '';
  if (rng.chance(0.3) || !parts.length) {
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const k = rng.pick(EXTRA_QUERY_KEYS);
      parts.push(rng.chance(0.2) ? k : `${k}=${rng.pick(HOSTILE_QUERY)}`);
    }
  }
  if (rng.chance(0.05)) parts.push('&&&=&');
  return parts.length ? `?${parts.join('&')}` : rng.chance(0.05) ? '?' : '';
}

/** A path parameter: the caller's own value (so the handler runs), or when `hostile` another's, a made-up or a hostile one. */
export function pathValue(own: string, foreign: string | undefined, rng: Rng, hostile: boolean): string {
  if (!hostile) return encodeURIComponent(own);
  if (foreign && rng.chance(0.1)) return encodeURIComponent(foreign);
  return rng.pick([
    'madeup_1', '%00', 'a%00b', '%ED%B0%80', '%ED%A0%80x', '%FF', '%C0%AF', 'x'.repeat(3000), 'x'.repeat(2049), '%2E%2E', '.', '%2F',
    encodeURIComponent(own) + '%00', encodeURIComponent(own) + '%20', encodeURIComponent(own.toUpperCase()), '-1', '0', '1e12',
    '9007199254740993', 'null', '%20', 'email%3Anobody%40example.com', 'phone_number%3A%2B15550100', '%F0%9F%98%80', '__proto__',
    encodeURIComponent(own).slice(0, Math.max(1, own.length - 2)), '%C3%A9', '%25', '%', '%zz',
  ]);
}
