import { AppError } from '../domain/errors.ts';
import { fromJson, toJson, writeTransactionOn, type Db } from './db.ts';
import type { TaxonomyTable } from './schema.ts';

/** What the store keeps of a taxonomy version (src/text/taxonomy.ts Theme). */
export interface StoredTheme {
  id: string;
  name: string;
  terms: string[];
  exclusions: string[];
}

export interface StoredTaxonomy {
  version: number;
  themes: StoredTheme[];
  createdAt: number;
  createdBy: string | null;
}

/** The newest stored version of a workspace's taxonomy, or null while it uses the built-in one. */
export async function latestTaxonomy(db: Db, workspaceId: string): Promise<StoredTaxonomy | null> {
  const row = await db.selectFrom('taxonomies').selectAll().where('workspace_id', '=', workspaceId).orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row ? storedOf(row) : null;
}

/** One stored version of a workspace's taxonomy, or null when it has none of that number. */
export async function taxonomyVersion(db: Db, workspaceId: string, version: number): Promise<StoredTaxonomy | null> {
  const row = await db.selectFrom('taxonomies').selectAll().where('workspace_id', '=', workspaceId).where('version', '=', version).executeTakeFirst();
  return row ? storedOf(row) : null;
}

function storedOf(row: TaxonomyTable): StoredTaxonomy {
  // Numbers come back as strings from PostgreSQL's bigint columns.
  return { version: Number(row.version), themes: fromJson(row.themes, []), createdAt: Number(row.created_at), createdBy: row.created_by };
}

/** Every stored version, newest first, without the themes. */
export async function taxonomyVersions(db: Db, workspaceId: string): Promise<Array<{ version: number; themes: number; createdAt: number; createdBy: string | null }>> {
  const rows = await db.selectFrom('taxonomies').selectAll().where('workspace_id', '=', workspaceId).orderBy('version', 'desc').limit(100).execute();
  return rows.map((r) => ({ version: Number(r.version), themes: fromJson<unknown[]>(r.themes, []).length, createdAt: Number(r.created_at), createdBy: r.created_by }));
}

/**
 * Stores a new version (the one after the newest, or after `builtIn` for the first edit) and
 * makes it current. Two edits at once get consecutive versions (writeTransactionOn).
 */
export async function saveTaxonomy(db: Db, workspaceId: string, themes: StoredTheme[], builtIn: number, createdBy: string | null, options: { basedOn?: number; now?: number } = {}): Promise<StoredTaxonomy> {
  const now = options.now ?? Date.now();
  return writeTransactionOn(db, `taxonomy:${workspaceId}`, async (tx) => {
    const row = await tx.selectFrom('taxonomies').select((eb) => eb.fn.max('version').as('v')).where('workspace_id', '=', workspaceId).executeTakeFirst();
    // The workspace's own newest version stays its current one when a release raises the built-in
    // version past it; the next is above both, so no number means two lists in one workspace.
    const current = row?.v != null ? Number(row.v) : builtIn;
    // Checked under the lock: an edit made from an older list would undo, unseen, what a colleague saved meanwhile.
    if (options.basedOn !== undefined && options.basedOn !== current) {
      throw new AppError('conflict', `body.basedOn: the themes are at version ${current} now, not ${options.basedOn}: someone saved them meanwhile; load them again and redo the edit`, { field: 'body.basedOn' });
    }
    const version = Math.max(builtIn, current) + 1;
    await tx.insertInto('taxonomies').values({ workspace_id: workspaceId, version, themes: toJson(themes), created_at: now, created_by: createdBy }).execute();
    return { version, themes, createdAt: now, createdBy };
  });
}
