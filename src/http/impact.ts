import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { behaviourByCategory, type Behaviour } from '../analytics/behaviour.ts';
import { rowMask } from '../analytics/query.ts';
import type { InsightEngine } from '../analytics/engine.ts';
import { campaignsSeen, EXPOSURE_EVENTS, firstExposures } from '../analytics/exposures.ts';
import { campaignImpact, IMPACT_CAVEAT, type Baseline, type CampaignImpact } from '../analytics/impact.ts';
import { loadOrders } from '../analytics/orders.ts';
import { eventTimesByProfile } from '../analytics/profile-events.ts';
import { checkChurnDefinition, MAX_CHURN_DAYS, type ChurnDefinition } from '../domain/churn.ts';
import { isoOrNull } from '../domain/time.ts';
import { zoneOrUtc } from '../domain/zoned-time.ts';
import type { Store } from '../store/db.ts';
import { churnDefinitionOf, preferencesOf, timeZoneOfWorkspace } from '../store/workspaces.ts';
import { authenticate, type KeyCache } from './auth.ts';
import { CsvFormat, round, sendCsv, wantsCsv } from './csv.ts';
import { AppError } from '../domain/errors.ts';
import { BehaviourView, CampaignList, ImpactView } from '../api-types/impact.ts';
import { IsoTime, ListQuery, listParam, parseTimeParam, parseTimeRange, secretSecurity, withErrors } from './schemas.ts';
import { textFilter } from './insight-filter.ts';

const DAY = 86_400_000;
const MAX_WINDOW_DAYS = 730;
const MAX_EVENTS = 20;
const Events = Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }))], {
  description: `Track event names that count as exposure, repeated or comma-separated. Default: ${EXPOSURE_EVENTS.join(', ')} (opens and clicks; an unopened send is not exposure)`,
}));

type Query = Record<string, string | string[] | number | undefined>;

function eventList(q: Query): string[] | undefined {
  const events = listParam(q.event as string | string[] | undefined);
  if (events && events.length > MAX_EVENTS) throw new AppError('invalid', `event: at most ${MAX_EVENTS} event names`, { field: 'event' });
  if (events?.some((e) => e.length > 200)) throw new AppError('invalid', 'event: an event name is at most 200 characters', { field: 'event' });
  return events;
}

/** The workspace's churn definition with the request's overrides, checked by the same rule as the setting. */
function churnOverride(saved: ChurnDefinition, q: { churnDays?: number; churnEvent?: string }): ChurnDefinition {
  const def: ChurnDefinition = {
    inactiveDays: q.churnDays ?? saved.inactiveDays,
    // An empty churnEvent asks for inactivity alone, whatever the workspace setting says.
    event: q.churnEvent === undefined ? saved.event : q.churnEvent.trim() || null,
  };
  for (const [param, part] of [['churnDays', { inactiveDays: q.churnDays }], ['churnEvent', { event: q.churnEvent === '' ? undefined : q.churnEvent }]] as const) {
    const problem = checkChurnDefinition(part, 'churn');
    if (problem) throw new AppError('invalid', `${param}: ${problem.slice(problem.indexOf(': ') + 2)}`, { field: param });
  }
  return def;
}

function impactCsv(r: CampaignImpact) {
  const row = (comparison: string, a: string, fa: { n: number; nps: number | null }, b: string, fb: { n: number; nps: number | null }, d: { diff: number | null; low: number | null; high: number | null; p: number | null }, verdict: string) => ({
    comparison, group_a: a, n_a: fa.n, nps_a: round(fa.nps, 1), group_b: b, n_b: fb.n, nps_b: round(fb.nps, 1),
    diff: round(d.diff, 1), low: round(d.low, 1), high: round(d.high, 1), p_value: round(d.p, 4), verdict,
  });
  return [
    row('before_after', 'after', r.beforeAfter.after, 'before', r.beforeAfter.before, r.beforeAfter.change, r.beforeAfter.verdict.text),
    row('unexposed_before_after', 'after', r.unexposedBeforeAfter.after, 'before', r.unexposedBeforeAfter.before, r.unexposedBeforeAfter.change, ''),
    { ...row('net_change', 'exposed change', { n: r.beforeAfter.pairs, nps: r.beforeAfter.change.diff }, 'unexposed change', { n: r.unexposedBeforeAfter.pairs, nps: r.unexposedBeforeAfter.change.diff }, r.netChange.difference, r.netChange.verdict.text) },
    row('exposed_vs_not', 'exposed', r.exposedVsNot.exposed, 'unexposed', r.exposedVsNot.unexposed, r.exposedVsNot.difference, r.exposedVsNot.verdict.text),
  ];
}

