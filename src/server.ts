import type { AddressInfo } from 'node:net';
import type { Store } from './store/db.ts';
import type { EventWriter } from './store/writer.ts';
import { Bus } from './store/bus.ts';
import { createWriter } from './ingest/writer.ts';
import { InsightEngine } from './analytics/engine.ts';
import { annotationsFromEvents } from './analytics/annotations.ts';
import { ProfileScan } from './analytics/profile-scan.ts';
import { SegmentMembers } from './analytics/segments.ts';
import { TraitColumns } from './analytics/traits.ts';
import { TEXT_REANALYZE_JOB, TEXT_TRAIN_JOB, TextModels, textRetrainTask, textTrainHandler } from './text/training.ts';
import { backfillTexts, textOfAnswers, textReanalyzeHandler } from './text/answers.ts';
import { CHURN_TRAIN_JOB, churnRetrainTask, churnTrainHandler } from './analytics/churn-training.ts';
import { Outbox, type OutboxOptions } from './automation/outbox.ts';
import { Clock } from './automation/clock.ts';
import { SEND_JOB } from './domain/jobs.ts';
import { sendFailed, sendHandler, type DeliveryContext } from './surveys/delivery.ts';
import { AUDIENCE_JOB, audienceHandler, startDueSchedules } from './surveys/audience.ts';
import { surveyTriggers } from './surveys/triggers.ts';
import { closeMailTransports } from './surveys/mailer.ts';

export interface ServiceOptions {
  store: Store;
  /** A writer to share (tests running two apps on one SQLite file); by default one is made for the store. */
  writer?: EventWriter;
  /** Job worker settings; false runs no worker in this process (jobs wait for another), hence no clock and no durable consumers. */
  jobs?: OutboxOptions | false;
  /** Base of links in emails and texts when a workspace sets none; defaults to ADVOCATE_PUBLIC_URL, else the listening address. */
  publicUrl?: string;
}

/**
 * Everything a process runs besides answering requests, composed once for the HTTP server, the CLI,
 * the bench and the tests: the write path, the bus and what consumes it, the job worker and its
 * handlers, the clock. Nothing here knows about HTTP.
 */
export interface Services {
  readonly store: Store;
  readonly writer: EventWriter;
  readonly bus: Bus;
  readonly engine: InsightEngine;
  readonly members: SegmentMembers;
  readonly traits: TraitColumns;
  /** Each workspace's current sentiment model (src/text). */
  readonly textModels: TextModels;
  /** Null in a process that works no jobs. */
  readonly outbox: Outbox | null;
  readonly clock: Clock | null;
  /** What sending surveys needs: the store, the writer, the outbox and the base for links. */
  readonly delivery: DeliveryContext;
  /** The base for absolute links (ADVOCATE_PUBLIC_URL, else where this process listens). */
  publicUrl(): string;
  /** Tells the services where this process listens, for links when no public URL is configured. */
  listeningAt(address: () => AddressInfo | string | null): void;
  start(): Promise<void>;
  /** Stops the loops, then commits every queued write and closes the writer; the store stays open (its opener closes it). */
  stop(): Promise<void>;
  /**
   * Brings everything up to date now: every accepted write projected, every durable consumer past
   * the facts that made, then the clock's tasks run as at `now`.
   */
  catchUp(now?: number): Promise<void>;
}

/** ADVOCATE_PUBLIC_URL as a base for links, or a clear error at start rather than broken links later. */
export function configuredPublicUrl(value: string | undefined): string | null {
  if (!value?.trim()) return null;
  let url: URL | null = null;
  try {
    url = new URL(value.trim());
  } catch {
    /* reported below */
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new Error(`ADVOCATE_PUBLIC_URL: "${value}" is not an http(s) URL such as https://nps.example.com`);
  }
  return url.href.replace(/\/+$/, '');
}

function baseOf(address: AddressInfo | string | null): string {
  if (!address || typeof address === 'string') return 'http://localhost:3000';
  const host = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export function createServices(options: ServiceOptions): Services {
  const { store } = options;
  const configuredUrl = configuredPublicUrl(options.publicUrl ?? process.env.ADVOCATE_PUBLIC_URL);
  let address: () => AddressInfo | string | null = () => null;
  // The one source of absolute links (emails, texts, QR codes, permalinks, analytics.js settings):
  // never a request's Host or X-Forwarded-Host, which any client can set.
  const publicUrl = () => configuredUrl ?? baseOf(address());

  const writer = options.writer ?? createWriter(store);
  const bus = new Bus(store);
  // This process's projections wake the bus at once; other processes' through LISTEN (or its poll).
  writer.onProjected = () => bus.wake();
  const engine = new InsightEngine(store.db);
  const profileScan = new ProfileScan(store.db);
  const outbox = options.jobs === false ? null : new Outbox(store, options.jobs || {});
  const delivery: DeliveryContext = {
    db: store.db,
    writer,
    outbox,
    get publicUrl() {
      return publicUrl();
    },
  };
  // A process that works no jobs runs no clock and no durable consumers either: what they start are jobs.
  let clock: Clock | null = null;
  const textModels = new TextModels(store.db);
  if (outbox) {
    outbox.register(SEND_JOB, sendHandler(delivery), sendFailed(delivery));
    outbox.register(AUDIENCE_JOB, audienceHandler(delivery));
    outbox.register(CHURN_TRAIN_JOB, churnTrainHandler(store.db, engine));
    outbox.register(TEXT_TRAIN_JOB, textTrainHandler(store.db));
    outbox.register(TEXT_REANALYZE_JOB, textReanalyzeHandler(store.db, textModels));
    clock = new Clock([{ name: 'survey schedules', run: (now) => startDueSchedules(delivery, now) }, churnRetrainTask(store.db), textRetrainTask(store.db)]);
    bus.consume(surveyTriggers(delivery));
    bus.consume(annotationsFromEvents());
    bus.consume(textOfAnswers(textModels));
  }

  let backfill: Promise<unknown> = Promise.resolve();
  let stopping = false;
  return {
    store,
    writer,
    bus,
    engine,
    members: new SegmentMembers(profileScan),
    traits: new TraitColumns(profileScan),
    textModels,
    outbox,
    clock,
    delivery,
    publicUrl,
    listeningAt(where) {
      address = where;
    },
    async start() {
      await bus.start();
      outbox?.start();
      clock?.start();
      // Answers stored before text analysis existed (or under an older taxonomy) are analysed in
      // the background; new ones come through the bus.
      if (outbox) {
        stopping = false;
        backfill = backfillTexts(store.db, textModels, { shouldStop: () => stopping }).catch((err) => console.error('advocate: analysing stored comments failed', err));
      }
    },
    async stop() {
      stopping = true;
      await backfill;
      await clock?.stop();
      await bus.stop();
      await outbox?.stop();
      closeMailTransports();
      await writer.drain();
      await writer.close();
    },
    async catchUp(now = Date.now()) {
      await writer.settled();
      await bus.catchUp();
      await clock?.tick(now);
    },
  };
}
