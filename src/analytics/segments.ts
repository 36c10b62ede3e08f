import { evaluate } from '../domain/conditions.ts';
import type { Db } from '../store/db.ts';
import { profilesAfter } from '../store/profiles.ts';
import type { Segment } from '../store/segments.ts';
import { contactPolicyOf, factsOf } from '../surveys/eligibility.ts';
import type { AnswerColumns } from './columns.ts';

/**
 * Who is in a segment, as a byte per profile code of the answer columns, so a figure filtered by a
 * segment is one more array lookup per answer.
 *
 * Membership is computed from every live profile (the same conditions and facts as survey
 * targeting) and kept for REFRESH_MS; after that the next read still gets the kept one at once
 * while a fresh one is computed, so no dashboard request waits for a whole workspace to be read.
 */
const REFRESH_MS = 60_000;
// Small pages: on SQLite each page is read synchronously on the server's one thread.
const PAGE = 1_000;

interface Membership {
  computedAt: number;
  members: Set<string>;
  /** members by profile code, filled up to `coded` codes */
  bits: Uint8Array;
  coded: number;
  refreshing: Promise<void> | null;
}

export class SegmentMembers {
  private readonly cache = new Map<string, Membership>();

  constructor(private readonly db: Db) {}

  /** Members by profile code of `cols`, and how many people are in the segment. */
  async of(segment: Segment, cols: AnswerColumns): Promise<{ people: Uint8Array; size: number }> {
    const key = `${segment.id}@${segment.updatedAt}`;
    let m = this.cache.get(key);
    if (!m) {
      m = { computedAt: 0, members: await this.compute(segment), bits: new Uint8Array(0), coded: 0, refreshing: null };
      m.computedAt = Date.now();
      for (const k of this.cache.keys()) if (k.startsWith(`${segment.id}@`)) this.cache.delete(k);
      this.cache.set(key, m);
    } else if (Date.now() - m.computedAt > REFRESH_MS && !m.refreshing) {
      const entry = m;
      entry.refreshing = this.compute(segment).then((members) => {
        entry.members = members;
        entry.coded = 0;
        entry.computedAt = Date.now();
      }).catch((err) => console.error(`advocate: segment ${segment.id}`, err)).finally(() => {
        entry.refreshing = null;
      });
    }
    const labels = cols.profiles.labels;
    if (m.bits.length < labels.length) {
      const bigger = new Uint8Array(Math.max(labels.length, m.bits.length * 2, 1024));
      bigger.set(m.bits.subarray(0, m.coded));
      m.bits = bigger;
    }
    for (let code = m.coded; code < labels.length; code++) m.bits[code] = labels[code] != null && m.members.has(labels[code]!) ? 1 : 0;
    m.coded = labels.length;
    return { people: m.bits, size: m.members.size };
  }

  private async compute(segment: Segment): Promise<Set<string>> {
    const now = Date.now();
    const { rules } = await contactPolicyOf(this.db, segment.workspaceId, now);
    const members = new Set<string>();
    let after: string | null = null;
    for (;;) {
      const page = await profilesAfter(this.db, segment.workspaceId, after, PAGE);
      for (const p of page) if (evaluate(segment.conditions, factsOf(p, now, rules)).ok) members.add(p.id);
      if (page.length < PAGE) return members;
      after = page[page.length - 1].id;
      await new Promise((r) => setImmediate(r));
    }
  }
}
