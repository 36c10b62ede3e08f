/**
 * Conditions over a person's traits and computed traits, as survey targeting states them
 * (`{ field: 'traits.plan', op: 'eq', value: 'premium' }`). Each failed check says which field
 * and why, so "not asked" can be explained.
 */
export type ConditionOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'in' | 'exists' | 'not_exists';

export interface FieldCondition {
  field: string;
  op: ConditionOp;
  value?: unknown;
}

export type Facts = { traits: Record<string, unknown> } & Record<string, unknown>;

export function fieldValue(facts: Facts, field: string): unknown {
  let v: unknown = facts;
  for (const part of field.split('.')) {
    if (v == null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const OP_WORDS: Record<ConditionOp, string> = {
  eq: '=', neq: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤', contains: 'contains', in: 'is one of', exists: 'is set', not_exists: 'is not set',
};

function holds(actual: unknown, op: ConditionOp, expected: unknown): boolean {
  switch (op) {
    case 'exists':
      return actual != null && actual !== '';
    case 'not_exists':
      return actual == null || actual === '';
    case 'eq':
      return actual === expected || (actual != null && expected != null && String(actual) === String(expected));
    case 'neq':
      return !holds(actual, 'eq', expected);
    case 'in':
      return Array.isArray(expected) && expected.some((e) => holds(actual, 'eq', e));
    case 'contains':
      if (Array.isArray(actual)) return actual.some((a) => holds(a, 'eq', expected));
      return typeof actual === 'string' && typeof expected === 'string' && actual.toLowerCase().includes(expected.toLowerCase());
    default: {
      const a = typeof actual === 'number' ? actual : Number(actual);
      const e = Number(expected);
      if (actual == null || actual === '' || !Number.isFinite(a) || !Number.isFinite(e)) return false;
      return op === 'gt' ? a > e : op === 'gte' ? a >= e : op === 'lt' ? a < e : a <= e;
    }
  }
}

export function evaluate(conditions: FieldCondition[], facts: Facts): { ok: true } | { ok: false; reason: string } {
  for (const c of conditions) {
    const actual = fieldValue(facts, c.field);
    if (!holds(actual, c.op, c.value)) {
      const shown = actual === undefined ? 'not set' : JSON.stringify(actual);
      const wanted = c.op === 'exists' || c.op === 'not_exists' ? OP_WORDS[c.op] : `${OP_WORDS[c.op]} ${JSON.stringify(c.value)}`;
      return { ok: false, reason: `${c.field} is ${shown}, targeting needs ${wanted}` };
    }
  }
  return { ok: true };
}
