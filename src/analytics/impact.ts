import { differenceResult, emptyDifference, npsDifference, npsSummary, pairedDifference, type NpsCounts, type NpsDifference, type NpsSummary } from '../domain/nps.ts';
import { ERASED, type AnswerColumns } from './columns.ts';
import { differenceVerdict, type Verdict } from './verdict.ts';

const DAY = 86_400_000;

/**
 * Who the exposed are compared with. "existing": only people already known when the campaign
 * started (first exposure), on both sides; "all" also lets in people who arrived later, who have
 * not yet been through the churn that removes unhappy customers, so the unexposed side reads lower
 * and the campaign looks better than it is.
 */
export type Baseline = 'existing' | 'all';

export interface ImpactOptions {
  /** Days before and after exposure an answer may lie to count. */
  windowDays: number;
  /** Period of the exposed-vs-not comparison; default from the first exposure to the last plus the window. */
  from?: number;
  to?: number;
  baseline: Baseline;
  /** What exposure was, for the verdict when nobody was exposed (e.g. `"Campaign Clicked" events`). */
  exposureLabel: string;
}

export interface PairedChange {
  pairs: number;
  before: NpsSummary;
  after: NpsSummary;
  change: NpsDifference;
}

export interface CampaignImpact {
  exposure: { people: number; answering: number; firstAt: number | null; medianAt: number | null; lastAt: number | null };
  beforeAfter: PairedChange & { verdict: Verdict };
  /** Never-exposed people's change around the median exposure time, over the same windows. */
  unexposedBeforeAfter: PairedChange & { around: number | null };
  /** The exposed people's change minus the unexposed people's: what exposure added. */
  netChange: { difference: NpsDifference; verdict: Verdict };
  exposedVsNot: { from: number | null; to: number | null; exposed: NpsSummary; unexposed: NpsSummary; difference: NpsDifference; verdict: Verdict };
  /** The comparisons read together, in a sentence. */
  summary: string;
}

export const IMPACT_CAVEAT = 'Both comparisons are observational, not an experiment. Before/after pairs the same people, so differences between people cancel out, but the raw change also carries whatever else changed over that time and a pull back to each person\'s usual opinion (people whose earlier answer was low by chance stay, and answer again, less often); read it net of the unexposed people\'s change over the same windows (netChange). Exposed vs not compares answers in the same period, so time cancels out, but people who open a campaign can differ from those who do not; baseline=existing keeps newcomers, who have not yet been through churn, out of the unexposed side, where they would make any campaign look good. When netChange and exposedVsNot agree, the effect is likely real.';

const counts = (): number[] => [0, 0, 0];
const asCounts = (c: number[]): NpsCounts => ({ promoters: c[0], passives: c[1], detractors: c[2] });

/**
 * Each person's last answer in the window before `around[person]` and first answer in the window
 * after it, as rows (-1 when none).
 */
class PairFinder {
  readonly before: Int32Array;
  readonly after: Int32Array;
  constructor(size: number, private readonly around: (person: number) => number, private readonly window: number) {
    this.before = new Int32Array(size).fill(-1);
    this.after = new Int32Array(size).fill(-1);
  }

  see(cols: AnswerColumns, i: number): void {
    const person = cols.profile[i];
    const t = this.around(person);
    const at = cols.at[i];
    if (at < t && at >= t - this.window) {
      if (this.before[person] < 0 || at > cols.at[this.before[person]]) this.before[person] = i;
    } else if (at > t && at <= t + this.window) {
      if (this.after[person] < 0 || at < cols.at[this.after[person]]) this.after[person] = i;
    }
  }

  change(cols: AnswerColumns): PairedChange {
    const pairs: Array<[number, number]> = [];
    const before = counts();
    const after = counts();
    for (let person = 0; person < this.before.length; person++) {
      const b = this.before[person];
      const a = this.after[person];
      if (b < 0 || a < 0) continue;
      pairs.push([cols.score[b], cols.score[a]]);
      before[cols.category[b]]++;
      after[cols.category[a]]++;
    }
    return { pairs: pairs.length, before: npsSummary(asCounts(before)), after: npsSummary(asCounts(after)), change: pairedDifference(pairs) };
  }
}

/**
 * NPS of people before vs after their first exposure (and the same for never-exposed people around
 * the median exposure time, to net out what changes without exposure), and of exposed vs not
 * exposed answers in the same period. `exposures` maps a profile id to its first exposure time (ms).
 *
 * The unexposed people's change matters more than it looks: only people who stay answer twice, and
 * unhappy customers leave sooner, so a person whose first answer was low by chance is less often
 * paired; their second answer regresses towards their usual opinion and a raw before/after change
 * reads lower than the truth. The same happens to the unexposed, so the difference of the two
 * changes (difference in differences) is the estimate to trust.
 */
