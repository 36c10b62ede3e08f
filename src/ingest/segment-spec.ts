import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { randomUUID } from 'node:crypto';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { isValidScore } from '../domain/category.ts';
import { AppError, invalid, isAppError } from '../domain/errors.ts';
import { isInt32, LIMITS, timeProblem } from '../domain/limits.ts';
import { decodeUtf8, jsonExcerpt, jsonProblem } from '../domain/text.ts';
import { parseIsoTime } from '../domain/time.ts';
import { batchLayout, batchMessageLengths, type BatchLayout } from './batch-spans.ts';
import { registerBatchFormat } from '../store/batches.ts';
import { NPS_RESPONDED, ORDER_COMPLETED, type IngestEvent, type MessageType } from '../domain/event.ts';
import { normaliseEmail, normalisePhone } from '../domain/identifiers.ts';

export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
export const MESSAGE_TYPES: MessageType[] = ['identify', 'track', 'page', 'screen', 'group', 'alias'];

const Id = Type.Union([Type.String({ minLength: 1, maxLength: LIMITS.identifier }), Type.Number()]);
const OptId = Type.Optional(Type.Union([Id, Type.Null()]));
// An open object rather than Type.Record: the compiled check then does not walk every key.
const Obj = Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]));
const Time = Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number(), Type.Null()]));
const common = {
  messageId: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.identifier })),
  userId: OptId,
  anonymousId: OptId,
  timestamp: Time,
  originalTimestamp: Time,
  sentAt: Time,
  context: Obj,
  integrations: Obj,
};

// Schemas per message type: the OpenAPI document shows them and the compiled checkers validate
// each message, naming the first field that is wrong.
export const MessageSchemas: Record<MessageType, TSchema> = {
  identify: Type.Object({ type: Type.Literal('identify'), ...common, traits: Obj }),
  track: Type.Object({ type: Type.Literal('track'), ...common, event: Type.String({ minLength: 1, maxLength: LIMITS.eventName }), properties: Obj }),
  page: Type.Object({ type: Type.Literal('page'), ...common, name: Type.Optional(Type.Union([Type.String({ maxLength: LIMITS.eventName }), Type.Null()])), category: Type.Optional(Type.Union([Type.String(), Type.Null()])), properties: Obj }),
  screen: Type.Object({ type: Type.Literal('screen'), ...common, name: Type.Optional(Type.Union([Type.String({ maxLength: LIMITS.eventName }), Type.Null()])), properties: Obj }),
  group: Type.Object({ type: Type.Literal('group'), ...common, groupId: Id, traits: Obj }),
  alias: Type.Object({ type: Type.Literal('alias'), ...common, previousId: Id }),
};
const checkers = Object.fromEntries(
  Object.entries(MessageSchemas).map(([k, s]) => [k, TypeCompiler.Compile(s)]),
) as Record<MessageType, ReturnType<typeof TypeCompiler.Compile>>;

/** ISO 8601 (a day that does not exist is refused, not rolled over) or epoch milliseconds. */
function parseTime(value: unknown, field: string): number | null {
  if (value == null || value === '') return null;
  const ms = typeof value === 'number' ? value : /^\d{1,15}$/.test(String(value)) ? Number(value) : parseIsoTime(String(value));
  if (ms == null || !Number.isFinite(ms)) throw invalid(field, `"${String(value).slice(0, 40)}" is not a date (use ISO 8601)`);
  // Times are stored as whole milliseconds (bigint on PostgreSQL): a fraction would be refused there after the 2xx.
  return Math.floor(ms);
}

const idString = (v: unknown): string | null => (v == null || v === '' ? null : String(v));

export interface BatchDefaults {
  sentAt?: unknown;
  context?: Record<string, unknown> | null;
  integrations?: Record<string, unknown> | null;
}

/**
 * Validates one Segment message and turns it into what the writer stores.
 * `path` prefixes field names in errors (e.g. "batch[3]").
 */
