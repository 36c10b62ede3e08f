// Journey stage from configurable rules over computed traits. Rules are checked in order and the
// first whose conditions all hold wins, so a workspace can put its most specific stage first.

export const JOURNEY_FIELDS = ['order_count', 'days_since_last_order', 'days_since_first_seen', 'lifetime_revenue'] as const;
export type JourneyField = (typeof JOURNEY_FIELDS)[number];
export const JOURNEY_OPS = ['eq', 'gt', 'gte', 'lt', 'lte'] as const;
export type JourneyOp = (typeof JOURNEY_OPS)[number];

export interface StageCondition {
  field: JourneyField;
  op: JourneyOp;
  value: number;
}
export interface StageRule {
  stage: string;
  when: StageCondition[];
}

export const DEFAULT_STAGE_RULES: StageRule[] = [
  { stage: 'lapsed', when: [{ field: 'days_since_last_order', op: 'gt', value: 90 }] },
  { stage: 'repeat', when: [{ field: 'order_count', op: 'gte', value: 2 }] },
  { stage: 'active', when: [{ field: 'order_count', op: 'gte', value: 1 }] },
  { stage: 'new', when: [] },
];

export interface JourneyInputs {
  order_count: number;
  lifetime_revenue: number;
  last_order_at: number | null;
  first_seen_at: number;
}

const DAY = 86_400_000;

export function daysBetween(from: number, to: number): number {
  return Math.max(0, Math.floor((to - from) / DAY));
}

function fieldValue(field: JourneyField, p: JourneyInputs, at: number): number | null {
  switch (field) {
    case 'order_count':
      return p.order_count;
    case 'lifetime_revenue':
      return p.lifetime_revenue;
    case 'days_since_first_seen':
      return daysBetween(p.first_seen_at, at);
    case 'days_since_last_order':
      return p.last_order_at == null ? null : daysBetween(p.last_order_at, at);
  }
}

function holds(c: StageCondition, p: JourneyInputs, at: number): boolean {
  const v = fieldValue(c.field, p, at);
  if (v == null) return false; // "days since last order" means nothing for someone who never ordered
  switch (c.op) {
    case 'eq':
      return v === c.value;
    case 'gt':
      return v > c.value;
    case 'gte':
      return v >= c.value;
    case 'lt':
      return v < c.value;
    case 'lte':
      return v <= c.value;
  }
}

/** The stage of a profile at time `at`; null only if no rule matches (a rule set without a catch-all). */
export function journeyStage(p: JourneyInputs, at: number, rules: StageRule[] = DEFAULT_STAGE_RULES): string | null {
  for (const rule of rules) if (rule.when.every((c) => holds(c, p, at))) return rule.stage;
  return null;
}
