import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId, randomBase62 } from '../domain/ids.ts';
import { DEFAULT_CHURN, type ChurnDefinition } from '../domain/churn.ts';
import { DEFAULT_STAGE_RULES, type StageRule } from '../domain/journey.ts';
import { DEFAULT_PREFERENCES, type Preferences } from '../domain/preferences.ts';
import { zoneOrUtc, type Zone } from '../domain/zoned-time.ts';
import { fromJson, toJson, type Db, type Tx } from './db.ts';

export type KeyKind = 'write' | 'secret';
export interface WorkspaceSettings {
  stageRules?: StageRule[];
  /** The fatigue policy: at most maxSurveys surveys per perDays days per person, across channels. */
  contactPolicy?: { maxSurveys: number; perDays: number };
  /** Where people reach this server: the base of survey links in emails and texts. */
  publicUrl?: string;
  smtp?: { host: string; port: number; secure?: boolean; user?: string | null; pass?: string | null; from: string };
  sms?: { url: string; accountSid: string; authToken: string; from: string };
  /** Who counts as churned in behaviour analyses and the churn-risk model. */
  churn?: ChurnDefinition;
  /** Currency, locale, time zone and industry (domain/preferences.ts). */
  preferences?: Partial<Preferences>;
}

// Keys carry 190 bits of randomness, so a fast hash is enough (a slow one protects guessable
// passwords); lookups by hash then stay one indexed read per request.
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}


export const KEY_PREFIX: Record<KeyKind, string> = { write: 'adv_pk_', secret: 'adv_sk_' };

export function keyKindOf(key: string): KeyKind | null {
  if (key.startsWith(KEY_PREFIX.write)) return 'write';
  if (key.startsWith(KEY_PREFIX.secret)) return 'secret';
  return null;
}

export async function createWorkspace(db: Db | Tx, name: string, now = Date.now()) {
  const id = newId('ws', now);
  await db.insertInto('workspaces').values({ id, name, settings: '{}', signing_secret: randomBytes(32).toString('base64url'), created_at: now }).execute();
  return { id, name, createdAt: now };
}

export async function listWorkspaces(db: Db) {
  return db.selectFrom('workspaces').select(['id', 'name', 'created_at']).orderBy('created_at').execute();
}

export async function findWorkspace(db: Db, idOrName: string) {
  return db.selectFrom('workspaces').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
}

/** Creates a key and returns it in full: the only moment it exists outside a hash. */
export async function createKey(db: Db | Tx, workspaceId: string, kind: KeyKind, name: string, now = Date.now()) {
  const key = KEY_PREFIX[kind] + randomBase62(32);
  const id = newId('key', now);
  const prefix = key.slice(0, 12);
  await db.insertInto('api_keys').values({ id, workspace_id: workspaceId, kind, name, key_hash: hashKey(key), prefix, created_at: now, revoked_at: null }).execute();
  return { id, kind, name, key, prefix, createdAt: now };
}

export async function listKeys(db: Db, workspaceId: string) {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'kind', 'name', 'prefix', 'created_at', 'revoked_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, prefix: r.prefix, createdAt: r.created_at, revokedAt: r.revoked_at }));
}

export async function revokeKey(db: Db, workspaceId: string, id: string, now = Date.now()): Promise<boolean> {
  const r = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export interface KeyPrincipal {
  keyId: string;
  workspaceId: string;
  kind: KeyKind;
}

export async function findKey(db: Db, key: string): Promise<KeyPrincipal | null> {
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'workspace_id', 'kind'])
    .where('key_hash', '=', hashKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? { keyId: row.id, workspaceId: row.workspace_id, kind: row.kind } : null;
}

/** The workspace's display name (the company name in survey wording when a survey sets none). */
export async function workspaceName(db: Db | Tx, workspaceId: string): Promise<string | null> {
  const row = await db.selectFrom('workspaces').select('name').where('id', '=', workspaceId).executeTakeFirst();
  return row?.name ?? null;
}

export async function settingsOf(db: Db | Tx, workspaceId: string): Promise<WorkspaceSettings> {
  const row = await db.selectFrom('workspaces').select('settings').where('id', '=', workspaceId).executeTakeFirst();
  return fromJson<WorkspaceSettings>(row?.settings, {});
}

export async function stageRulesOf(db: Db | Tx, workspaceId: string): Promise<StageRule[]> {
  return (await settingsOf(db, workspaceId)).stageRules ?? DEFAULT_STAGE_RULES;
}

export async function churnDefinitionOf(db: Db | Tx, workspaceId: string): Promise<ChurnDefinition> {
  return { ...DEFAULT_CHURN, ...(await settingsOf(db, workspaceId)).churn };
}

export async function preferencesOf(db: Db | Tx, workspaceId: string): Promise<Preferences> {
  return { ...DEFAULT_PREFERENCES, ...(await settingsOf(db, workspaceId)).preferences };
}

/** The time zone whose midnight starts the workspace's days (UTC when none or an unknown one is stored). */
export async function timeZoneOfWorkspace(db: Db | Tx, workspaceId: string): Promise<Zone> {
  return zoneOrUtc((await preferencesOf(db, workspaceId)).timeZone);
}

export async function updateSettings(db: Db, workspaceId: string, patch: Partial<WorkspaceSettings>): Promise<WorkspaceSettings> {
  const next = { ...(await settingsOf(db, workspaceId)), ...patch };
  await db.updateTable('workspaces').set({ settings: toJson(next) }).where('id', '=', workspaceId).execute();
  return next;
}

// The signing secret never changes once a workspace exists.
const secrets = new Map<string, string>();

/** The workspace's HMAC key for what it signs (survey links, erased addresses), or null when there is no such workspace. */
export async function signingSecret(db: Db | Tx, workspaceId: string): Promise<string | null> {
  const hit = secrets.get(workspaceId);
  if (hit) return hit;
  const row = await db.selectFrom('workspaces').select('signing_secret').where('id', '=', workspaceId).executeTakeFirst();
  if (!row) return null;
  secrets.set(workspaceId, row.signing_secret);
  return row.signing_secret;
}

/** The workspace's id, name and creation time, or null. */
export async function getWorkspace(db: Db, workspaceId: string) {
  const row = await db.selectFrom('workspaces').select(['id', 'name', 'created_at']).where('id', '=', workspaceId).executeTakeFirst();
  return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
}

/** A token that lets its holder, and only its holder, do one named thing to one object later. */
export async function signToken(db: Db | Tx, workspaceId: string, purpose: string, subject: string): Promise<string> {
  const secret = await signingSecret(db, workspaceId);
  if (secret == null) throw new Error(`no workspace ${workspaceId} to sign for`);
  return createHmac('sha256', secret).update(`${purpose}:${subject}`).digest('base64url');
}

export async function verifyToken(db: Db | Tx, workspaceId: string, purpose: string, subject: string, token: string): Promise<boolean> {
  const expected = Buffer.from(await signToken(db, workspaceId, purpose, subject));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