/** `textChecked`: the caller has run jsonProblem over `raw` already (a batch does, before measuring it). */
export function parseMessage(raw: unknown, receivedAt: number, path = '', defaults: BatchDefaults = {}, fallbackId?: string, textChecked = false): IngestEvent {
  const at = (f: string) => (path ? `${path}.${f}` : f);
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(path || 'body', 'must be a JSON object');
  const m = raw as Record<string, any>;
  const bad = textChecked ? null : jsonProblem(m, path);
  if (bad) throw invalid(bad.path, bad.message);
  const type = m.type as MessageType;
  if (!MESSAGE_TYPES.includes(type)) {
    throw invalid(at('type'), `must be one of ${MESSAGE_TYPES.join(', ')}${m.type === undefined ? ' (missing)' : ''}`);
  }
  const checker = checkers[type];
  if (!checker.Check(m)) {
    const e = checker.Errors(m).First();
    const field = e?.path ? e.path.slice(1).replace(/\//g, '.') : 'message';
    throw invalid(at(field || 'message'), e?.message?.toLowerCase() ?? 'invalid');
  }
  const userId = idString(m.userId);
  const anonymousId = idString(m.anonymousId);
  if (type === 'alias') {
    if (!userId) throw invalid(at('userId'), 'alias needs userId (the new id) and previousId');
  } else if (!userId && !anonymousId) {
    throw invalid(at('userId'), 'userId or anonymousId is required');
  }

  // Clock skew: a device's clock may be wrong, but the gap between when it recorded the event and
  // when it sent it is right, so anchor that gap on our clock.
  const sentAt = parseTime(m.sentAt ?? defaults.sentAt, at('sentAt'));
  const original = parseTime(m.originalTimestamp, at('originalTimestamp'));
  const explicit = parseTime(m.timestamp, at('timestamp'));
  let timestamp: number;
  let from = 'timestamp';
  if (explicit != null) timestamp = explicit;
  else if (original != null && sentAt != null) {
    timestamp = receivedAt - (sentAt - original);
    from = 'originalTimestamp';
  } else {
    timestamp = original ?? receivedAt;
    if (original != null) from = 'originalTimestamp';
  }
  const outside = timeProblem(timestamp, receivedAt);
  if (outside) {
    const shown = Number.isFinite(timestamp) && Math.abs(timestamp) <= 8.64e15 ? new Date(timestamp).toISOString() : String(timestamp);
    const corrected = from === 'originalTimestamp' && sentAt != null ? ', once corrected for the device clock by sentAt,' : '';
    throw invalid(at(from), `${shown}${corrected} ${outside}`);
  }

  const context = (m.context ?? defaults.context ?? null) as Record<string, unknown> | null;
  const properties = (m.properties ?? null) as Record<string, unknown> | null;
  const traits = (m.traits ?? (type === 'identify' ? null : null)) as Record<string, unknown> | null;
  const name: string | null = type === 'track' ? m.event : type === 'page' || type === 'screen' ? (m.name ?? null) : null;

  const event: IngestEvent = {
    messageId: m.messageId ?? fallbackId ?? `srv-${randomUUID()}`,
    type,
    name,
    userId,
    anonymousId,
    email: type === 'identify' ? normaliseEmail(traits?.email) : null,
    phone: type === 'identify' ? normalisePhone(traits?.phone) : null,
    previousId: type === 'alias' ? idString(m.previousId) : null,
    groupId: type === 'group' ? idString(m.groupId) : null,
    properties,
    traits,
    context,
    timestamp,
    receivedAt,
    answer: null,
  };
  if (type === 'track' && name === NPS_RESPONDED) event.answer = answerFromProperties(properties ?? {}, at('properties'));
  if (type === 'track' && name === ORDER_COMPLETED) checkOrderValue(properties, at('properties'));
  return event;
}

/** An order's value is summed into the profile: it must be a number a sum of them keeps finite. */
function checkOrderValue(p: Record<string, unknown> | null, path: string): void {
  for (const key of ['revenue', 'total']) {
    const v = p?.[key];
    if (v == null || v === '') continue;
    const n = Number(v);
    if ((typeof v === 'number' || (typeof v === 'string' && Number.isFinite(n))) && !(Math.abs(n) <= LIMITS.money)) {
      throw invalid(`${path}.${key}`, `must be a number between -${LIMITS.money.toExponential()} and ${LIMITS.money.toExponential()} (got ${String(v).slice(0, 40)})`);
    }
  }
}

const ANSWER_COLUMNS = new Set(['score', 'comment', 'channel', 'survey_id', 'survey_version', 'category', 'journey_stage', 'csat', 'ces', 'contact_id']);

function optionalScale(p: Record<string, unknown>, key: 'csat' | 'ces', max: number, path: string): number | null {
  const v = p[key];
  if (v == null) return null;
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > max) throw invalid(`${path}.${key}`, `must be an integer from 1 to ${max} (got ${JSON.stringify(v)})`);
  return v as number;
}

