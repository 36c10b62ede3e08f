import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { laterInFeed, LiveAnswers, type FeedPosition, type LiveItem, type WakeSource } from '../analytics/live-answers.ts';
import type { Store } from '../store/db.ts';
import { positionBefore } from '../store/facts.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { AppError } from '../domain/errors.ts';
import { secretSecurity, withErrors } from './schemas.ts';
import type { LiveAnalysis as LiveAnalysisData, LiveAnswer as LiveAnswerData } from '../api-types/answers.ts';

const PING_MS = 15_000;
/** At most this many missed events are replayed on reconnecting; the feed is for watching, not for export. */
const CATCH_UP = 5_000;
// A watcher this far behind (a stalled tab, a slow link) is let go; its browser reconnects with
// Last-Event-ID and picks up where it was, instead of the server buffering without bound.
const MAX_BUFFERED = 1024 * 1024;

const formatId = (p: FeedPosition) => `${p.position}.${p.index}`;
// Ids sent before the bus were the change time and the answer id: a tab open across the upgrade
// resumes from a little before that time (at worst seeing a few answers again).
const OLD_ID_OVERLAP_MS = 5_000;

async function parseLastEventId(store: Store, workspaceId: string, value: string | undefined): Promise<FeedPosition | null> {
  if (value == null || value.trim() === '') return null;
  const m = /^(\d{1,15})\.(\d{1,9})$/.exec(value.trim());
  if (m) return { position: Number(m[1]), index: Number(m[2]) };
  const old = /^(\d{1,15})-([A-Za-z0-9_]{1,100})$/.exec(value.trim());
  if (old) return { position: await positionBefore(store.db, workspaceId, Number(old[1]) - OLD_ID_OVERLAP_MS), index: Infinity };
  throw new AppError('invalid', `Last-Event-ID: "${value.slice(0, 60)}" is not an id this feed sent`, { field: 'Last-Event-ID' });
}

/** Server-sent events for every answer stored or changed in the workspace, and its comment's analysis, for the dashboard's live feed. */
export async function liveRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache; bus: WakeSource }) {
  const live = new LiveAnswers(opts.store.db, opts.bus, { onError: (err) => app.log.error(err, 'live answer feed') });
  const streams = new Set<() => void>();
  let closing = false;
  // Open streams would keep app.close() waiting for ever: end them first; browsers reconnect elsewhere.
  app.addHook('preClose', async () => {
    closing = true;
    for (const end of [...streams]) end();
    live.close();
  });

  app.get('/api/v1/live/answers', {
    // A HEAD would hold a stream open that can carry no events.
    exposeHeadRoute: false,
    preValidation: authenticate(opts.keys, 'secret'),
    schema: {
      tags: ['answers'],
      summary: 'Live feed of new and changed answers (server-sent events), within a second of being stored',
      description: 'Each answer is an `answer` event whose data is JSON: id, at (when answered, ISO), score, category, comment, channel, surveyId, surveyTitle (the survey\'s name), profileId, '
        + 'person ({ name, email, phone } as known, null for an anonymous person), personLabel (name, else email, else phone, else userId, else "Anonymous" and a short id), name and email as before, '
        + 'and text: the comment\'s analysis as GET /api/v1/answers gives it (sentiment, themes with their names and mentions at offsets into the comment), null without a comment or while it is not analysed yet. '
        + 'A comment is analysed a moment after its answer is stored or changed: an `analysis` event { id, text } then follows, id being the answer\'s; replace that answer\'s text with it '
        + '(text null: the analysis was dropped). Clients that know only `answer` events may ignore it. It comes for answers changed within the hour before the analysis: comments read again after a theme edit '
        + 'or a new model are not sent (GET /api/v1/answers has them). '
        + 'The comment, and the mentions\' text, are the respondent\'s own text: show them as text. A `: ping` comment every 15 s keeps proxies from closing the stream. '
        + 'Event ids move forward only: reconnecting with Last-Event-ID (browsers do so by themselves) replays what was missed, both kinds, in order and once, up to 5,000 events.',
      security: secretSecurity,
      headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 200 })) }),
      // Fastify's per-content-type form (the stream is not JSON), which TypeBox's route types do not describe.
      response: withErrors({ 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: Type.String() } } } as never }),
    },
  }, async (request, reply) => {
    const ws = request.principal.workspaceId;
    const from = await parseLastEventId(opts.store, ws, request.headers['last-event-id'] as string | undefined);
    // Subscribed, and what was missed read, before the 200: while the database is unavailable the
    // request is answered 503 with Retry-After (the dashboard tries again) rather than with a stream
    // that ends at once. An open stream outlives an outage: the feed's polls fail, then resume.
    let deliver: ((items: LiveItem[]) => void) | null = null;
    const arrived: LiveItem[] = [];
    const unsubscribe = await live.subscribe(ws, (items) => (deliver ? deliver(items) : arrived.push(...items)));
    let missed: LiveItem[] = [];
    try {
      if (from) missed = await live.after(ws, from, CATCH_UP);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    if (closing) {
      unsubscribe();
      throw new AppError('unavailable', 'The server is shutting down; connect again', { headers: { 'retry-after': '1' } });
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');

    // Ids only move forward (what was missed and what arrived meanwhile can overlap), so resuming
    // from the last one never repeats anything.
    let high = from && from.index !== Infinity ? from : null;
    let ended = false;
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS).unref();
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(ping);
      unsubscribe();
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    res.on('close', end);
    // The watcher may have gone while the feed was being read.
    if (res.destroyed || request.raw.destroyed) return end();

    const send = (items: LiveItem[]) => {
      if (ended) return;
      for (const item of items) {
        if (!high || laterInFeed(item.position, high)) high = item.position;
        const data = item.kind === 'answer' ? item.data satisfies Static<typeof LiveAnswerData> : item.data satisfies Static<typeof LiveAnalysisData>;
        // JSON.stringify escapes line breaks, so a comment can never end the data line or forge a field.
        res.write(`id: ${formatId(high)}\nevent: ${item.kind}\ndata: ${JSON.stringify(data)}\n\n`);
      }
      if (res.writableLength > MAX_BUFFERED) end();
    };
    // What was missed first, then what arrived meanwhile, so the stream stays in order without repeats.
    const sent = new Set(missed.map((a) => formatId(a.position)));
    send(missed);
    send(arrived.filter((a) => !sent.has(formatId(a.position))));
    deliver = send;
  });
}
