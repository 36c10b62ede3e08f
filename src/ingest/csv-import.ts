import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { fromSpreadsheetSafe } from '../domain/csv.ts';
import { AppError, isAppError } from '../domain/errors.ts';
import { parseIsoTime, utcTime as utc } from '../domain/time.ts';
import { progress } from '../progress.ts';
import type { Store } from '../store/db.ts';
import { EXPORT_COLUMNS } from '../store/export.ts';
import { createWriter } from './writer.ts';
import type { EventWriter } from '../store/writer.ts';
import { NPS_RESPONDED, type IngestEvent, type MessageType } from '../domain/event.ts';
import { normaliseEmail, normalisePhone } from '../domain/identifiers.ts';
import { MAX_EVENT_BYTES, MESSAGE_TYPES, parseMessage } from './segment-spec.ts';

export type ImportKind = 'people' | 'events' | 'answers';
export const IMPORT_KINDS: readonly ImportKind[] = ['people', 'events', 'answers'];
export type DateFormat = 'iso' | 'dmy' | 'mdy';
export const DATE_FORMATS: readonly DateFormat[] = ['iso', 'dmy', 'mdy'];

export interface ImportOptions {
  /** CSV column → field name (see FIELDS), `trait.<key>`, any other name (property/trait key), or '' / '-' to drop the column. */
  map?: Record<string, string>;
  dateFormat?: DateFormat;
  /** Read the column layout of a Delighted survey-response export (answers only). */
  delighted?: boolean;
  /** Rows per write; each chunk is committed before more of the file is read. */
  chunkSize?: number;
  quiet?: boolean;
  /** The running server's writer, when importing beside it (else one is made for the import and closed after). */
  writer?: EventWriter;
  /** Called once the header is read, before any row: how the columns will be read. */
  onColumns?: (columns: ImportReport['columns']) => void;
}

export interface ImportReport {
  /** Data rows read (header excluded), including the skipped ones. */
  rows: number;
  stored: number;
  duplicates: number;
  /** Accepted but set aside at projection (see the ingestion errors). */
  setAside: number;
  /** Up to MAX_REASONS skipped rows (the first met), in file order. */
  skipped: Array<{ line: number; reason: string }>;
  /** All skipped rows, also those beyond the reasons kept. */
  skippedCount: number;
  seconds: number;
  /** Which column became which field (in file order), and the columns kept as properties or traits. */
  columns: { fields: Array<{ field: string; column: string; guessed: boolean }>; kept: string[] };
}

/** The file or the options cannot be imported at all (as opposed to one bad row). */
const cannotImport = (message: string) => new AppError('invalid', message);

const MAX_REASONS = 100;
const DEFAULT_CHUNK = 1000;
// Far above any row a message can hold (MAX_EVENT_BYTES); it only bounds memory when an unclosed
// quote would otherwise swallow the rest of a large file into one field.
const MAX_RECORD_BYTES = 8 * 1024 * 1024;

/**
 * Fields each kind understands, by their canonical (snake_case) name. Headers match them
 * case-insensitively and in camelCase too (userId, surveyId); any other column becomes an answer or
 * event property, or a person's trait. An answer's `name` (and --map COL=trait.KEY) becomes a trait
 * of the respondent; `properties`, `traits` and `context` take JSON objects.
 */
export const FIELDS: Record<ImportKind, readonly string[]> = {
  answers: [
    'score', 'comment', 'channel', 'survey_id', 'survey_version', 'timestamp', 'user_id', 'anonymous_id', 'email', 'phone',
    'stage', 'message_id', 'properties', 'context', 'campaign', 'utm_source', 'name',
  ],
  people: ['user_id', 'anonymous_id', 'anonymous_ids', 'email', 'phone', 'timestamp', 'message_id', 'traits'],
  events: [
    'type', 'name', 'user_id', 'anonymous_id', 'email', 'phone', 'timestamp', 'message_id', 'properties', 'traits', 'context',
    'previous_id', 'group_id',
  ],
};

/**
 * Other tools' names for an answer's comment, score and date ("text" in a file of labelled messages,
 * "feedback", "NPS", "Date"), taken when no column is named for the field itself and reported as
 * guesses. Without a date every answer would be dated the day of the import, which no trend survives.
 */
