import { fieldValue } from '../domain/conditions.ts';
import { Dict, ERASED, type AnswerColumns } from './columns.ts';
import type { DimensionColumn } from './dimensions.ts';
import type { ProfileScan, ProfileValues } from './profile-scan.ts';
import { byProfileCode } from './segments.ts';

const MAX_VALUE = 200;
/** How deep nested traits are followed ("company.plan" is two). */
const MAX_DEPTH = 3;
const MAX_NAME = 200;
/** Traits offered: the ones most answers carry. */
const MAX_TRAITS = 50;
/** Values listed per trait: the most frequent; the rest are counted as `otherAnswers`. */
const MAX_VALUES = 20;
/** A trait with more distinct values than this, fewer than three answers each on average, identifies people (email, name): no picker. */
const IDENTIFIER_DISTINCT = 30;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

export interface TraitValueCount {
  value: string;
  /** Answers whose person has this value now. */
  answers: number;
}

export interface TraitSummary {
  name: string;
  /** Answers whose person has the trait set. */
  answers: number;
  distinct: number;
  values: TraitValueCount[];
  otherAnswers: number;
}

interface Catalogue {
  from: ProfileValues<Record<string, string>>;
  n: number;
  epoch: number;
  journal: number;
  items: TraitSummary[];
}

/** A profile's traits as filterable names and values, the way a trait column reads them (nested with dots). */
export function flatTraits(traits: unknown, prefix = '', depth = 1, out: Record<string, string> = {}): Record<string, string> {
  if (!traits || typeof traits !== 'object' || Array.isArray(traits)) return out;
  for (const [k, v] of Object.entries(traits as Record<string, unknown>)) {
    // A name with a dot of its own cannot be told from nesting by a filter (trait.a.b), so it is not offered.
    if (!k || k.includes('.')) continue;
    const name = prefix + k;
    if (name.length > MAX_NAME) continue;
    if (v != null && typeof v === 'object') {
      if (depth < MAX_DEPTH) flatTraits(v, `${name}.`, depth + 1, out);
    } else if (v != null && v !== '') out[name] = String(v).slice(0, MAX_VALUE);
  }
  return out;
}

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
  private readonly catalogues = new Map<string, Catalogue>();

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

  /**
   * The traits a workspace's answerers carry, each with its most frequent values and how many
   * answers each value would keep as a filter: what a trait picker offers. Read from the same kept
   * scan as the columns (refreshed in the background), and counted again only when answers or the
   * scan changed.
   */
  async catalogue(workspaceId: string, cols: AnswerColumns): Promise<TraitSummary[]> {
    const from = await this.scan.of(workspaceId, 'traits:all', '', (facts) => {
      const flat = flatTraits(facts.traits);
      return Object.keys(flat).length ? flat : null;
    });
    const kept = this.catalogues.get(workspaceId);
    if (kept && kept.from === from && kept.n === cols.n && kept.epoch === cols.journalEpoch && kept.journal === cols.journalLength) return kept.items;
    // Answers per person first, so each person's traits are read once however often they answered.
    const perProfile = new Int32Array(cols.profiles.labels.length);
    for (let i = 0; i < cols.n; i++) if (cols.category[i] !== ERASED) perProfile[cols.profile[i]]++;
    const counts = new Map<string, Map<string, number>>();
    for (let code = 1; code < perProfile.length; code++) {
      const answers = perProfile[code];
      const id = cols.profiles.labels[code];
      if (!answers || id == null) continue;
      const traits = from.values.get(id);
      if (!traits) continue;
      for (const [name, value] of Object.entries(traits)) {
        let byValue = counts.get(name);
        if (!byValue) counts.set(name, (byValue = new Map()));
        byValue.set(value, (byValue.get(value) ?? 0) + answers);
      }
    }
    const items: TraitSummary[] = [];
    for (const [name, byValue] of counts) {
      const sorted = [...byValue].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const total = sorted.reduce((sum, [, n]) => sum + n, 0);
      if (sorted.length > IDENTIFIER_DISTINCT && sorted.length * 3 > total) continue;
      // Moments (created_at, referral_invited_at) are for ranges and segments, not an "is" picker.
      if (sorted.every(([v]) => DATE_TIME.test(v))) continue;
      const values = sorted.slice(0, MAX_VALUES).map(([value, answers]) => ({ value, answers }));
      items.push({ name, answers: total, distinct: sorted.length, values, otherAnswers: total - values.reduce((sum, v) => sum + v.answers, 0) });
    }
    items.sort((a, b) => b.answers - a.answers || (a.name < b.name ? -1 : 1));
    const top = items.slice(0, MAX_TRAITS);
    this.catalogues.set(workspaceId, { from, n: cols.n, epoch: cols.journalEpoch, journal: cols.journalLength, items: top });
    return top;
  }
}
