import { fieldValue } from '../domain/conditions.ts';
import { Dict, type AnswerColumns } from './columns.ts';
import type { DimensionColumn } from './dimensions.ts';
import type { ProfileScan, ProfileValues } from './profile-scan.ts';
import { byProfileCode } from './segments.ts';

const MAX_VALUE = 200;

interface Kept {
  from: ProfileValues<string>;
  dict: Dict;
  /** Value code per profile code */
  byProfile: Uint32Array;
  coded: number;
}

/**
 * A trait as a dimension of the answers ("trait.plan"): each answer gets its person's current
 * value of the trait, so NPS can be broken down by anything a profile carries. Values come from a
 * ProfileScan (kept a minute, then refreshed in the background); nested traits use dots.
 */
export class TraitColumns {
  private readonly kept = new Map<string, Kept>();

  constructor(private readonly scan: ProfileScan) {}

  async column(workspaceId: string, key: string, cols: AnswerColumns): Promise<DimensionColumn> {
    const values = await this.scan.of(workspaceId, `trait:${key}`, '', (facts) => {
      const v = fieldValue(facts, `traits.${key}`);
      return v == null || typeof v === 'object' || v === '' ? null : String(v).slice(0, MAX_VALUE);
    });
    const id = `${workspaceId}:${key}`;
    let k = this.kept.get(id);
    if (!k || k.from !== values) this.kept.set(id, (k = { from: values, dict: new Dict(), byProfile: new Uint32Array(0), coded: 0 }));
    const dict = k.dict;
    k.byProfile = byProfileCode(cols, values.values, k.byProfile, k.coded, (v) => dict.code(v), Uint32Array);
    k.coded = cols.profiles.labels.length;
    // Per answer, from its person now (merges move answers between people, so this is not kept).
    const codes = new Uint32Array(cols.n);
    const { profile } = cols;
    for (let i = 0; i < cols.n; i++) codes[i] = k.byProfile[profile[i]];
    return { codes, labels: dict.labels, ordered: false };
  }
}