const GUESSES: Partial<Record<ImportKind, Record<string, readonly string[]>>> = {
  answers: {
    score: ['nps', 'nps_score', 'likelihood_to_recommend'],
    timestamp: ['date', 'created_at', 'created', 'submitted_at', 'responded_at', 'response_date', 'survey_date', 'datetime', 'date_time'],
    comment: ['text', 'comments', 'feedback', 'verbatim', 'verbatims', 'review', 'review_text', 'reason', 'why', 'nps_comment', 'nps_reason', 'open_text', 'free_text', 'message'],
  },
};

const ALIASES: Record<ImportKind, Record<string, string>> = {
  answers: { answered_at: 'timestamp', anon_id: 'anonymous_id' },
  people: { anon_id: 'anonymous_id' },
  events: { event: 'name', event_name: 'name', anon_id: 'anonymous_id' },
};

/**
 * Columns of our own export that the writer computes again on import. They are dropped only when
 * the header is an Advocate export, because in another system's file a column like `revenue` or
 * `id` is real data.
 */
const DERIVED: Record<ImportKind, ReadonlySet<string>> = {
  answers: new Set(['id', 'profile_id', 'category', 'days_since_last_order', 'days_since_first_seen']),
  people: new Set(['id', 'first_seen', 'last_seen', 'order_count', 'revenue', 'last_order_at', 'nps_score', 'nps_category']),
  events: new Set(['id', 'profile_id']),
};

/**
 * Delighted's CSV export of survey responses. Its columns, as far as exports from different
 * years agree: "Response ID", "Person ID", "Email", "Name", "Score", "Comment", "Created At" (older
 * exports: "Response Date" or "Date"), "Updated At", then "Tags", "Notes", "Delighted Source",
 * additional questions and one column per person property. Only the ones below have a meaning of
 * their own; every other column is kept as an answer property under its own name.
 */
const DELIGHTED: Array<{ field: string; columns: string[]; prefix?: string }> = [
  { field: 'score', columns: ['Score'] },
  { field: 'comment', columns: ['Comment'] },
  { field: 'email', columns: ['Email'] },
  { field: 'name', columns: ['Name'] },
  { field: 'timestamp', columns: ['Created At', 'Response Date', 'Date'] },
  // Prefixed so that Delighted's ids cannot collide with ids other sources sent to the workspace.
  { field: 'message_id', columns: ['Response ID'], prefix: 'delighted-' },
  { field: 'anonymous_id', columns: ['Person ID'], prefix: 'delighted-person-' },
];