/** An `NPS Survey Responded` track event is an answer: it must carry a valid score. */
export function answerFromProperties(p: Record<string, unknown>, path: string) {
  const score = p.score;
  if (!isValidScore(score)) {
    throw invalid(`${path}.score`, `must be an integer from 0 to 10 (got ${JSON.stringify(score) ?? 'nothing'})`);
  }
  if (p.comment != null && typeof p.comment !== 'string') throw invalid(`${path}.comment`, 'must be a string');
  if (typeof p.comment === 'string' && p.comment.length > 10_000) throw invalid(`${path}.comment`, 'must be at most 10,000 characters');
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!ANSWER_COLUMNS.has(k)) properties[k] = v;
  const version = surveyVersionOf(p.survey_version, `${path}.survey_version`);
  if (p.survey_id != null && String(p.survey_id).length > LIMITS.identifier) throw invalid(`${path}.survey_id`, `must be at most ${LIMITS.identifier} characters`);
  return {
    score,
    comment: typeof p.comment === 'string' && p.comment.trim() !== '' ? p.comment : null,
    channel: typeof p.channel === 'string' && p.channel ? p.channel.slice(0, 40) : 'api',
    surveyId: p.survey_id != null ? String(p.survey_id) : null,
    surveyVersion: version,
    csat: optionalScale(p, 'csat', 5, path),
    ces: optionalScale(p, 'ces', 7, path),
    contactId: typeof p.contact_id === 'string' && p.contact_id ? p.contact_id.slice(0, 64) : null,
    properties,
    // A source system that knows the stage (an import) states it; otherwise the rules derive it.
    stage: typeof p.journey_stage === 'string' && p.journey_stage ? p.journey_stage.slice(0, 60) : null,
  };
}

/** A survey version: a positive 32-bit integer, as a number or a string of digits; absent is null. */
function surveyVersionOf(v: unknown, field: string): number | null {
  if (v == null || v === '') return null;
  const n = typeof v === 'string' && /^\d{1,10}$/.test(v.trim()) ? Number(v) : v;
  if (!isInt32(n, 1)) throw invalid(field, `must be a whole number from 1 to ${LIMITS.int32} (got ${JSON.stringify(v)?.slice(0, 40)})`);
  return n;
}

export interface ParsedBatch {
  events: IngestEvent[];
  /** Position in the batch of each event. */
  positions: number[];
  failures: import('../domain/event.ts').IngestFailure[];
}

/**
 * The events of a batch accepted as text, as validation made them (same receivedAt, same ids for
 * messages that came without one): the store's writer reads its inbox with this (store/writer.ts BatchReader).
 */
/** `skip`: positions refused at validation (or repeated), not read again. */
export function readSpecBatch(text: string, receivedAt: number, idPrefix: string, skip?: ReadonlySet<number>): { events: IngestEvent[]; positions: number[] } {
  // Trusted: what is read passed the depth and encoding checks when this very text was accepted.
  const { events, positions } = parseBatch(JSON.parse(text), receivedAt, 0, idPrefix, undefined, skip ?? new Set());
  return { events, positions };
}

