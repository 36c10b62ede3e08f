import type { ProfileTable } from './schema.ts';

/** An identity as projection reads it: whose it is, and its soft component. */
export interface CachedIdentity {
  profile_id: string;
  component: string | null;
}

/** A profile row as projection reads it (traits as stored JSON, so a reader gets its own copy). */
export type CachedProfile = Omit<ProfileTable, 'merged_into'>;

// Bounds on what is kept: identities by count (~150 bytes each), profiles by the size of their
// stored traits. Past a bound the oldest quarter goes (Map order is the order of last write).
const MAX_IDENTITIES = Number(process.env.ADVOCATE_CACHE_IDENTITIES ?? 400_000);
const MAX_PROFILE_BYTES = Number(process.env.ADVOCATE_CACHE_PROFILE_MB ?? 64) * 1024 * 1024;
const PROFILE_OVERHEAD = 300;

const idKey = (workspaceId: string, kind: string, value: string) => `${workspaceId}\u0000${kind}\u0000${value}`;

/** An entry naming a profile merged away or a component joined to another is stale: unknown. */
function live(hit: CachedIdentity | null | undefined, mergedAway: Set<string>, relabeled: Set<string>) {
  return hit && (mergedAway.has(hit.profile_id) || (hit.component != null && relabeled.has(hit.component))) ? undefined : hit;
}

/**
 * Committed identities and profiles, kept between projection transactions by a SQLite file's
 * writer, so that the people a stream keeps naming are not read back from the database in every
 * transaction (those reads were about a fifth of projection's time).
 *
 * What is kept is only what a transaction read or wrote, and a transaction's part enters only
 * after its commit (`Staged.commit`). Every write to these tables appends facts to the bus in the
 * same transaction (store/facts.ts), so the head position of the facts tells whether anyone else
 * wrote since: a command, a transaction that went message by message, another process importing
 * into the same file. A transaction that starts at another head than the last one kept here
 * starts with nothing kept. Merges and component joins repoint rows in bulk: they leave tombstones
 * so that an entry naming the old profile or component counts as unknown; a split (rare) clears
 * everything. PostgreSQL, shared by processes, keeps nothing.
 */
export class ProjectionCache {
  private identities = new Map<string, CachedIdentity | null>();
  private profiles = new Map<string, CachedProfile>();
  private profileBytes = 0;
  /** Profiles merged into others and components joined to others: entries naming them are stale. */
  private mergedAway = new Set<string>();
  private relabeled = new Set<string>();
  /** The facts head after the last commit whose part was kept. */
  private head = -1;

  /** Drops everything: the tables may have changed without this cache seeing how. */
  clear(): void {
    this.identities = new Map();
    this.profiles = new Map();
    this.profileBytes = 0;
    this.mergedAway = new Set();
    this.relabeled = new Set();
    this.head = -1;
  }

  /** A write transaction's view, given the facts head it found under the write lock. */
  begin(head: number): Staged {
    if (head !== this.head) this.clear();
    return new Staged(this);
  }

  /** undefined: not known here; null: known not to exist. */
  identity(workspaceId: string, kind: string, value: string): CachedIdentity | null | undefined {
    return live(this.identities.get(idKey(workspaceId, kind, value)), this.mergedAway, this.relabeled);
  }

  profile(id: string): CachedProfile | undefined {
    return this.mergedAway.has(id) ? undefined : this.profiles.get(id);
  }

  /** @internal Staged.commit */
  apply(s: Staged, head: number): void {
    if (s.dirty) {
      this.clear();
      return;
    }
    this.head = head;
    for (const id of s.mergedAway) this.mergedAway.add(id);
    for (const c of s.relabeled) this.relabeled.add(c);
    for (const [k, v] of s.identities) {
      this.identities.delete(k);
      this.identities.set(k, v);
    }
    for (const [id, row] of s.profiles) this.putProfile(id, row);
    for (const id of s.dropped) this.dropProfile(id);
    if (this.identities.size > MAX_IDENTITIES) trimOldest(this.identities, this.identities.size / 4);
    if (this.profileBytes > MAX_PROFILE_BYTES) {
      for (const id of [...this.profiles.keys()].slice(0, Math.ceil(this.profiles.size / 4))) this.dropProfile(id);
    }
    // Tombstones only matter while entries may name them; they go with the entries.
    if (this.mergedAway.size + this.relabeled.size > MAX_IDENTITIES / 4) this.clear();
  }

  private putProfile(id: string, row: CachedProfile) {
    this.dropProfile(id);
    this.profiles.set(id, row);
    this.profileBytes += row.traits.length + PROFILE_OVERHEAD;
  }

  private dropProfile(id: string) {
    const old = this.profiles.get(id);
    if (!old) return;
    this.profiles.delete(id);
    this.profileBytes -= old.traits.length + PROFILE_OVERHEAD;
  }
}

function trimOldest<K, V>(map: Map<K, V>, count: number) {
  let n = Math.ceil(count);
  for (const k of map.keys()) {
    if (n-- <= 0) break;
    map.delete(k);
  }
}

/** One transaction's use of the cache. Reads see only committed entries; writes wait for commit. */
export class Staged {
  readonly identities = new Map<string, CachedIdentity | null>();
  readonly profiles = new Map<string, CachedProfile>();
  readonly dropped = new Set<string>();
  readonly mergedAway = new Set<string>();
  readonly relabeled = new Set<string>();
  /** Set when this transaction changed rows in ways not staged here: the cache is cleared at its end. */
  dirty = false;

  constructor(private readonly cache: ProjectionCache) {}

  // What this transaction wrote comes first: it is newer than anything committed.
  identity(workspaceId: string, kind: string, value: string): CachedIdentity | null | undefined {
    if (this.dirty) return undefined;
    const k = idKey(workspaceId, kind, value);
    const hit = this.identities.has(k) ? this.identities.get(k) : this.cache.identity(workspaceId, kind, value);
    return live(hit, this.mergedAway, this.relabeled);
  }

  profile(id: string): CachedProfile | undefined {
    if (this.dirty || this.dropped.has(id) || this.mergedAway.has(id)) return undefined;
    return this.profiles.get(id) ?? this.cache.profile(id);
  }

  /** An identity read from the database or written (null: looked for, not there). */
  putIdentity(workspaceId: string, kind: string, value: string, row: CachedIdentity | null): void {
    this.identities.set(idKey(workspaceId, kind, value), row);
  }

  putProfile(row: CachedProfile): void {
    this.dropped.delete(row.id);
    this.profiles.set(row.id, row);
  }

  /** A profile changed after it was staged (its NPS recomputed from its answers, say). */
  dropProfile(id: string): void {
    this.profiles.delete(id);
    this.dropped.add(id);
  }

  merged(loser: string): void {
    this.dropProfile(loser);
    this.mergedAway.add(loser);
  }

  relabel(component: string): void {
    this.relabeled.add(component);
  }

  /** After the transaction committed, with the facts head it left. */
  commit(head: number): void {
    this.cache.apply(this, head);
  }
}