/** `userId`, `User ID` and `USER_ID` all name user_id. */
export function canonicalName(header: string): string {
  return header
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

type Target = { to: 'field'; field: string; prefix?: string; guessed?: boolean } | { to: 'property' | 'trait'; key: string } | { to: 'ignore' };

interface Plan {
  header: string[];
  /** field → column index */
  fields: Map<string, number>;
  prefix: Map<string, string>;
  extras: Array<{ index: number; key: string; to: 'property' | 'trait' }>;
  /** For answers without a channel column. */
  channel: string;
  columns: ImportReport['columns'];
}

function planColumns(kind: ImportKind, header: string[], options: ImportOptions): Plan {
  const fieldOf = (name: string): string | undefined => {
    const c = canonicalName(name);
    return ALIASES[kind][c] ?? (FIELDS[kind].includes(c) ? c : undefined);
  };
  const targets = new Map<number, Target>();
  const taken = new Map<string, number>();
  const list = header.join(', ');
  const findColumn = (name: string): number => {
    let i = header.indexOf(name);
    if (i < 0) {
      const lower = header.map((h) => h.toLowerCase());
      i = lower.indexOf(name.toLowerCase());
      if (i >= 0 && lower.lastIndexOf(name.toLowerCase()) !== i) throw cannotImport(`--map: "${name}" matches several columns; spell it exactly (columns: ${list})`);
    }
    if (i < 0) throw cannotImport(`--map: no column "${name}" in the file (columns: ${list})`);
    return i;
  };

  for (const [column, target] of Object.entries(options.map ?? {})) {
    const i = findColumn(column);
    if (targets.has(i)) throw cannotImport(`--map: column "${header[i]}" is mapped twice`);
    const t = target.trim();
    if (t === '' || t === '-') {
      targets.set(i, { to: 'ignore' });
      continue;
    }
    const trait = /^traits?\.(.+)$/.exec(t);
    if (trait) {
      if (kind === 'events') throw cannotImport(`--map ${column}=${t}: events take traits from a "traits" JSON column or identify rows`);
      targets.set(i, { to: 'trait', key: trait[1] });
      continue;
    }
    const field = fieldOf(t);
    if (field) {
      if (taken.has(field)) throw cannotImport(`--map: two columns are mapped to ${field} ("${header[taken.get(field)!]}" and "${header[i]}")`);
      taken.set(field, i);
      targets.set(i, { to: 'field', field });
    } else targets.set(i, { to: kind === 'people' ? 'trait' : 'property', key: t });
  }

  if (options.delighted) {
    if (kind !== 'answers') throw cannotImport('--delighted reads survey responses: use it with `import answers`');
    const lower = header.map((h) => h.trim().toLowerCase());
    for (const rule of DELIGHTED) {
      if (taken.has(rule.field)) continue;
      const i = rule.columns.map((c) => lower.indexOf(c.toLowerCase())).find((j) => j >= 0 && !targets.has(j));
      if (i === undefined) continue;
      taken.set(rule.field, i);
      targets.set(i, { to: 'field', field: rule.field, prefix: rule.prefix });
    }
  }

  const canon = header.map(canonicalName);
  const fromAdvocate = EXPORT_COLUMNS[kind].every((c) => canon.includes(c));
  for (const [field, names] of Object.entries(GUESSES[kind] ?? {})) {
    if (taken.has(field) || header.some((h, i) => !targets.has(i) && fieldOf(h) === field)) continue;
    const i = names.map((n) => canon.findIndex((c, j) => c === n && !targets.has(j))).find((j) => j >= 0);
    if (i === undefined) continue;
    taken.set(field, i);
    targets.set(i, { to: 'field', field, guessed: true });
  }
  header.forEach((name, i) => {
    if (targets.has(i)) return;
    const field = fieldOf(name);
    if (field && !taken.has(field)) {
      taken.set(field, i);
      targets.set(i, { to: 'field', field });
    } else if (fromAdvocate && DERIVED[kind].has(canon[i])) targets.set(i, { to: 'ignore' });
    else targets.set(i, { to: kind === 'people' ? 'trait' : 'property', key: name.trim() });
  });

  const columns: Plan['columns'] = { fields: [], kept: [] };
  const plan: Plan = { header, fields: new Map(), prefix: new Map(), extras: [], channel: options.delighted ? 'delighted' : 'import', columns };
  for (const [index, t] of [...targets].sort(([a], [b]) => a - b)) {
    if (t.to === 'field') {
      plan.fields.set(t.field, index);
      if (t.prefix) plan.prefix.set(t.field, t.prefix);
      columns.fields.push({ field: t.field, column: header[index], guessed: !!t.guessed });
    } else if (t.to !== 'ignore') {
      plan.extras.push({ index, key: t.key, to: t.to });
      columns.kept.push(header[index]);
    }
  }

  // A file that cannot yield a single row is a mapping mistake: say so once, not once per row.
  const has = (...fields: string[]) => fields.some((f) => plan.fields.has(f));
  if (kind === 'answers' && !has('score')) {
    throw cannotImport(`no score column: name one "score" or map it with --map COLUMN=score${options.delighted ? ' (Delighted exports call it "Score")' : ''} (columns: ${list})`);
  }
  if (kind === 'events' && !has('name', 'type')) throw cannotImport(`no event name column: name one "event" or "name", or map it with --map COLUMN=name (columns: ${list})`);
  if (kind === 'people' && !has('user_id', 'anonymous_id', 'anonymous_ids', 'email', 'phone')) {
    throw cannotImport(`no identifier column: people need user_id, anonymous_id, email or phone (map one with --map COLUMN=user_id; columns: ${list})`);
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Dates

const DATE_SHAPES: Record<DateFormat, string> = {
  iso: 'ISO 8601 (yyyy-mm-dd[THH:MM[:SS][Z|±hh:mm]]) or epoch seconds/milliseconds',
  dmy: 'dd/mm/yyyy[ HH:MM[:SS]]',
  mdy: 'mm/dd/yyyy[ HH:MM[:SS]]',
};

const SLASHED = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?)?$/i;

/**
 * Epoch milliseconds for a date cell, or null when it is not a date in that format. Times without
 * a zone are UTC: a CSV carries no zone, and the machine running the import has nothing to do with
 * where the answers were given.
 */
export function parseDate(text: string, format: DateFormat): number | null {
  const s = text.trim();
  // 9–10 digits are epoch seconds (1973–2286), 12–13 milliseconds; yyyymmdd (8) is neither.
  if (/^\d{9,10}(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  if (/^\d{12,13}$/.test(s)) return Number(s);
  if (format === 'iso') return parseIsoTime(s);
  const m = SLASHED.exec(s);
  if (!m) return null;
  const [a, b] = [+m[1], +m[2]];
  const [day, month] = format === 'dmy' ? [a, b] : [b, a];
  let hour = +(m[4] ?? 0);
  const ampm = m[7]?.toUpperCase();
  if (ampm) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (ampm === 'PM' ? 12 : 0);
  }
  return utc(+m[3], month, day, hour, +(m[5] ?? 0), +(m[6] ?? 0));
}

// ---------------------------------------------------------------------------------------------
// Rows

class SkipRow extends Error {}

const clip = (s: string, n = 40) => JSON.stringify(s.length > n ? `${s.slice(0, n)}…` : s);

interface Built {
  messages: Array<Record<string, unknown>>;
  email: string | null;
  phone: string | null;
  stage: string | null;
}

class Row {
  constructor(
    private readonly plan: Plan,
    private readonly values: string[],
    private readonly dateFormat: DateFormat,
    readonly hash: string,
  ) {}

  get defaultChannel() {
    return this.plan.channel;
  }

  /** The cell as written, or undefined when the column is absent or the cell blank. */
  raw(field: string): string | undefined {
    const i = this.plan.fields.get(field);
    const v = i === undefined ? undefined : this.values[i];
    return v == null || v.trim() === '' ? undefined : v;
  }

  text(field: string): string | undefined {
    const v = this.raw(field)?.trim();
    return v === undefined ? undefined : (this.plan.prefix.get(field) ?? '') + v;
  }

  date(field: string): number | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    const t = parseDate(v, this.dateFormat);
    if (t == null) throw new SkipRow(`${field} ${clip(v)} is not a date in the ${this.dateFormat} format (${DATE_SHAPES[this.dateFormat]})`);
    return t;
  }

  json(field: string): Record<string, unknown> {
    const v = this.raw(field);
    if (v === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw new SkipRow(`${field} is not valid JSON: ${clip(v)}`);
    }
    if (parsed == null) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new SkipRow(`${field} must be a JSON object, got ${clip(v)}`);
    return parsed as Record<string, unknown>;
  }

  /** Unmapped columns; blank cells are left out so that an empty cell never overwrites a value. */
  extras(to: 'property' | 'trait'): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const e of this.plan.extras) {
      const v = this.values[e.index];
      if (e.to === to && v != null && v.trim() !== '') out[e.key] = v;
    }
    return out;
  }

  identifiers() {
    const emailText = this.text('email');
    const email = emailText === undefined ? null : normaliseEmail(emailText);
    if (emailText !== undefined && !email) throw new SkipRow(`email ${clip(emailText)} is not an email address`);
    const phoneText = this.text('phone');
    const phone = phoneText === undefined ? null : normalisePhone(phoneText);
    if (phoneText !== undefined && !phone) throw new SkipRow(`phone ${clip(phoneText)} is not a phone number (6 to 15 digits)`);
    let anonymousId = this.text('anonymous_id') ?? null;
    if (!anonymousId && this.plan.fields.has('anonymous_ids')) {
      // Our people export lists every anonymous id as a JSON array; an identify carries one.
      const v = this.raw('anonymous_ids');
      if (v !== undefined) {
        try {
          const list = JSON.parse(v);
          anonymousId = Array.isArray(list) && list.length ? String(list[0]) : null;
        } catch {
          anonymousId = v.trim();
        }
      }
    }
    return { userId: this.text('user_id') ?? null, anonymousId, email, phone };
  }
}