export function campaignImpact(cols: AnswerColumns, exposures: ReadonlyMap<string, number>, o: ImpactOptions): CampaignImpact {
  const window = o.windowDays * DAY;
  const exposedAt = new Float64Array(cols.profiles.size).fill(Infinity);
  const times: number[] = [];
  for (const [profileId, at] of exposures) {
    times.push(at);
    const code = cols.profiles.find(profileId);
    if (code >= 0) exposedAt[code] = at;
  }
  times.sort((a, b) => a - b);
  const anyone = times.length > 0;
  const firstAt = anyone ? times[0] : Infinity;
  const lastAt = anyone ? times[times.length - 1] : -Infinity;
  const medianAt = anyone ? times[Math.floor((times.length - 1) / 2)] : NaN;
  const from = o.from ?? (anyone ? firstAt : null);
  const to = o.to ?? (anyone ? lastAt + window : null);

  const exposedPairs = new PairFinder(cols.profiles.size, (person) => exposedAt[person], window);
  // Never-exposed people only (NaN, never in a window, for the rest).
  const unexposedPairs = new PairFinder(cols.profiles.size, (person) => (exposedAt[person] === Infinity ? medianAt : NaN), window);
  const exposed = counts();
  const unexposed = counts();
  for (let i = 0; i < cols.n; i++) {
    const category = cols.category[i];
    if (category === ERASED) continue;
    exposedPairs.see(cols, i);
    unexposedPairs.see(cols, i);
    const at = cols.at[i];
    if (from == null || to == null || at < from || at >= to) continue;
    if (o.baseline === 'existing' && !knownBy(cols, i, firstAt)) continue;
    const e = exposedAt[cols.profile[i]];
    // An answer long after exposure is neither fresh evidence of it nor unexposed: left out.
    if (at > e) {
      if (at - e <= window) exposed[category]++;
    } else if (at < e) {
      unexposed[category]++;
    }
  }

  let answering = 0;
  for (let person = 0; person < exposedAt.length; person++) if (exposedAt[person] !== Infinity) answering++;
  const beforeAfter = exposedPairs.change(cols);
  const control = unexposedPairs.change(cols);
  const net = netDifference(beforeAfter.change, control.change);
  const exposedFigure = npsSummary(asCounts(exposed));
  const unexposedFigure = npsSummary(asCounts(unexposed));
  const difference = npsDifference(exposedFigure, unexposedFigure);
  const nobody: Verdict = { finding: 'nobody-exposed', text: `nobody was exposed: no ${o.exposureLabel} found` };
  const result: Omit<CampaignImpact, 'summary'> = {
    exposure: { people: exposures.size, answering, firstAt: anyone ? firstAt : null, medianAt: anyone ? medianAt : null, lastAt: anyone ? lastAt : null },
    beforeAfter: { ...beforeAfter, verdict: anyone ? differenceVerdict(beforeAfter.change, beforeAfter.pairs) : nobody },
    unexposedBeforeAfter: { ...control, around: anyone ? medianAt : null },
    netChange: { difference: net, verdict: anyone ? differenceVerdict(net, Math.min(beforeAfter.pairs, control.pairs)) : nobody },
    exposedVsNot: {
      from, to, exposed: exposedFigure, unexposed: unexposedFigure, difference,
      verdict: anyone ? differenceVerdict(difference, Math.min(exposedFigure.n, unexposedFigure.n)) : nobody,
    },
  };
  return { ...result, summary: summarize(result, o.baseline) };
}

/**
 * One effect is believable when both designs find it: they fail in different ways (who opens vs
 * what else changed over time), so agreement is the evidence, and one alone is only a hint.
 */
function summarize(r: Omit<CampaignImpact, 'summary'>, baseline: Baseline): string {
  const side = r.exposedVsNot.verdict;
  const net = r.netChange.verdict;
  if (side.finding === 'nobody-exposed') return `Nothing to compare: ${side.text}.`;
  const sideText = `exposed vs ${baseline === 'existing' ? 'comparable ' : ''}unexposed customers in the same period: ${side.text}`;
  const netText = `the same people before vs after, net of unexposed people's change: ${net.text}`;
  const significant = (v: Verdict) => v.finding === 'higher' || v.finding === 'lower';
  if (significant(side) && significant(net)) {
    return side.finding === net.finding
      ? `Likely a real effect (${side.finding === 'higher' ? 'NPS up' : 'NPS down'}): ${sideText}; ${netText}.`
      : `The comparisons disagree, so neither can be trusted alone: ${sideText}; ${netText}.`;
  }
  if (significant(side)) return `Suggestive, not established: ${sideText}; but ${netText}.`;
  if (significant(net)) return `Suggestive, not established: ${netText}; but ${sideText}.`;
  if (side.finding === 'too-few' && net.finding === 'too-few') return `Too few answers to say anything yet: ${sideText}; ${netText}.`;
  return `No significant effect: ${sideText}; ${netText}.`;
}

/** One group's change minus another's; the groups are different people, so their variances add. */
function netDifference(a: NpsDifference, b: NpsDifference): NpsDifference {
  if (a.diff == null || b.diff == null || a.se == null || b.se == null) return emptyDifference();
  return differenceResult((a.diff - b.diff) / 100, Math.sqrt(a.se * a.se + b.se * b.se));
}

/**
 * Whether the person answering in row i was known by `t`. First seen is kept in whole days at
 * answer time, so this can be a day late; a person with no first-seen (imported answers) counts.
 */
function knownBy(cols: AnswerColumns, i: number, t: number): boolean {
  const days = cols.daysSinceFirstSeen[i];
  return Number.isNaN(days) || cols.at[i] - days * DAY <= t;
}
