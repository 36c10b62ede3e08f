import { categoryOf } from './category.ts';
import { LIMITS } from './limits.ts';

// The computed part of a profile, updated event by event in memory during a write and then
// saved in one statement. Kept pure so that ingestion, merges and tests share one definition.
export interface ProfileState {
  id: string;
  workspace_id: string;
  user_id: string | null;
  traits: Record<string, unknown>;
  created_at: number;
  updated_at: number;
  first_seen_at: number;
  last_seen_at: number;
  order_count: number;
  revenue: number;
  first_order_at: number | null;
  last_order_at: number | null;
  nps_score: number | null;
  nps_category: string | null;
  nps_answered_at: number | null;
  nps_prev_score: number | null;
  last_campaign: string | null;
  last_utm_source: string | null;
}

export function newProfileState(id: string, workspaceId: string, at: number, now: number): ProfileState {
  return {
    id,
    workspace_id: workspaceId,
    user_id: null,
    traits: {},
    created_at: now,
    updated_at: now,
    first_seen_at: at,
    last_seen_at: at,
    order_count: 0,
    revenue: 0,
    first_order_at: null,
    last_order_at: null,
    nps_score: null,
    nps_category: null,
    nps_answered_at: null,
    nps_prev_score: null,
    last_campaign: null,
    last_utm_source: null,
  };
}

const min = (a: number | null, b: number | null) => (a == null ? b : b == null ? a : Math.min(a, b));
const max = (a: number | null, b: number | null) => (a == null ? b : b == null ? a : Math.max(a, b));

export function touch(state: ProfileState, at: number): void {
  if (at < state.first_seen_at) state.first_seen_at = at;
  if (at > state.last_seen_at) state.last_seen_at = at;
}

/** An order's value: Segment's `revenue`, else `total` (the e-commerce spec), else nothing. */
export function orderRevenue(p: Record<string, unknown> | null): number {
  const v = Number(p?.revenue ?? p?.total ?? 0);
  // The door refuses larger values; this keeps sums finite for anything stored before it did.
  return Number.isFinite(v) && Math.abs(v) <= LIMITS.money ? v : 0;
}

export function applyOrder(state: ProfileState, at: number, revenue: number): void {
  state.order_count += 1;
  state.revenue += revenue;
  state.first_order_at = min(state.first_order_at, at);
  state.last_order_at = max(state.last_order_at, at);
}

/** Sets traits; returns the keys whose value changed with their previous values, for the history. */
export function applyTraits(state: ProfileState, traits: Record<string, unknown>): Array<{ key: string; value: unknown; previous: unknown }> {
  const changes: Array<{ key: string; value: unknown; previous: unknown }> = [];
  for (const [key, value] of Object.entries(traits)) {
    if (value === undefined) continue;
    const previous = state.traits[key];
    if (JSON.stringify(previous) === JSON.stringify(value)) continue;
    state.traits[key] = value;
    changes.push({ key, value, previous: previous ?? null });
  }
  return changes;
}

/**
 * Records an answer as the latest score when it is the newest; returns false when an older answer
 * arrived late, in which case latest/previous must be recomputed from all answers.
 */
export function applyAnswer(state: ProfileState, score: number, at: number): boolean {
  if (state.nps_answered_at != null && at < state.nps_answered_at) return false;
  state.nps_prev_score = state.nps_score;
  state.nps_score = score;
  state.nps_category = categoryOf(score);
  state.nps_answered_at = at;
  return true;
}

/** Folds `loser` into `survivor`. Survivor traits win; the latest NPS answer is kept. */
export function mergeStates(survivor: ProfileState, loser: ProfileState): void {
  survivor.user_id ??= loser.user_id;
  survivor.traits = { ...loser.traits, ...survivor.traits };
  survivor.created_at = Math.min(survivor.created_at, loser.created_at);
  survivor.first_seen_at = Math.min(survivor.first_seen_at, loser.first_seen_at);
  if (loser.last_seen_at > survivor.last_seen_at) {
    survivor.last_seen_at = loser.last_seen_at;
    survivor.last_campaign = loser.last_campaign ?? survivor.last_campaign;
    survivor.last_utm_source = loser.last_utm_source ?? survivor.last_utm_source;
  } else {
    survivor.last_campaign ??= loser.last_campaign;
    survivor.last_utm_source ??= loser.last_utm_source;
  }
  survivor.order_count += loser.order_count;
  survivor.revenue += loser.revenue;
  survivor.first_order_at = min(survivor.first_order_at, loser.first_order_at);
  survivor.last_order_at = max(survivor.last_order_at, loser.last_order_at);
  if (loser.nps_answered_at != null && (survivor.nps_answered_at == null || loser.nps_answered_at > survivor.nps_answered_at)) {
    survivor.nps_score = loser.nps_score;
    survivor.nps_category = loser.nps_category;
    survivor.nps_answered_at = loser.nps_answered_at;
  }
}

/** What of an event shapes a profile's computed traits. */
export interface ProfileFact {
  type: string;
  name: string | null;
  timestamp: number;
  properties: Record<string, unknown> | null;
  traits: Record<string, unknown> | null;
  context: Record<string, unknown> | null;
}

/**
 * Folds one event into a profile: seen times, the campaign of the latest event, orders and their
 * revenue, traits. Returns the trait changes (for the history). Answers are folded by applyAnswer.
 */
export function foldEvent(state: ProfileState, e: ProfileFact, orderEvent: string): Array<{ key: string; value: unknown; previous: unknown }> {
  const wasLast = e.timestamp >= state.last_seen_at;
  touch(state, e.timestamp);
  const campaign = (e.context as Record<string, any> | null)?.campaign;
  if (campaign && typeof campaign === 'object' && wasLast) {
    if (campaign.name) state.last_campaign = String(campaign.name).slice(0, 200);
    if (campaign.source) state.last_utm_source = String(campaign.source).slice(0, 200);
  }
  if (e.type === 'track' && e.name === orderEvent) applyOrder(state, e.timestamp, orderRevenue(e.properties));
  return e.type === 'identify' && e.traits ? applyTraits(state, e.traits) : [];
}