/**
 * The Segment spec needs a userId or an anonymousId. A person known only by email or phone gets
 * one derived from it, so two rows with the same email name the same anonymous id too.
 */
function derivedAnonymousId(ids: { email: string | null; phone: string | null }): string | null {
  const key = ids.email ? `email\u0000${ids.email}` : ids.phone ? `phone\u0000${ids.phone}` : null;
  return key ? `csv-${createHash('sha1').update(key).digest('hex').slice(0, 32)}` : null;
}

function answerRow(r: Row): Built {
  const scoreText = r.text('score');
  if (scoreText === undefined) throw new SkipRow('score is empty');
  const score = /^\d{1,2}(\.0*)?$/.test(scoreText) ? Number(scoreText) : NaN;
  if (!(Number.isInteger(score) && score >= 0 && score <= 10)) throw new SkipRow(`score ${clip(scoreText)} is not a whole number from 0 to 10`);
  const timestamp = r.date('timestamp');
  const ids = r.identifiers();
  const stage = r.text('stage') ?? null;
  if (stage && stage.length > 200) throw new SkipRow('stage is longer than 200 characters');

  const properties: Record<string, unknown> = { ...r.json('properties'), ...r.extras('property') };
  if (stage) properties.imported_stage = stage;
  properties.score = score;
  const comment = r.raw('comment');
  if (comment !== undefined) properties.comment = comment;
  properties.channel = r.text('channel') ?? properties.channel ?? r.defaultChannel;
  const surveyId = r.text('survey_id');
  if (surveyId !== undefined) properties.survey_id = surveyId;
  const surveyVersion = r.text('survey_version');
  if (surveyVersion !== undefined) {
    if (!/^\d{1,9}$/.test(surveyVersion)) throw new SkipRow(`survey_version ${clip(surveyVersion)} is not a whole number`);
    properties.survey_version = Number(surveyVersion);
  }

  const context = r.json('context');
  const campaign = r.text('campaign');
  const source = r.text('utm_source');
  if (campaign !== undefined || source !== undefined) {
    const old = context.campaign && typeof context.campaign === 'object' ? (context.campaign as Record<string, unknown>) : {};
    context.campaign = { ...old, ...(campaign !== undefined ? { name: campaign } : {}), ...(source !== undefined ? { source } : {}) };
  }

  const messageId = r.text('message_id') ?? `import-${r.hash}`;
  // Without any identifier each row is its own anonymous respondent, stable across re-imports.
  const anonymousId = ids.anonymousId ?? (ids.userId ? null : (derivedAnonymousId(ids) ?? `csv-anon-${r.hash.slice(0, 32)}`));
  const who = { userId: ids.userId, anonymousId, timestamp };
  const messages: Array<Record<string, unknown>> = [];
  const traits: Record<string, unknown> = { ...r.extras('trait') };
  const name = r.raw('name');
  if (name !== undefined) traits.name = name.trim();
  if (Object.keys(traits).length) {
    // The writer sets traits from identify messages only, so a name given beside an answer travels
    // as an identify of its own, just before the answer.
    if (ids.email) traits.email = ids.email;
    if (ids.phone) traits.phone = ids.phone;
    messages.push({ type: 'identify', messageId: `${messageId}:identify`, ...who, traits });
  }
  messages.push({ type: 'track', event: NPS_RESPONDED, messageId, ...who, properties, ...(Object.keys(context).length ? { context } : {}) });
  return { messages, email: ids.email, phone: ids.phone, stage };
}

