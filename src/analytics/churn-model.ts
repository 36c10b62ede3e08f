import { createHash } from 'node:crypto';
import { auc, aucInterval } from '../domain/auc.ts';
import { fitLogistic, sigmoid } from '../domain/logistic.ts';
import { churnedFrom, FEATURE_INDEX, FEATURES, snapshotsAt, type ChurnHistory, type Snapshot } from './churn-features.ts';
import type { ChurnMetrics, ChurnModel, Factor, FoldMetrics, ProfileRisk, ReasonFacts } from '../domain/churn-model.ts';
import { channelWords, reasonText } from './churn-reasons.ts';

const DAY = 86_400_000;
/** Below this many labelled customers a held-out AUC says nothing. */
export const MIN_CUSTOMERS = 30;
/** Each outcome (churned, stayed) needs at least this many customers. */
export const MIN_PER_CLASS = 5;
const MAX_CHANNELS = 5;
const RIDGE = 1;
const TOP_FACTORS = 3;
const TOP_LOWERING = 2;
/** Log-odds below which a feature hardly moves anyone's risk (±0.05 is about half a point at 10%): no reason worth reading. */
const MIN_CONTRIBUTION = 0.05;

/** Training is impossible with this history; the message says what is missing. */
export class NotEnoughHistory extends Error {}

export const FOLDS = 4;

/**
 * The fold a person is tested in, from their userId (else profile id) so that it is the same at
 * every retraining and for every load of the same data: accuracy over time compares like with like.
 */
export function foldOf(key: string): number {
  return createHash('sha256').update(key).digest()[0] % FOLDS;
}

const PLAIN_NAMES: Record<string, string> = {
  latestScore: 'Latest NPS score',
  noAnswer: 'Never answered NPS',
  scoreChange: 'Change in NPS score from the previous answer',
  daysSinceOrder: 'Days since the last order',
  ordersPastYear: 'Orders in the past year',
  revenuePastYear: 'Revenue in the past year (log scale)',
  tenureDays: 'Days since first seen',
  daysSinceAnswer: 'Days since the last NPS answer',
};

export function plainName(feature: string): string {
  return PLAIN_NAMES[feature] ?? (feature.startsWith('channel:') ? `Answered the latest survey ${channelWords(feature.slice(8))}` : feature);
}

/** The full input row: the snapshot's values, then 1/0 per modelled channel. */
function design(s: Snapshot, channels: readonly string[]): number[] {
  return [...s.values, ...channels.map((c) => (s.channel === c ? 1 : 0))];
}

/** Channels common enough among the training rows' latest answers to estimate an effect for. */
function pickChannels(rows: Snapshot[]): string[] {
  const counts = new Map<string, number>();
  for (const r of rows) if (r.channel) counts.set(r.channel, (counts.get(r.channel) ?? 0) + 1);
  const floor = Math.max(10, rows.length * 0.01);
  return [...counts].filter(([, n]) => n >= floor).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_CHANNELS).map(([c]) => c);
}

/** A value on the standardised scale; unknown values sit at the training mean (0). */
function standardised(model: Pick<ChurnModel, 'means' | 'sds'>, j: number, v: number): number {
  return Number.isNaN(v) ? 0 : (v - model.means[j]) / model.sds[j];
}

