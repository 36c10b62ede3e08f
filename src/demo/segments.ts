import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FieldCondition } from '../domain/conditions.ts';
import type { Db } from '../store/db.ts';
import { createSegment, type Segment } from '../store/segments.ts';
import { Condition } from '../domain/survey-definition.ts';

// Saved segments that point at the demo's story: unhappy customers the shop can still win back,
// happy ones it has not yet asked to spread the word, and valuable ones slipping away.

export const VIP_REVENUE = 500;
export const LAPSED_DAYS = 90;
export const STILL_BUYING_DAYS = 60;

export const DEMO_SEGMENTS: ReadonlyArray<{ name: string; conditions: FieldCondition[] }> = [
  {
    name: 'Detractors who still buy',
    conditions: [
      { field: 'latestNpsCategory', op: 'eq', value: 'detractor' },
      { field: 'daysSinceLastOrder', op: 'lte', value: STILL_BUYING_DAYS },
    ],
  },
  {
    name: 'Promoters never asked for a referral',
    conditions: [
      { field: 'latestNpsCategory', op: 'eq', value: 'promoter' },
      // Written by the email tool when the "Refer a Friend" campaign is sent to someone.
      { field: 'traits.referral_invited_at', op: 'not_exists' },
    ],
  },
  {
    name: 'Lapsed VIPs',
    conditions: [
      { field: 'lifetimeRevenue', op: 'gte', value: VIP_REVENUE },
      { field: 'daysSinceLastOrder', op: 'gte', value: LAPSED_DAYS },
    ],
  },
];

const Conditions = Type.Array(Condition, { minItems: 1, maxItems: 50 });

export async function createDemoSegments(db: Db, workspaceId: string, now = Date.now()): Promise<Segment[]> {
  const out: Segment[] = [];
  for (const [i, s] of DEMO_SEGMENTS.entries()) {
    const error = Value.Errors(Conditions, s.conditions).First();
    if (error) throw new Error(`demo segment "${s.name}": ${error.path} ${error.message}`);
    // A millisecond apart, so they list in this order.
    out.push(await createSegment(db, workspaceId, s.name, s.conditions, now + i));
  }
  return out;
}