interface PreparedSpecBatch {
  text: string;
  layout: BatchLayout | null;
  defaults: BatchDefaults;
  /** Only when the text could not be laid out: the whole batch parsed. */
  messages: unknown[] | null;
}

function prepareSpecBatch(text: string): PreparedSpecBatch {
  const layout = batchLayout(text);
  if (!layout) {
    const body = JSON.parse(text) as Record<string, any>;
    return { text, layout, defaults: { sentAt: body.sentAt, context: body.context, integrations: body.integrations }, messages: body.batch };
  }
  // The envelope alone, its batch emptied: what every message inherits.
  const envelope = JSON.parse(`${text.slice(0, layout.array[0])}[]${text.slice(layout.array[1] + 1)}`) as Record<string, any>;
  return { text, layout, defaults: { sentAt: envelope.sentAt, context: envelope.context, integrations: envelope.integrations }, messages: null };
}

/**
 * One message of an accepted batch read back as validation made it (same receivedAt, same id for a
 * message that came without one), without parsing its neighbours: how the store reads an event's
 * properties, traits and context from the accepted log (store/batches.ts).
 */
function readSpecMessage(b: PreparedSpecBatch, receivedAt: number, batchId: string, position: number): IngestEvent {
  const span = b.layout?.spans[position];
  const raw = span ? JSON.parse(b.text.slice(span[0], span[1])) : b.messages?.[position];
  return parseMessage(raw, receivedAt, `batch[${position}]`, b.defaults, `srv-${batchId}-${position}`, true);
}

/** The batch text with these messages replaced by `{}` padded to their length, so every other message keeps its offsets. */
function blankSpecMessages(text: string, positions: number[]): string {
  const layout = batchLayout(text);
  if (!layout) {
    const body = JSON.parse(text) as Record<string, any>;
    for (const p of positions) if (Array.isArray(body.batch) && p < body.batch.length) body.batch[p] = {};
    return JSON.stringify(body);
  }
  let out = '';
  let at = 0;
  for (const p of [...new Set(positions)].sort((a, b) => a - b)) {
    const span = layout.spans[p];
    // A message of one character (a digit) holds nothing to empty.
    if (!span || span[1] - span[0] < 2) continue;
    out += `${text.slice(at, span[0])}{}${' '.repeat(span[1] - span[0] - 2)}`;
    at = span[1];
  }
  return out + text.slice(at);
}

registerBatchFormat<PreparedSpecBatch>('spec', { prepare: prepareSpecBatch, message: readSpecMessage, blank: blankSpecMessages });

/**
 * A batch is accepted as a whole when its envelope is sound; a message inside it that cannot be
 * stored becomes an ingestion error instead of failing its neighbours (clients drop 400s unretried).
 */
/** `idPrefix` makes the ids given to messages without one repeatable: `<prefix>-<position>`. */
/** `text`, the body as received, lets the per-message size limit be checked without re-encoding. */
/**
 * `trusted`: the text was validated before (read back from the accepted log): the JSON shape
 * checks are skipped, and so are the positions it names (refused then, and never stored).
 */
