import { churnedAfter, type ChurnDefinition } from '../domain/churn.ts';
import type { Db } from '../store/db.ts';
import { eventTimesByProfile } from './profile-events.ts';
import { profilesAfter } from '../store/profiles.ts';
import { ERASED, type AnswerColumns } from './columns.ts';
import { firstOrderFrom, loadOrders, ordersBetween, type OrderHistory } from './orders.ts';

const DAY = 86_400_000;
const YEAR_DAYS = 365;
// Caps keep one extreme value (a profile imported with a first-seen date decades back) from
// stretching a standardised feature so far that everyone else looks the same.
const TENURE_CAP_DAYS = 3650;
const ANSWER_AGE_CAP_DAYS = 730;
const PROFILE_PAGE = 5_000;
const YIELD_EVERY = 5_000;
const ANSWER_YIELD_EVERY = 200_000;

export interface ChurnProfile {
  id: string;
  key: string;
  firstSeenAt: number;
}

/** A person's NPS answers, oldest first. */
export interface AnswerHistory {
  at: number[];
  score: number[];
  channel: Array<string | null>;
}

/** What the churn model reads about a workspace, loaded once per training. */
export interface ChurnHistory {
  definition: ChurnDefinition;
  orders: OrderHistory;
  /** Times of the definition's churn event per profile, oldest first (empty without one). */
  churnEvents: Map<string, number[]>;
  answers: Map<string, AnswerHistory>;
  /** Live (not merged away) profiles; `key` (the userId, else the profile id) outlives merges and reloads. */
  profiles: ChurnProfile[];
}

/**
 * The model's inputs about one person at a moment, from what was known before it. Order matters:
 * stored models name their coefficients by these.
 */
export const FEATURES = ['latestScore', 'noAnswer', 'scoreChange', 'daysSinceOrder', 'ordersPastYear', 'revenuePastYear', 'tenureDays', 'daysSinceAnswer'] as const;
export type Feature = (typeof FEATURES)[number];
export const FEATURE_INDEX = Object.fromEntries(FEATURES.map((f, i) => [f, i])) as Record<Feature, number>;

export interface Snapshot {
  profileId: string;
  /** The profile's stable key (ChurnProfile.key) */
  key: string;
  /** In FEATURES order; NaN where unknown (no answer, or only one). Revenue is log1p of the amount. */
  values: Float64Array;
  /** Channel of the latest answer, null without one. */
  channel: string | null;
}

/**
 * Loads orders, churn events and live profiles, and groups the answers by person: everything a
 * training at `now` reads. Orders start a year before the training cutoff (now − inactiveDays),
 * which is as far back as any feature looks.
 */
export async function loadChurnHistory(db: Db, workspaceId: string, definition: ChurnDefinition, answers: AnswerColumns, now: number): Promise<ChurnHistory> {
  const from = now - (definition.inactiveDays + YEAR_DAYS) * DAY;
  const orders = await loadOrders(db, workspaceId, { from, to: now });
  const churnEvents = definition.event ? await eventTimesByProfile(db, workspaceId, definition.event, { from, to: now }) : new Map<string, number[]>();
  const profiles: ChurnHistory['profiles'] = [];
  for (let after: string | null = null; ;) {
    const page = await profilesAfter(db, workspaceId, after, PROFILE_PAGE);
    for (const p of page) profiles.push({ id: p.id, key: p.user_id ?? p.id, firstSeenAt: Number(p.first_seen_at) });
    if (page.length < PROFILE_PAGE) break;
    after = page[page.length - 1].id;
  }
  return { definition, orders, churnEvents, answers: await answersByProfile(answers), profiles };
}

