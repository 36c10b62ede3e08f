import { CATEGORIES, type Category } from '../domain/category.ts';
import { churnedAfter, type ChurnDefinition } from '../domain/churn.ts';
import { npsSummary, Z95, type NpsDifference } from '../domain/nps.ts';
import { DEFAULT_PREFERENCES, formatMoney, type Preferences } from '../domain/preferences.ts';
import { addValue, emptyMoments, meanDifference, meanOf, proportion, proportionDifference, type Moments, type Proportion } from '../domain/proportions.ts';
import { ERASED, type AnswerColumns } from './columns.ts';
import { firstOrderFrom, ordersBetween, type OrderHistory } from './orders.ts';
import { formatP, MIN_ANSWERS, signed } from './verdict.ts';

const DAY = 86_400_000;
/** Revenue-weighted NPS weighs each customer by what they spent in the year before answering. */
const WEIGHT_DAYS = 365;

export interface BehaviourOptions {
  /** Days after the answer in which orders, revenue and buying are counted. */
  days: number;
  churn: ChurnDefinition;
  /** The moment the data stands at: only answers whose windows have ended by then count. */
  asOf: number;
  /** Answer times, from inclusive, to exclusive. */
  from?: number;
  to?: number;
  /** How the findings write money (default USD, en-US) */
  money?: Pick<Preferences, 'currency' | 'locale'>;
  /** Only these answers count (1 per row, query.ts rowMask), e.g. those whose comment mentions a theme. */
  rows?: Uint8Array | null;
}

export interface CategoryBehaviour {
  category: Category;
  customers: number;
  orders: number;
  revenue: number;
  ordersPerCustomer: number | null;
  revenuePerCustomer: number | null;
  /** Ordered at least once in the `days` after the answer. */
  buying: Proportion;
  /** Of those who had ordered before the answer, ordered again in the `days` after. */
  repeat: Proportion;
  /** Churned by the churn definition, counted from the answer. */
  churned: Proportion;
}

export interface Behaviour {
  customers: number;
  /** Answers after this time have windows still open and are left out. */
  answeredBy: number;
  categories: CategoryBehaviour[];
  revenueWeighted: { nps: number | null; low: number | null; high: number | null; unweightedNps: number | null; revenue: number; customersWithRevenue: number };
  detractorsStillBuying: Proportion;
  /** Detractors minus promoters: shares on the 0..1 scale, money per customer, orders per customer. */
  detractorsVsPromoters: { churnRate: NpsDifference; buyingRate: NpsDifference; revenuePerCustomer: NpsDifference; ordersPerCustomer: NpsDifference };
  findings: string[];
}

interface Tally {
  customers: number;
  buyers: number;
  hadOrdered: number;
  repeaters: number;
  churned: number;
  revenue: Moments;
  orders: Moments;
}

/**
 * What customers did after answering, by the category of their answer.
 *
 * One answer per customer, their latest whose windows have ended: customers are the unit the rates
 * speak of, a customer answering twice would otherwise have the same orders counted twice, and the
 * intervals and tests assume independent observations. The latest is the opinion nearest to the
 * behaviour that followed it.
 */