function personRow(r: Row): Built {
  const timestamp = r.date('timestamp');
  const ids = r.identifiers();
  if (!ids.userId && !ids.anonymousId && !ids.email && !ids.phone) throw new SkipRow('no identifier: a person needs user_id, anonymous_id, email or phone');
  const traits: Record<string, unknown> = { ...r.json('traits'), ...r.extras('trait') };
  if (ids.email) traits.email = ids.email;
  if (ids.phone) traits.phone = ids.phone;
  const message = {
    type: 'identify',
    messageId: r.text('message_id') ?? `import-${r.hash}`,
    userId: ids.userId,
    anonymousId: ids.anonymousId ?? (ids.userId ? null : derivedAnonymousId(ids)),
    timestamp,
    traits,
  };
  return { messages: [message], email: ids.email, phone: ids.phone, stage: null };
}

function eventRow(r: Row): Built {
  const typeText = r.text('type')?.toLowerCase() ?? 'track';
  if (!MESSAGE_TYPES.includes(typeText as MessageType)) throw new SkipRow(`type ${clip(typeText)} is not one of ${MESSAGE_TYPES.join(', ')}`);
  const type = typeText as MessageType;
  const timestamp = r.date('timestamp');
  const ids = r.identifiers();
  if (!ids.userId && !ids.anonymousId && !ids.email && !ids.phone) throw new SkipRow('no identifier: an event needs user_id, anonymous_id, email or phone');
  const name = r.raw('name')?.trim();
  const m: Record<string, unknown> = {
    type,
    messageId: r.text('message_id') ?? `import-${r.hash}`,
    userId: ids.userId,
    anonymousId: ids.anonymousId ?? (ids.userId ? null : derivedAnonymousId(ids)),
    timestamp,
  };
  const context = r.json('context');
  if (Object.keys(context).length) m.context = context;
  // Unmapped columns describe the event: properties for what happened, traits for who someone is.
  if (type === 'identify' || type === 'group') {
    const traits: Record<string, unknown> = { ...r.json('traits'), ...r.extras('property') };
    if (type === 'identify' && ids.email) traits.email = ids.email;
    if (type === 'identify' && ids.phone) traits.phone = ids.phone;
    m.traits = traits;
  } else if (type !== 'alias') {
    m.properties = { ...r.json('properties'), ...r.extras('property') };
  }
  if (type === 'track') {
    if (!name) throw new SkipRow('event name is empty (column event or name)');
    m.event = name;
  } else if (type === 'page' || type === 'screen') {
    if (name) m.name = name;
  } else if (type === 'group') {
    // Our events export keeps a group's id and an alias's previous id in the name column.
    const groupId = r.text('group_id') ?? name;
    if (!groupId) throw new SkipRow('group_id is empty');
    m.groupId = groupId;
  } else if (type === 'alias') {
    const previousId = r.text('previous_id') ?? name;
    if (!previousId) throw new SkipRow('previous_id is empty');
    m.previousId = previousId;
  }
  return { messages: [m], email: ids.email, phone: ids.phone, stage: null };
}

