import { Type } from '@sinclair/typebox';
import { Difference, NpsFigure, Proportion, Verdict } from './figures.ts';
import { Nullable } from './nullable.ts';

// Replies of the impact routes (src/http/impact.ts): campaigns, and behaviour after answering.

const Time = Nullable(Type.String());

export const CampaignList = Type.Object({
  events: Type.Array(Type.String()),
  items: Type.Array(Type.Object({ campaign: Type.String(), people: Type.Integer(), events: Type.Integer(), firstAt: Type.String(), lastAt: Type.String() })),
});

const Paired = Type.Object({
  pairs: Type.Integer({ description: 'People with an answer in the window before and one in the window after' }),
  before: NpsFigure, after: NpsFigure,
  change: Difference,
});

export const ImpactView = Type.Object({
  campaign: Nullable(Type.String()),
  events: Type.Array(Type.String()),
  windowDays: Type.Integer(),
  baseline: Type.Union([Type.Literal('existing'), Type.Literal('all')]),
  exposure: Type.Object({
    people: Type.Integer({ description: 'People with an exposure event' }),
    answering: Type.Integer({ description: 'Exposed people who have answered an NPS survey at any time' }),
    firstAt: Time, medianAt: Time, lastAt: Time,
  }),
  beforeAfter: Type.Composite([Paired, Type.Object({ verdict: Verdict })], {
    description: 'Each exposed person\'s last answer in the window before their first exposure against their first answer in the window after it, paired',
  }),
  unexposedBeforeAfter: Type.Composite([Paired, Type.Object({ around: Time })], {
    description: 'The same for people never exposed, around the median exposure time: how much answers change without exposure',
  }),
  netChange: Type.Object({ difference: Difference, verdict: Verdict }, {
    description: 'The exposed people\'s change minus the unexposed people\'s (difference in differences): the before/after estimate to read',
  }),
  exposedVsNot: Type.Object({
    from: Time, to: Time,
    exposed: NpsFigure, unexposed: NpsFigure, difference: Difference, verdict: Verdict,
  }, { description: 'Answers in the period by people exposed within the window before answering, against answers by people not exposed by then' }),
  summary: Type.String(),
  caveat: Type.String(),
});

const CategoryRow = Type.Object({
  category: Type.Union([Type.Literal('promoter'), Type.Literal('passive'), Type.Literal('detractor')]),
  customers: Type.Integer(),
  orders: Type.Integer({ description: 'Orders in the days after the answer' }),
  revenue: Type.Number({ description: 'Revenue of those orders' }),
  ordersPerCustomer: Nullable(Type.Number()),
  revenuePerCustomer: Nullable(Type.Number()),
  buying: Type.Composite([Proportion], { description: 'Share who ordered at least once in the days after the answer' }),
  repeat: Type.Composite([Proportion], { description: 'Repeat-purchase rate: of the customers who had ordered before answering (n), the share who ordered again in the days after' }),
  churned: Type.Composite([Proportion], { description: 'Churn rate: no order in the churn definition\'s days from the answer, or its churn event in them' }),
});

export const BehaviourView = Type.Object({
  days: Type.Integer(),
  churn: Type.Object({ inactiveDays: Type.Integer(), event: Nullable(Type.String()) }),
  asOf: Type.String(),
  answeredBy: Type.String({ description: 'Answers after this have windows still open and are left out' }),
  from: Time, to: Time,
  where: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()), { description: 'theme and sentiment as given: only answers whose comment has them' })),
  customers: Type.Integer(),
  categories: Type.Array(CategoryRow),
  revenueWeighted: Type.Object({
    nps: Nullable(Type.Number()), low: Nullable(Type.Number()), high: Nullable(Type.Number()),
    unweightedNps: Nullable(Type.Number(), { description: 'NPS of the same customers, each counted once' }),
    revenue: Type.Number(), customersWithRevenue: Type.Integer(),
  }, { description: 'NPS with each customer weighted by their revenue in the 365 days before answering, with its 95% interval; customers who spent nothing weigh nothing' }),
  detractorsStillBuying: Type.Composite([Proportion], { description: 'Detractors who ordered in the days after answering' }),
  detractorsVsPromoters: Type.Object({
    churnRate: Difference, buyingRate: Difference, revenuePerCustomer: Difference, ordersPerCustomer: Difference,
  }, { description: 'Detractors minus promoters: rates in percentage points, revenue and orders per customer in their own units' }),
  findings: Type.Array(Type.String()),
});