export function behaviourByCategory(cols: AnswerColumns, orders: OrderHistory, churnEvents: ReadonlyMap<string, readonly number[]> | null, o: BehaviourOptions): Behaviour {
  const window = o.days * DAY;
  const answeredBy = o.asOf - Math.max(o.days, o.churn.inactiveDays) * DAY;
  const latest = new Int32Array(cols.profiles.size).fill(-1);
  for (let i = 0; i < cols.n; i++) {
    if (cols.category[i] === ERASED || (o.rows && o.rows[i] === 0)) continue;
    const at = cols.at[i];
    if (at > answeredBy || (o.from != null && at < o.from) || (o.to != null && at >= o.to)) continue;
    const person = cols.profile[i];
    if (latest[person] < 0 || at > cols.at[latest[person]]) latest[person] = i;
  }

  const tallies: Tally[] = CATEGORIES.map(() => ({ customers: 0, buyers: 0, hadOrdered: 0, repeaters: 0, churned: 0, revenue: emptyMoments(), orders: emptyMoments() }));
  // Weighted sums of each customer's NPS value (+1, 0, −1), and of squares for the interval.
  let weight = 0;
  let weighted = 0;
  let withRevenue = 0;
  const weightedRows: Array<{ w: number; x: number }> = [];
  for (let person = 0; person < latest.length; person++) {
    const i = latest[person];
    if (i < 0) continue;
    const profileId = cols.profiles.labels[person]!;
    const at = cols.at[i];
    const history = orders.get(profileId);
    const t = tallies[cols.category[i]];
    const next = ordersBetween(history, at, at + window);
    t.customers++;
    addValue(t.revenue, next.revenue);
    addValue(t.orders, next.orders);
    if (next.orders > 0) t.buyers++;
    if (history && firstOrderFrom(history, at) > 0) {
      t.hadOrdered++;
      if (next.orders > 0) t.repeaters++;
    }
    if (churnedAfter(o.churn, at, history?.at, churnEvents?.get(profileId))) t.churned++;
    const w = ordersBetween(history, at - WEIGHT_DAYS * DAY, at).revenue;
    if (w > 0) {
      const x = 1 - cols.category[i]; // promoter 1, passive 0, detractor −1
      weight += w;
      weighted += w * x;
      withRevenue++;
      weightedRows.push({ w, x });
    }
  }

  const categories = CATEGORIES.map((category, c): CategoryBehaviour => {
    const t = tallies[c];
    return {
      category, customers: t.customers, orders: t.orders.sum, revenue: t.revenue.sum,
      ordersPerCustomer: meanOf(t.orders), revenuePerCustomer: meanOf(t.revenue),
      buying: proportion(t.buyers, t.customers), repeat: proportion(t.repeaters, t.hadOrdered), churned: proportion(t.churned, t.customers),
    };
  });
  const [promoters, , detractors] = tallies;
  const customers = tallies.reduce((sum, t) => sum + t.customers, 0);
  const unweighted = npsSummary({ promoters: promoters.customers, passives: tallies[1].customers, detractors: detractors.customers }).nps;

  let revenueWeighted: Behaviour['revenueWeighted'] = { nps: null, low: null, high: null, unweightedNps: unweighted, revenue: weight, customersWithRevenue: withRevenue };
  if (weight > 0) {
    const mean = weighted / weight;
    // Linearised variance of a ratio estimator: each customer's weighted deviation from the mean.
    const se = Math.sqrt(weightedRows.reduce((s, r) => s + (r.w * (r.x - mean)) ** 2, 0)) / weight;
    revenueWeighted = { ...revenueWeighted, nps: 100 * mean, low: 100 * (mean - Z95 * se), high: 100 * (mean + Z95 * se) };
  }

  const comparison = {
    churnRate: proportionDifference({ count: detractors.churned, n: detractors.customers }, { count: promoters.churned, n: promoters.customers }),
    buyingRate: proportionDifference({ count: detractors.buyers, n: detractors.customers }, { count: promoters.buyers, n: promoters.customers }),
    revenuePerCustomer: meanDifference(detractors.revenue, promoters.revenue),
    ordersPerCustomer: meanDifference(detractors.orders, promoters.orders),
  };
  return {
    customers, answeredBy, categories, revenueWeighted,
    detractorsStillBuying: categories[2].buying,
    detractorsVsPromoters: comparison,
    findings: findings(categories, comparison, o),
  };
}

/** The headline relationships in words, only where both groups are large enough to say anything. */
function findings(rows: CategoryBehaviour[], d: Behaviour['detractorsVsPromoters'], o: BehaviourOptions): string[] {
  const [promoter, , detractor] = rows;
  if (promoter.customers < MIN_ANSWERS || detractor.customers < MIN_ANSWERS) {
    return [`Too few customers to compare detractors with promoters (${detractor.customers} detractors, ${promoter.customers} promoters; at least ${MIN_ANSWERS} of each needed).`];
  }
  const pct = (x: number | null) => `${(100 * (x ?? 0)).toFixed(1)}%`;
  const money = (x: number | null) => formatMoney(x ?? 0, o.money ?? DEFAULT_PREFERENCES);
  const diff = d.revenuePerCustomer.diff ?? 0;
  const test = (x: NpsDifference) => (x.significant ? `significant, ${formatP(x.p!)}` : `not significant, ${formatP(x.p!)}`);
  const churnWord = o.churn.event ? `churned (no order in ${o.churn.inactiveDays} days, or "${o.churn.event}")` : `churned (no order in ${o.churn.inactiveDays} days)`;
  return [
    `${pct(detractor.churned.share)} of detractors ${churnWord} against ${pct(promoter.churned.share)} of promoters: ${signed(d.churnRate.diff!)} percentage points (${test(d.churnRate)}).`,
    `In the ${o.days} days after answering, detractors spent ${money(detractor.revenuePerCustomer)} per customer and promoters ${money(promoter.revenuePerCustomer)}: ${diff < 0 ? '−' : '+'}${money(Math.abs(diff))} (${test(d.revenuePerCustomer)}).`,
    `${detractor.buying.count} of ${detractor.customers} detractors (${pct(detractor.buying.share)}) are still buying: they ordered in the ${o.days} days after answering.`,
  ];
}