export function parseBatch(value: unknown, receivedAt: number, bodyBytes: number, idPrefix?: string, text?: string, trusted?: ReadonlySet<number>): ParsedBatch {
  const body = value as Record<string, any>;
  // No body at all reaches here without the content-type parser, and `null` is JSON too.
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new AppError('invalid', 'body: must be a JSON object with a "batch" array of messages', { field: 'body' });
  if (!Array.isArray(body.batch)) throw new AppError('invalid', 'batch: must be an array of messages', { field: 'batch' });
  // The envelope is checked here; each message on its own below, so one bad message fails alone.
  const envelope = trusted ? null : jsonProblem({ ...body, batch: [] });
  if (envelope) throw new AppError('invalid', `${envelope.path}: ${envelope.message}`, { field: envelope.path });
  const defaults: BatchDefaults = { sentAt: body.sentAt, context: body.context, integrations: body.integrations };
  const events: IngestEvent[] = [];
  const positions: number[] = [];
  const failures: ParsedBatch['failures'] = [];
  // No single message can exceed the per-event limit when the whole body is under it.
  const measure = bodyBytes > MAX_EVENT_BYTES;
  let lengths = measure && text ? batchMessageLengths(text) : null;
  if (lengths && lengths.length !== body.batch.length) lengths = null;
  body.batch.forEach((raw: unknown, index: number) => {
    if (trusted?.has(index)) return;
    try {
      // Depth first: measuring a message encodes it, which a hostile depth would overflow.
      const bad = trusted ? null : jsonProblem(raw, `batch[${index}]`);
      if (bad) throw invalid(bad.path, bad.message);
      if (measure && messageBytes(raw, lengths?.[index]) > MAX_EVENT_BYTES) {
        throw invalid(`batch[${index}]`, `message is larger than ${MAX_EVENT_BYTES / 1024} KB`);
      }
      events.push(parseMessage(raw, receivedAt, `batch[${index}]`, defaults, idPrefix ? `srv-${idPrefix}-${index}` : undefined, true));
      positions.push(index);
    } catch (err) {
      if (!isAppError(err, 'invalid')) throw err;
      const r = raw as Record<string, unknown> | null;
      failures.push({
        index,
        messageId: typeof r?.messageId === 'string' ? r.messageId : null,
        type: typeof r?.type === 'string' ? r.type : null,
        error: err.message,
        // An excerpt now: the message itself may be too deep or too large to copy or encode again.
        payload: jsonExcerpt(raw),
      });
    }
  });
  return { events, positions, failures };
}

/**
 * The limit applies to the message as JSON. Its encoding takes at most 3 bytes per character of
 * the text it came as, so only a message over a third of the limit needs encoding to be sure.
 */
function messageBytes(raw: unknown, chars: number | undefined): number {
  if (chars !== undefined && chars * 3 <= MAX_EVENT_BYTES) return chars;
  return Buffer.byteLength(JSON.stringify(raw));
}

function tooLarge(limit: number) {
  return new AppError('too_large', `Body is larger than ${Math.round(limit / 1024)} KB once decompressed (limits: 32 KB per event, 500 KB per batch)`);
}

/**
 * Decodes by Content-Encoding and parses JSON whatever the Content-Type said (RudderStack sends
 * gzip labelled form-urlencoded). Limits apply to the decoded size.
 */
export function decodeBody(raw: Buffer, contentEncoding: string, kind: 'batch' | 'event'): { value: unknown; text: string; bytes: number } {
  const limit = kind === 'batch' ? MAX_BATCH_BYTES : MAX_EVENT_BYTES;
  const encoding = contentEncoding.toLowerCase().trim() || 'identity';
  let text: Buffer;
  try {
    const opts = { maxOutputLength: limit + 1 };
    if (encoding === 'gzip' || encoding === 'x-gzip') text = gunzipSync(raw, opts);
    else if (encoding === 'deflate') text = inflateSync(raw, opts);
    else if (encoding === 'br') text = brotliDecompressSync(raw, opts);
    else if (encoding === 'identity') text = raw;
    else throw new AppError('unsupported', `Content-Encoding "${encoding}" is not supported (use gzip, deflate, br or none)`);
  } catch (err) {
    if (err instanceof AppError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new AppError('invalid', `Body could not be decompressed as ${encoding}: ${(err as Error).message}`);
  }
  if (text.length > limit) throw tooLarge(limit);
  if (text.length === 0) throw new AppError('invalid', 'Empty body: send a JSON object');
  let value: unknown;
  const json = decodeUtf8(text);
  if (json == null) throw new AppError('invalid', 'Body is not valid UTF-8: send JSON text encoded as UTF-8');
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new AppError('invalid', `Malformed JSON body: ${(err as Error).message}`);
  }
  if (kind === 'batch' && (!value || typeof value !== 'object' || Array.isArray(value))) {
    throw new AppError('invalid', 'body: must be a JSON object with a "batch" array', { field: 'body' });
  }
  return { value, text: json, bytes: text.length };
}