const BUILDERS: Record<ImportKind, (r: Row) => Built> = { answers: answerRow, people: personRow, events: eventRow };

// ---------------------------------------------------------------------------------------------
// The import

function csvErrorReason(err: CsvError): string {
  const fields = (err as CsvError & { record?: unknown[] }).record;
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
      return `the row has ${Array.isArray(fields) ? fields.length : 'more'} fields but the header has ${(err as CsvError & { columns?: unknown[] }).columns?.length ?? 'fewer'} (an unquoted comma?)`;
    // csv-parse cannot resynchronise after these two, so the rest of the file is lost: say so.
    case 'CSV_QUOTE_NOT_CLOSED':
      return `a quoted field is never closed; the file could not be read past line ${err.lines}`;
    case 'CSV_MAX_RECORD_SIZE':
      return `a row is larger than ${MAX_RECORD_BYTES / 1024 / 1024} MB (an unclosed quote?); the file could not be read past line ${err.lines}`;
    default:
      return err.message;
  }
}

/**
 * Streams a CSV file into the workspace through the one write path. Rows are turned into Segment
 * messages and written in chunks, each awaited before more of the file is read, so memory stays
 * flat however large the file. A row that cannot be imported is reported with its line number and
 * the import goes on. Ids are derived from the row, so importing the same file again stores nothing
 * new.
 */