function behaviourCsv(b: Behaviour) {
  const pct = (x: number | null) => round(x == null ? null : 100 * x, 1);
  return b.categories.map((c) => ({
    category: c.category, customers: c.customers, orders: c.orders, revenue: round(c.revenue, 2),
    orders_per_customer: round(c.ordersPerCustomer, 3), revenue_per_customer: round(c.revenuePerCustomer, 2),
    buying_pct: pct(c.buying.share), repeat_base: c.repeat.n, repeat_pct: pct(c.repeat.share), churn_pct: pct(c.churned.share),
    churn_low_pct: pct(c.churned.low), churn_high_pct: pct(c.churned.high),
  }));
}

/** Campaign and interaction impact on NPS, and what customers of each category did after answering. */
export async function impactRoutes(app: FastifyInstance, opts: { store: Store; keys: KeyCache; engine: InsightEngine }) {
  const db = opts.store.db;
  const secret = authenticate(opts.keys, 'secret');
  const tags = ['insight'];
  const security = secretSecurity;

  app.get('/api/v1/impact/campaigns', {
    preValidation: secret,
    schema: {
      tags, security, summary: 'Campaigns named in exposure events, with how many people saw each and when',
      description: 'The campaign is read from the event properties campaign, campaign_name or name. Pick one for GET /api/v1/impact/campaign.',
      querystring: Type.Object({ event: Events, format: CsvFormat }, { additionalProperties: false }),
      response: withErrors({ 200: CampaignList }),
    },
  }, async (request, reply) => {
    const q = request.query as Query;
    const events = eventList(q) ?? [...EXPOSURE_EVENTS];
    const items = (await campaignsSeen(db, request.principal.workspaceId, events)).map((c) => ({ ...c, firstAt: isoOrNull(c.firstAt)!, lastAt: isoOrNull(c.lastAt)! }));
    if (wantsCsv(request, q.format as string | undefined)) {
      return sendCsv(reply, 'campaigns', items.map((c) => ({ campaign: c.campaign, people: c.people, events: c.events, first_at: c.firstAt, last_at: c.lastAt })));
    }
    return { events, items };
  });

  app.get('/api/v1/impact/campaign', {
    preValidation: secret,
    schema: {
      tags, security,
      summary: 'NPS impact of a campaign or any interaction: the same people before vs after exposure (net of unexposed people\'s change), and exposed vs not exposed in the same period, each with its interval, p-value and a verdict in words',
      description: 'Give campaign (matched against the event properties campaign, campaign_name or name), event (track event names that count as exposure), or both. With only an event, every event of that name is exposure (e.g. "Support Ticket Closed"). '
        + 'A person\'s exposure is their first such event. windowDays bounds how far before and after exposure an answer may lie. '
        + 'from and to set the period of the exposed-vs-not comparison (default: first exposure to last exposure plus the window). '
        + 'baseline=existing (default) compares only people already known at the first exposure, so newcomers, who have not yet been through churn, do not make the unexposed side look worse; baseline=all is the naive comparison. '
        + 'Nobody exposed is not an error: the verdicts say so.',
      querystring: Type.Object({
        campaign: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        event: Events,
        windowDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_WINDOW_DAYS, default: 180, description: 'Days before and after exposure an answer may lie' })),
        from: Type.Optional(IsoTime), to: Type.Optional(IsoTime),
        baseline: Type.Optional(Type.Union([Type.Literal('existing'), Type.Literal('all')], { default: 'existing' })),
        format: CsvFormat,
      }, { additionalProperties: false }),
      response: withErrors({ 200: ImpactView }),
    },
  }, async (request, reply) => {
    const q = request.query as Query & { campaign?: string; windowDays?: number; baseline?: Baseline };
    const campaign = q.campaign?.trim() || null;
    const given = eventList(q);
    if (!campaign && !given) throw new AppError('invalid', 'campaign: give a campaign name, an event name (event), or both', { field: 'campaign' });
    const ws = request.principal.workspaceId;
    // A date alone is a day of the workspace's calendar, as on every figure.
    const { from, to } = parseTimeRange(q, await timeZoneOfWorkspace(db, ws));
    const events = given ?? [...EXPOSURE_EVENTS];
    const windowDays = q.windowDays ?? 180;
    const baseline = q.baseline ?? 'existing';
    const [cols, exposures] = await Promise.all([opts.engine.answers(ws), firstExposures(db, ws, { events, campaign })]);
    const exposureLabel = `${events.map((e) => `"${e}"`).join(' or ')} events${campaign ? ` naming campaign "${campaign}"` : ''}`;
    const result = campaignImpact(cols, exposures, { windowDays, from, to, baseline, exposureLabel });
    if (wantsCsv(request, q.format as string | undefined)) return sendCsv(reply, 'campaign-impact', impactCsv(result));
    const e = result.exposure;
    return {
      campaign, events, windowDays, baseline,
      ...result,
      exposure: { ...e, firstAt: isoOrNull(e.firstAt), medianAt: isoOrNull(e.medianAt), lastAt: isoOrNull(e.lastAt) },
      unexposedBeforeAfter: { ...result.unexposedBeforeAfter, around: isoOrNull(result.unexposedBeforeAfter.around) },
      exposedVsNot: { ...result.exposedVsNot, from: isoOrNull(result.exposedVsNot.from), to: isoOrNull(result.exposedVsNot.to) },
      caveat: IMPACT_CAVEAT,
    };
  });

  app.get('/api/v1/metrics/behaviour', {
    preValidation: secret,
    schema: {
      tags, security,
      summary: 'What promoters, passives and detractors did after answering: revenue and orders per customer, repeat-purchase and churn rates, revenue-weighted NPS, and how many detractors are still buying',
      description: 'One answer per customer: their latest that is at least max(days, churn days) old at asOf, so every window is complete. '
        + 'Orders and revenue count in the days after the answer. Churn follows the workspace\'s churn definition (GET /api/v1/settings/churn) unless churnDays or churnEvent override it; churnEvent= (empty) means inactivity only. '
        + 'from and to bound the answer times. theme and sentiment keep only answers whose comment mentions the theme (GET /api/v1/themes) or has the sentiment: what customers who complained about delivery did next. '
        + 'Rates carry Wilson 95% intervals; detractors are tested against promoters.',
      querystring: Type.Object({
        days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CHURN_DAYS, default: 90, description: 'Days after the answer in which behaviour is counted' })),
        churnDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CHURN_DAYS, description: 'Override: no order for this many days from the answer is churn' })),
        churnEvent: Type.Optional(Type.String({ maxLength: 200, description: 'Override: a track event that means the customer left; empty for none' })),
        from: Type.Optional(IsoTime), to: Type.Optional(IsoTime),
        asOf: Type.Optional(Type.String({ description: 'ISO 8601 or epoch milliseconds: the moment the analysis stands at (default now), for data that ends in the past' })),
        theme: ListQuery,
        sentiment: ListQuery,
        format: CsvFormat,
      }, { additionalProperties: false }),
      response: withErrors({ 200: BehaviourView }),
    },
  }, async (request, reply) => {
    const q = request.query as Query & { days?: number; churnDays?: number; churnEvent?: string };
    const ws = request.principal.workspaceId;
    const prefs = await preferencesOf(db, ws);
    const zone = zoneOrUtc(prefs.timeZone);
    const { from, to } = parseTimeRange(q, zone);
    const asOf = parseTimeParam(q.asOf as string | undefined, 'asOf', zone) ?? Date.now();
    const days = q.days ?? 90;
    const churn = churnOverride(await churnDefinitionOf(db, ws), q);
    // Orders from a year before the earliest answer that can count (revenue weights look back that far).
    const ordersFrom = from != null ? from - 365 * DAY : undefined;
    const [cols, orders, churnEvents] = await Promise.all([
      opts.engine.answers(ws),
      loadOrders(db, ws, { from: ordersFrom, to: asOf }),
      churn.event ? eventTimesByProfile(db, ws, churn.event) : Promise.resolve(null),
    ]);
    const where = textFilter({ theme: q.theme as string | string[] | undefined, sentiment: q.sentiment as string | string[] | undefined });
    const rows = Object.keys(where).length ? rowMask(cols, { where }) : null;
    const result = behaviourByCategory(cols, orders, churnEvents, { days, churn, asOf, from, to, money: prefs, rows });
    if (wantsCsv(request, q.format as string | undefined)) {
      return sendCsv(reply, 'behaviour-by-category', behaviourCsv(result), { columns: ['revenue', 'revenue_per_customer'], currency: prefs.currency });
    }
    return {
      days, churn, asOf: isoOrNull(asOf)!, from: isoOrNull(from), to: isoOrNull(to), ...(rows ? { where } : {}),
      ...result,
      answeredBy: isoOrNull(result.answeredBy)!,
    };
  });
}
