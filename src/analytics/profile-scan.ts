import type { Facts } from '../domain/conditions.ts';
import type { Db } from '../store/db.ts';
import { profilesAfter } from '../store/profiles.ts';
import { contactPolicyOf, factsOf } from '../surveys/eligibility.ts';

/**
 * A value per live profile of a workspace (segment membership, a trait), computed from the same
 * facts survey targeting uses and kept for REFRESH_MS; after that the next read still gets the
 * kept values at once while fresh ones are computed, so no dashboard request waits for a whole
 * workspace to be read.
 */
const REFRESH_MS = 60_000;
// Small pages: on SQLite each page is read synchronously on the server's one thread.
const PAGE = 1_000;

export interface ProfileValues<T> {
  /** Profile id → value; profiles whose value is null are left out. */
  values: Map<string, T>;
  computedAt: number;
}

interface Entry {
  kept: ProfileValues<unknown>;
  refreshing: Promise<void> | null;
}

export class ProfileScan {
  private readonly cache = new Map<string, Entry>();

  constructor(private readonly db: Db) {}

  /**
   * The values under `key` (which must change when `valueOf` does, e.g. a segment's id and
   * version); `family` names the keys that replace each other, so old versions are dropped.
   */
  async of<T>(workspaceId: string, family: string, key: string, valueOf: (facts: Facts) => T | null): Promise<ProfileValues<T>> {
    const id = `${workspaceId}:${family}:${key}`;
    let entry = this.cache.get(id);
    if (!entry) {
      const kept = await this.compute(workspaceId, valueOf);
      for (const k of this.cache.keys()) if (k.startsWith(`${workspaceId}:${family}:`)) this.cache.delete(k);
      this.cache.set(id, (entry = { kept, refreshing: null }));
    } else if (Date.now() - entry.kept.computedAt > REFRESH_MS && !entry.refreshing) {
      const e = entry;
      e.refreshing = this.compute(workspaceId, valueOf)
        .then((kept) => {
          e.kept = kept;
        })
        .catch((err) => console.error(`advocate: profile scan ${family}`, err))
        .finally(() => {
          e.refreshing = null;
        });
    }
    return entry.kept as ProfileValues<T>;
  }

  private async compute<T>(workspaceId: string, valueOf: (facts: Facts) => T | null): Promise<ProfileValues<unknown>> {
    const now = Date.now();
    const { rules } = await contactPolicyOf(this.db, workspaceId, now);
    const values = new Map<string, T>();
    let after: string | null = null;
    for (;;) {
      const page = await profilesAfter(this.db, workspaceId, after, PAGE);
      for (const p of page) {
        const v = valueOf(factsOf(p, now, rules));
        if (v != null) values.set(p.id, v);
      }
      if (page.length < PAGE) return { values, computedAt: Date.now() };
      after = page[page.length - 1].id;
      await new Promise((r) => setImmediate(r));
    }
  }
}