export async function importCsv(store: Store, workspaceId: string, kind: ImportKind, input: Readable, options: ImportOptions = {}): Promise<ImportReport> {
  if (!IMPORT_KINDS.includes(kind)) throw cannotImport(`unknown kind "${kind}": use ${IMPORT_KINDS.join(', ')}`);
  const dateFormat = options.dateFormat ?? 'iso';
  if (!DATE_FORMATS.includes(dateFormat)) throw cannotImport(`unknown date format "${dateFormat}": use ${DATE_FORMATS.join(', ')}`);
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK);
  const started = performance.now();
  const bar = progress(`Importing ${kind}`, null, options.quiet);
  const writer = options.writer ?? createWriter(store);
  const build = BUILDERS[kind];
  const report: ImportReport = { rows: 0, stored: 0, duplicates: 0, setAside: 0, skipped: [], skippedCount: 0, seconds: 0, columns: { fields: [], kept: [] } };
  const skip = (line: number, reason: string) => {
    report.skippedCount++;
    if (report.skipped.length < MAX_REASONS) report.skipped.push({ line, reason });
  };

  let plan: Plan | null = null;
  let setupError: unknown = null;
  // Where the previous record ended: info.lines is where a record ends, a quoted cell can span
  // lines, and a user looking for a bad row wants the line it starts on.
  let lastLine = 0;
  let lastEmpty = 0;
  const parser = parse({
    bom: true,
    columns: (names: string[]) => {
      // Blank and repeated header names still need distinct keys, or cells would overwrite each other.
      const seen = new Map<string, number>();
      const header = names.map((raw, i) => {
        const name = String(raw ?? '').trim() || `column_${i + 1}`;
        const n = (seen.get(name) ?? 0) + 1;
        seen.set(name, n);
        return n === 1 ? name : `${name}_${n}`;
      });
      lastLine = parser.info.lines;
      lastEmpty = parser.info.empty_lines;
      try {
        plan = planColumns(kind, header, options);
        report.columns = plan.columns;
        options.onColumns?.(plan.columns);
      } catch (err) {
        setupError = err;
      }
      return header;
    },
    info: true,
    relax_quotes: true,
    // Tools drop trailing empty cells, so a short row is fine; a long one means misplaced commas.
    relax_column_count_less: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  parser.on('skip', (err: CsvError) => {
    report.rows++;
    skip(err.lines, csvErrorReason(err));
  });
  input.once('error', (err) => parser.destroy(err));
  input.pipe(parser);

  // Each row's messages; the last one is the row's own (an answer may be preceded by an identify).
  let pending: IngestEvent[][] = [];
  let chunkRows = 0;
  const flush = async () => {
    const rows = pending;
    pending = [];
    chunkRows = 0;
    const events: IngestEvent[] = [];
    const primary: boolean[] = [];
    for (const messages of rows) {
      messages.forEach((e, i) => {
        events.push(e);
        primary.push(i === messages.length - 1);
      });
    }
    if (!events.length) return;
    const result = await writer.write(workspaceId, events);
    result.items.forEach((item, i) => {
      if (!primary[i]) return;
      if (item.status === 'stored') report.stored++;
      else if (item.status === 'duplicate') report.duplicates++;
      else report.setAside++;
    });
  };

  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; empty_lines: number } }>) {
      if (setupError) throw setupError;
      const p = plan!;
      const line = lastLine + 1 + (info.empty_lines - lastEmpty);
      lastLine = info.lines;
      lastEmpty = info.empty_lines;
      report.rows++;
      const values = p.header.map((h) => record[h] ?? '');
      const hash = createHash('sha1').update(`${kind}\u0000${line}\u0000${values.join('\u001f')}`).digest('hex');
      try {
        if (values.every((v) => v.trim() === '')) throw new SkipRow('the row is empty');
        // Cells as written before our exports made them spreadsheet-safe, so an export reads back unchanged.
        const built = build(new Row(p, values.map(fromSpreadsheetSafe), dateFormat, hash));
        const receivedAt = Date.now();
        // Only long rows are measured: the JSON of a short row cannot reach the limit.
        const long = values.reduce((n, v) => n + v.length, 0) > MAX_EVENT_BYTES / 8;
        const parsed = built.messages.map((m) => {
          if (long && Buffer.byteLength(JSON.stringify(m)) > MAX_EVENT_BYTES) {
            throw new SkipRow(`the row is larger than ${MAX_EVENT_BYTES / 1024} KB as a message`);
          }
          const e = parseMessage(m, receivedAt);
          // parseMessage takes email and phone from identify traits only; an answer's person has them too.
          e.email ??= built.email;
          e.phone ??= built.phone;
          if (e.answer && built.stage) e.answer.stage = built.stage;
          return e;
        });
        pending.push(parsed);
      } catch (err) {
        if (!(err instanceof SkipRow || isAppError(err, 'invalid'))) throw err;
        skip(line, err.message);
      }
      bar.update(report.rows);
      if (++chunkRows >= chunkSize) await flush();
    }
    if (setupError) throw setupError;
    if (!plan) throw cannotImport('the file is empty: a CSV import needs a header row naming the columns');
    await flush();
    // The projector may still be looking for more work; the caller may close the store next.
    await writer.settled();
  } finally {
    // Its background projector would otherwise outlive the import and find the store closed.
    if (!options.writer) await writer.close();
    input.unpipe(parser);
    if (!input.readableEnded) input.destroy();
  }
  // Parse errors arrive as events ahead of the records before them, so sort the reasons back into file order.
  report.skipped.sort((a, b) => a.line - b.line);
  report.seconds = (performance.now() - started) / 1000;
  bar.done(`${report.rows.toLocaleString('en')} rows, ${report.stored.toLocaleString('en')} stored, ${report.duplicates.toLocaleString('en')} duplicates, ${report.setAside ? `${report.setAside.toLocaleString('en')} set aside (see the ingestion errors), ` : ''}${report.skippedCount.toLocaleString('en')} skipped`);
  return report;
}
