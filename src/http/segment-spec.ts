import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newId } from '../domain/ids.ts';
import { decodeBody, MAX_BATCH_BYTES, MessageSchemas, parseBatch, parseMessage } from '../ingest/segment-spec.ts';
import type { IngestEvent, IngestFailure, MessageType } from '../domain/event.ts';
import type { EventWriter as Writer, WriteResult } from '../store/writer.ts';
import { publicBase, type DeliveryContext } from '../surveys/delivery.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { openToAnyOrigin } from './cors.ts';
import { AppError } from '../domain/errors.ts';
import { secretSecurity } from './schemas.ts';

const SINGLE: Record<string, MessageType> = {
  identify: 'identify', track: 'track', page: 'page', screen: 'screen', group: 'group', alias: 'alias',
  // analytics.js (analytics-next) uses one-letter paths.
  i: 'identify', t: 'track', p: 'page', s: 'screen', g: 'group', a: 'alias',
};

declare module 'fastify' {
  interface FastifyRequest {
    bodyBytes?: number;
    /** The decoded JSON text of the body, kept for the writer to store as it is. */
    bodyText?: string;
  }
}

function reply(request: FastifyRequest, result: Pick<WriteResult, 'stored' | 'duplicates'>, failures: Array<Pick<IngestFailure, 'index' | 'messageId' | 'error'>> = []) {
  // Segment answers JSON; RudderStack's SDK expects a bare "OK". JSON only for clients that ask for it.
  if (String(request.headers.accept ?? '').includes('application/json')) {
    return {
      success: true,
      stored: result.stored,
      duplicates: result.duplicates,
      rejected: failures.map((f) => ({ index: f.index, messageId: f.messageId, error: f.error })),
    };
  }
  return 'OK';
}

/**
 * Segment clients need the events durable, not yet on profiles: answer at commit. A backlog is
 * refused with 429 and Retry-After (the writer's rate_limited error), which the clients retry.
 */
function accept(writer: Writer, workspaceId: string, events: IngestEvent[], failures: IngestFailure[]) {
  return writer.write(workspaceId, events, failures, { wait: 'accepted' });
}

export async function segmentSpecRoutes(app: FastifyInstance, opts: { writer: Writer; keys: KeyCache; delivery: Pick<DeliveryContext, 'db' | 'publicUrl'> }) {
  const { writer, keys } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BATCH_BYTES * 2 }, (request, raw, done) => {
    const batch = /^\/v1\/(batch|import|b)(\?|$)/.test(request.url);
    try {
      const decoded = decodeBody(raw as Buffer, String(request.headers['content-encoding'] ?? ''), batch ? 'batch' : 'event');
      request.bodyBytes = decoded.bytes;
      request.bodyText = decoded.text;
      done(null, decoded.value);
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // Browser libraries (analytics.js, the widget) post from customers' sites: any origin may write.
  const preflight = openToAnyOrigin(app, 'content-type, authorization, content-encoding');
  for (const path of ['/v1/batch', '/v1/b', '/v1/import', ...Object.keys(SINGLE).map((k) => `/v1/${k}`)]) {
    app.options(path, { schema: { tags: ['ingestion'], summary: 'CORS preflight for browser libraries' } }, preflight);
  }
  const auth = authenticate(keys, 'write');
  const security = secretSecurity;
  const ok = { 200: Type.Union([Type.Literal('OK'), Type.Object({ success: Type.Boolean(), stored: Type.Integer(), duplicates: Type.Integer(), rejected: Type.Array(Type.Object({ index: Type.Integer(), messageId: Type.Union([Type.String(), Type.Null()]), error: Type.String() })) })]) };

  for (const path of ['/v1/batch', '/v1/b', '/v1/import']) {
    app.post(path, {
      preValidation: auth,
      schema: {
        tags: ['ingestion'],
        summary: 'Segment batch: up to 500 KB of messages; bad messages inside a sound batch go to the ingestion-errors list',
        security,
        body: Type.Object({ batch: Type.Array(Type.Any()), sentAt: Type.Optional(Type.String()), writeKey: Type.Optional(Type.String()), context: Type.Optional(Type.Any()) }, { additionalProperties: true }),
        response: ok,
      },
      attachValidation: true,
      // Each message is checked on its own in parseBatch: one bad message must not fail the batch.
      config: { perMessageCheck: true },
    }, async (request) => {
      const ws = request.principal.workspaceId;
      const receivedAt = Date.now();
      const id = newId('inb', receivedAt);
      const parsed = parseBatch(request.body, receivedAt, request.bodyBytes ?? 0, id, request.bodyText);
      if (parsed.events.length === 0 && parsed.failures.length > 0) {
        // Nothing in it can ever be stored: the caller is told, and a refused request leaves nothing behind.
        throw new AppError('invalid', `No message in the batch could be stored; first error: ${parsed.failures[0].error}`, { field: parsed.failures[0].error.split(':')[0] });
      }
      // The batch is stored as the text it came as (the writer's thread need not encode it again).
      const batch = {
        id,
        text: request.bodyText!,
        receivedAt,
        size: (request.body as { batch: unknown[] }).batch.length,
        positions: parsed.positions,
        messageIds: parsed.events.map((e) => e.messageId),
      };
      const result = await writer.acceptBatch(ws, batch, parsed.failures);
      return reply(request, result, parsed.failures);
    });
  }

  for (const [segment, type] of Object.entries(SINGLE)) {
    app.post(`/v1/${segment}`, {
      preValidation: auth,
      schema: { tags: ['ingestion'], summary: `Segment ${type} call`, security, body: MessageSchemas[type], response: ok },
      attachValidation: true,
    }, async (request) => {
      const body = request.body as Record<string, any>;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new AppError('invalid', 'body: must be a JSON object', { field: 'body' });
      if (body.type !== undefined && body.type !== type) throw new AppError('invalid', `type: "${body.type}" does not match the ${type} endpoint`, { field: 'type' });
      const event = parseMessage({ ...body, type }, Date.now());
      const result = await accept(writer, request.principal.workspaceId, [event], []);
      return reply(request, result);
    });
  }

  // analytics.js asks for its settings before sending anything.
  app.get('/v1/projects/:writeKey/settings', {
    schema: {
      tags: ['ingestion'],
      summary: 'Settings for the Segment browser library (analytics.js / analytics-next)',
      params: Type.Object({ writeKey: Type.String() }),
    },
  }, async (request) => {
    const { writeKey } = request.params as { writeKey: string };
    const principal = await keys.resolve(writeKey);
    if (!principal) throw new AppError('not_found', 'Unknown write key');
    if (principal.kind !== 'write') throw new AppError('forbidden', 'Secret keys must never be used in a browser: create a public write key');
    // analytics.js sends to protocol://apiHost: this server as the public reaches it, not the Host it was asked by.
    const [protocol, rest] = (await publicBase(opts.delivery, principal.workspaceId)).split('://');
    return { integrations: { 'Segment.io': { apiKey: writeKey, apiHost: `${rest}/v1`, protocol } }, plan: { track: { __default: { enabled: true } } } };
  });
}