/** The insight engine's answer columns regrouped per person, erased answers left out. */
export async function answersByProfile(cols: AnswerColumns): Promise<Map<string, AnswerHistory>> {
  const rows = new Map<string, number[]>();
  for (let i = 0; i < cols.n; i++) {
    if (i % ANSWER_YIELD_EVERY === ANSWER_YIELD_EVERY - 1) await new Promise((r) => setImmediate(r));
    if (cols.category[i] === ERASED) continue;
    const id = cols.profiles.labels[cols.profile[i]];
    if (!id) continue;
    const list = rows.get(id);
    if (list) list.push(i);
    else rows.set(id, [i]);
  }
  const out = new Map<string, AnswerHistory>();
  for (const [id, list] of rows) {
    list.sort((a, b) => cols.at[a] - cols.at[b]);
    out.set(id, {
      at: list.map((i) => cols.at[i]),
      score: list.map((i) => cols.score[i]),
      channel: list.map((i) => cols.dicts.channel.labels[cols.coded.channel[i]] ?? null),
    });
  }
  return out;
}

/**
 * Whether a person is a customer who could still churn at `t`: they ordered before `t` and had not
 * churned by `t` under the same definition, looking back over the window that ends at `t` (an order
 * in the last inactiveDays and no churn event in them). People who never ordered are not customers
 * to lose, and people already silent that long are lost already: the model ranks the rest.
 */
export function activeAt(h: ChurnHistory, profileId: string, t: number): boolean {
  const orders = h.orders.get(profileId);
  if (!orders || firstOrderFrom(orders, t) === 0) return false;
  return !churnedAfter(h.definition, t - h.definition.inactiveDays * DAY, orders.at, h.churnEvents.get(profileId));
}

/** The label: churned in the window that starts at `t`, by the workspace's definition. */
export function churnedFrom(h: ChurnHistory, profileId: string, t: number): boolean {
  return churnedAfter(h.definition, t, h.orders.get(profileId)?.at, h.churnEvents.get(profileId));
}

/** Number of elements of a sorted list before `t`. */
function countBefore(list: readonly number[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A person's features as of `t`, from events strictly before it; null when not active at `t`. */
export function snapshotAt(h: ChurnHistory, profile: ChurnProfile, t: number): Snapshot | null {
  if (!activeAt(h, profile.id, t)) return null;
  const orders = h.orders.get(profile.id)!;
  const values = new Float64Array(FEATURES.length).fill(NaN);
  const lastOrder = orders.at[firstOrderFrom(orders, t) - 1];
  const year = ordersBetween(orders, t - YEAR_DAYS * DAY, t);
  values[FEATURE_INDEX.daysSinceOrder] = (t - lastOrder) / DAY;
  values[FEATURE_INDEX.ordersPastYear] = year.orders;
  values[FEATURE_INDEX.revenuePastYear] = Math.log1p(Math.max(0, year.revenue));
  values[FEATURE_INDEX.tenureDays] = Math.min(TENURE_CAP_DAYS, Math.max(0, (t - profile.firstSeenAt) / DAY));

  let channel: string | null = null;
  const answers = h.answers.get(profile.id);
  const k = answers ? countBefore(answers.at, t) : 0;
  values[FEATURE_INDEX.noAnswer] = k ? 0 : 1;
  if (answers && k) {
    values[FEATURE_INDEX.latestScore] = answers.score[k - 1];
    if (k > 1) values[FEATURE_INDEX.scoreChange] = answers.score[k - 1] - answers.score[k - 2];
    values[FEATURE_INDEX.daysSinceAnswer] = Math.min(ANSWER_AGE_CAP_DAYS, (t - answers.at[k - 1]) / DAY);
    channel = answers.channel[k - 1];
  }
  return { profileId: profile.id, key: profile.key, values, channel };
}

/** Snapshots of everyone active at `t`, letting other work in every few thousand people. */
export async function snapshotsAt(h: ChurnHistory, t: number): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for (let i = 0; i < h.profiles.length; i++) {
    const s = snapshotAt(h, h.profiles[i], t);
    if (s) out.push(s);
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((r) => setImmediate(r));
  }
  return out;
}