/** Fits on the rows `idx`: channels, means and spreads come from those rows only. */
function fitOn(rows: Snapshot[], labels: number[], idx: number[]): { model: ChurnModel; iterations: number; converged: boolean } {
  const channels = pickChannels(idx.map((i) => rows[i]));
  const features = [...FEATURES, ...channels.map((c) => `channel:${c}`)];
  const p = features.length;
  const raw = idx.map((i) => design(rows[i], channels));
  const means = new Array<number>(p).fill(0);
  const sds = new Array<number>(p).fill(1);
  for (let j = 0; j < p; j++) {
    let n = 0;
    let sum = 0;
    let squares = 0;
    for (const r of raw) {
      if (Number.isNaN(r[j])) continue;
      n++;
      sum += r[j];
      squares += r[j] * r[j];
    }
    if (!n) continue;
    means[j] = sum / n;
    const variance = squares / n - means[j] * means[j];
    // A feature that never varies carries no information either way; dividing by 1 keeps it at 0.
    sds[j] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
  const x = new Float64Array(idx.length * p);
  raw.forEach((r, k) => {
    for (let j = 0; j < p; j++) x[k * p + j] = standardised({ means, sds }, j, r[j]);
  });
  const fit = fitLogistic(x, idx.length, p, idx.map((i) => labels[i]), { lambda: RIDGE });
  return { model: { features, channels, means, sds, intercept: fit.intercept, coefficients: fit.coefficients }, iterations: fit.iterations, converged: fit.converged };
}

const count = (idx: number[], labels: number[]) => idx.reduce((s, i) => s + labels[i], 0);

/**
 * Trains on the workspace's own history: features as of the cutoff (now − inactiveDays) for every
 * customer active then, labelled by whether they churned in the inactiveDays that followed, which
 * have all passed by now. Accuracy is measured by cross-validation over FOLDS stable folds (each
 * person scored by a model that never saw them, so every customer counts towards the AUC rather
 * than a quarter); the model kept is then fitted on everyone.
 */
export async function fitChurnModel(h: ChurnHistory, now: number): Promise<{ model: ChurnModel; metrics: ChurnMetrics }> {
  const cutoff = now - h.definition.inactiveDays * DAY;
  const rows = await snapshotsAt(h, cutoff);
  const labels: number[] = rows.map((r) => (churnedFrom(h, r.profileId, cutoff) ? 1 : 0));
  const since = new Date(cutoff).toISOString().slice(0, 10);
  if (rows.length < MIN_CUSTOMERS) {
    throw new NotEnoughHistory(`Not enough history to learn from: ${rows.length} customer${rows.length === 1 ? ' was' : 's were'} active on ${since} (an order in the ${h.definition.inactiveDays} days before it); at least ${MIN_CUSTOMERS} are needed`);
  }
  const all = rows.map((_, i) => i);
  const churned = count(all, labels);
  if (churned < MIN_PER_CLASS || rows.length - churned < MIN_PER_CLASS) {
    throw new NotEnoughHistory(`Not enough of both outcomes to learn from: of ${rows.length} customers active on ${since}, ${churned} churned and ${rows.length - churned} stayed in the ${h.definition.inactiveDays} days after; at least ${MIN_PER_CLASS} of each are needed`);
  }

  const fold = rows.map((r) => foldOf(r.key));
  const outOfFold: Array<{ risk: number; label: number }> = [];
  const folds: FoldMetrics[] = [];
  for (let f = 0; f < FOLDS; f++) {
    // Each fit takes tens of milliseconds on thousands of customers: let requests in between.
    await new Promise((r) => setImmediate(r));
    const test = all.filter((i) => fold[i] === f);
    const train = all.filter((i) => fold[i] !== f);
    const trainChurned = count(train, labels);
    const metrics: FoldMetrics = { n: test.length, churned: count(test, labels), auc: null };
    folds.push(metrics);
    // A fold whose training part lacks an outcome cannot score its people: they are left out.
    if (!trainChurned || trainChurned === train.length || !test.length) continue;
    const { model } = fitOn(rows, labels, train);
    const risks = test.map((i) => riskOf(model, design(rows[i], model.channels)));
    metrics.auc = auc(risks, test.map((i) => labels[i]));
    test.forEach((i, k) => outOfFold.push({ risk: risks[k], label: labels[i] }));
  }
  await new Promise((r) => setImmediate(r));
  const final = fitOn(rows, labels, all);
  const pooled = auc(outOfFold.map((o) => o.risk), outOfFold.map((o) => o.label));
  const pooledChurned = outOfFold.reduce((s, o) => s + o.label, 0);
  return {
    model: final.model,
    metrics: {
      auc: pooled,
      aucInterval: pooled == null ? null : aucInterval(pooled, pooledChurned, outOfFold.length - pooledChurned),
      folds,
      baseRate: churned / rows.length,
      customers: rows.length,
      churned,
      cutoff,
      iterations: final.iterations,
      converged: final.converged,
    },
  };
}

function riskOf(model: ChurnModel, row: number[]): number {
  let eta = model.intercept;
  for (let j = 0; j < row.length; j++) eta += model.coefficients[j] * standardised(model, j, row[j]);
  return sigmoid(eta);
}

/** Risk now for everyone active now, each with the few things that raise it most, in words. */
export async function scoreProfiles(h: ChurnHistory, model: ChurnModel, now: number): Promise<ProfileRisk[]> {
  const out: ProfileRisk[] = [];
  for (const s of await snapshotsAt(h, now)) out.push(explainRisk(model, s));
  return out;
}

/**
 * The risk and the reasons for it: only features whose contribution pushes the risk by at least
 * MIN_CONTRIBUTION, each listed in the direction it pushes (raising first, then lowering), and
 * only those a person would recognise as a reason (churn-reasons.ts words them or leaves them out).
 */
export function explainRisk(model: ChurnModel, s: Snapshot): ProfileRisk {
  const row = design(s, model.channels);
  const raising: Factor[] = [];
  const lowering: Factor[] = [];
  for (let j = 0; j < row.length; j++) {
    const z = standardised(model, j, row[j]);
    const contribution = model.coefficients[j] * z;
    const feature = model.features[j];
    // The absence of a yes/no trait (having answered at all) is no reason anyone would recognise.
    if (Math.abs(contribution) < MIN_CONTRIBUTION || (feature === 'noAnswer' && row[j] !== 1)) continue;
    const facts = factsOf(feature, s, z < 0);
    const text = reasonText(feature, facts);
    if (!text) continue;
    (contribution > 0 ? raising : lowering).push({ feature, contribution, text, facts });
  }
  raising.sort((a, b) => b.contribution - a.contribution);
  lowering.sort((a, b) => a.contribution - b.contribution);
  return { profileId: s.profileId, risk: riskOf(model, row), factors: [...raising.slice(0, TOP_FACTORS), ...lowering.slice(0, TOP_LOWERING)] };
}

/** The values a feature's reason is worded from; `below`: lower than the average customer's. */
function factsOf(feature: string, s: Snapshot, below: boolean): ReasonFacts {
  const v = (f: keyof typeof FEATURE_INDEX) => {
    const x = s.values[FEATURE_INDEX[f]];
    return Number.isNaN(x) ? undefined : x;
  };
  switch (feature) {
    case 'latestScore':
      return { score: v('latestScore'), daysSinceAnswer: v('daysSinceAnswer') };
    case 'scoreChange': {
      const score = v('latestScore');
      const change = v('scoreChange');
      return { score, previousScore: score !== undefined && change !== undefined ? score - change : undefined };
    }
    case 'daysSinceOrder':
      return { daysSinceOrder: v('daysSinceOrder'), below };
    case 'ordersPastYear':
      return { orders: v('ordersPastYear'), below };
    case 'revenuePastYear': {
      const r = v('revenuePastYear');
      return { revenue: r === undefined ? undefined : Math.round(Math.expm1(r) * 100) / 100, below };
    }
    case 'tenureDays':
      return { tenureDays: v('tenureDays') };
    default:
      return {};
  }
}
