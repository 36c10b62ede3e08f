import type { Db } from '../store/db.ts';
import { latestTaxonomy } from '../store/taxonomies.ts';
import { DEFAULT_TAXONOMY, type Taxonomy } from './taxonomy.ts';
import { ThemeMatcher } from './themes.ts';

/** A workspace's current taxonomy and its compiled matcher. */
export interface CurrentTaxonomy {
  taxonomy: Taxonomy;
  matcher: ThemeMatcher;
}

let builtIn: CurrentTaxonomy | null = null;

/** The built-in taxonomy, compiled once, when first needed (not at start-up). */
export function builtInTaxonomy(): CurrentTaxonomy {
  builtIn ??= { taxonomy: DEFAULT_TAXONOMY, matcher: new ThemeMatcher(DEFAULT_TAXONOMY) };
  return builtIn;
}

/** What an analysis is made with, as one key: the model (or the lexicon) and the taxonomy version. */
export const basisKey = (modelId: string | null, taxonomyVersion: number) => `${modelId ?? 'lexicon'}@${taxonomyVersion}`;

/** The workspace's current taxonomy: its newest edit, else the built-in one (version 1). */
export async function workspaceTaxonomy(db: Db, workspaceId: string): Promise<Taxonomy> {
  const stored = await latestTaxonomy(db, workspaceId);
  return stored ? { version: stored.version, themes: stored.themes } : DEFAULT_TAXONOMY;
}

/** Theme names by id of a taxonomy; an id no longer in it reads as itself. */
export function themeNamer(taxonomy: Taxonomy): (id: string) => string {
  const names = new Map(taxonomy.themes.map((t) => [t.id, t.name]));
  return (id) => names.get(id) ?? id;
}

/** Compiles each workspace's taxonomy once per version (a matcher is a few hundred term forms). */
export class Taxonomies {
  private readonly cache = new Map<string, CurrentTaxonomy>();

  constructor(private readonly db: Db) {}

  async current(workspaceId: string): Promise<CurrentTaxonomy> {
    const taxonomy = await workspaceTaxonomy(this.db, workspaceId);
    if (taxonomy === DEFAULT_TAXONOMY) return builtInTaxonomy();
    const kept = this.cache.get(workspaceId);
    if (kept?.taxonomy.version === taxonomy.version) return kept;
    const entry = { taxonomy, matcher: new ThemeMatcher(taxonomy) };
    this.cache.set(workspaceId, entry);
    return entry;
  }
}
