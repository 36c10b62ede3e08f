import { evaluate, type Facts, type FieldCondition } from '../domain/conditions.ts';
import { decide, DEFAULT_CONTACT_POLICY, sampleKey, type ContactPolicy } from '../domain/fatigue.ts';
import { contactHistory, suppressionsFor } from '../store/contacts.ts';
import { fromJson, type Db } from '../store/db.ts';
import { addressesOf, computedTraits, findProfileId, getProfileRow } from '../store/profiles.ts';
import type { ProfileTable } from '../store/schema.ts';
import type { Survey } from '../store/surveys.ts';
import { settingsOf } from '../store/workspaces.ts';
import { DEFAULT_STAGE_RULES, type StageRule } from '../domain/journey.ts';

export interface PersonRef {
  profileId?: string | null;
  userId?: string | null;
  anonymousId?: string | null;
  email?: string | null;
  phone?: string | null;
}

export interface Person {
  ref: PersonRef;
  profile: ProfileTable | null;
  /** Addresses known for the person (for suppressions): the ref's and the profile's. */
  emails: string[];
  phones: string[];
}

export type Eligibility =
  | { ask: true; profileId: string | null }
  | { ask: false; code: string; reason: string; nextEligibleAt: number | null };

export interface CheckContext {
  channel: string;
  url?: string | null;
  /** The app screen the person is on (in-app surveys). */
  screen?: string | null;
  event?: string | null;
  now?: number;
  /** Conditions of this send on top of the survey's targeting (an audience run's filter). */
  conditions?: FieldCondition[];
}

/** Finds the profile behind any of the identifiers given (the first that is known wins). */
export async function resolvePerson(db: Db, workspaceId: string, ref: PersonRef): Promise<Person> {
  let profile: ProfileTable | null = null;
  if (ref.profileId) profile = await getProfileRow(db, workspaceId, ref.profileId);
  for (const [kind, value] of [['userId', ref.userId], ['anonymousId', ref.anonymousId], ['email', ref.email], ['phone', ref.phone]] as const) {
    if (profile || !value) continue;
    const id = await findProfileId(db, workspaceId, kind, value);
    if (id) profile = await getProfileRow(db, workspaceId, id);
  }
  const emails = new Set<string>();
  const phones = new Set<string>();
  if (ref.email) emails.add(ref.email.toLowerCase());
  if (ref.phone) phones.add(ref.phone);
  if (profile) {
    const known = (await addressesOf(db, workspaceId, [profile.id])).get(profile.id);
    for (const e of known?.emails ?? []) emails.add(e);
    for (const p of known?.phones ?? []) phones.add(p);
  }
  return { ref, profile, emails: [...emails], phones: [...phones] };
}

// Settings are read on every check; a few seconds of staleness across processes is fine.
const settingsCache = new Map<string, { at: number; policy: ContactPolicy; rules: StageRule[] }>();
export async function contactPolicyOf(db: Db, workspaceId: string, now = Date.now()) {
  const hit = settingsCache.get(workspaceId);
  if (hit && now - hit.at < 5_000) return hit;
  const s = await settingsOf(db, workspaceId);
  const entry = { at: now, policy: s.contactPolicy ?? DEFAULT_CONTACT_POLICY, rules: s.stageRules ?? DEFAULT_STAGE_RULES };
  settingsCache.set(workspaceId, entry);
  return entry;
}
export function forgetContactPolicy(workspaceId: string) {
  settingsCache.delete(workspaceId);
}

/** What targeting conditions read: traits, and the computed traits the profile API shows. */
export function factsOf(profile: ProfileTable | null, now: number, rules: StageRule[]): Facts {
  if (!profile) return { traits: {}, orderCount: 0, lifetimeRevenue: 0, journeyStage: null };
  const computed = computedTraits(profile, now, rules);
  return {
    traits: fromJson<Record<string, unknown>>(profile.traits, {}),
    ...computed,
    latestNpsScore: computed.latestNps?.score ?? null,
    latestNpsCategory: computed.latestNps?.category ?? null,
  };
}

const no = (code: string, reason: string, nextEligibleAt: number | null = null): Eligibility => ({ ask: false, code, reason, nextEligibleAt });

/**
 * Whether to ask this person this survey on this channel now, and if not, why. The order of the
 * checks is the order a person would ask about: is the survey on, is it for this page, did they
 * opt out, were they asked lately, are they in its audience, are they in its sample.
 */
export async function checkEligibility(db: Db, workspaceId: string, person: Person, survey: Survey, ctx: CheckContext): Promise<Eligibility> {
  const now = ctx.now ?? Date.now();
  const def = survey.definition;
  if (survey.status !== 'active') return no('survey_inactive', `not asked: survey "${survey.name}" is ${survey.status}`);
  const channel = def.channels[ctx.channel as keyof typeof def.channels];
  if (channel && !channel.enabled) return no('channel_off', `not asked: survey "${survey.name}" is not sent by ${ctx.channel}`);

  if (ctx.channel === 'web') {
    const web = def.channels.web;
    const url = ctx.url ?? '';
    if (web.urlContains.length && !web.urlContains.some((p) => url.includes(p))) return no('url', `not asked: this page is not one the survey targets (${web.urlContains.join(', ')})`);
    const excluded = web.urlExcludes.find((p) => url.includes(p));
    if (excluded) return no('url', `not asked: pages containing "${excluded}" are excluded`);
    if (web.onEvent && ctx.event !== web.onEvent) return no('event', `not asked: the survey shows right after "${web.onEvent}"`);
  }
  if (ctx.channel === 'app') {
    const app = def.channels.app;
    if (app.screens.length && !app.screens.includes(ctx.screen ?? '')) return no('screen', `not asked: this screen is not one the survey targets (${app.screens.join(', ')})`);
    if (app.onEvent && ctx.event !== app.onEvent) return no('event', `not asked: the survey shows right after "${app.onEvent}"`);
  }
  if (ctx.channel === 'email' && !person.emails.length) return no('no_address', 'not asked: no email address known for this person');
  if (ctx.channel === 'sms' && !person.phones.length) return no('no_address', 'not asked: no phone number known for this person');

  const { policy, rules } = await contactPolicyOf(db, workspaceId, now);
  const since = now - Math.max(policy.perDays, def.recontactDays) * 86_400_000;
  const [history, suppressions] = await Promise.all([
    person.profile ? contactHistory(db, workspaceId, person.profile.id, since) : Promise.resolve([]),
    suppressionsFor(db, workspaceId, person.profile?.id ?? null, [...person.emails, ...person.phones]),
  ]);
  const fatigue = decide({ policy, survey: { id: survey.id, recontactDays: def.recontactDays }, channel: ctx.channel, history, suppressions, now });
  if (!fatigue.ask) return fatigue;

  const key = person.profile?.id ?? person.ref.userId ?? person.ref.anonymousId ?? person.ref.email ?? person.ref.phone ?? '';
  const audience = audienceCheck(survey, factsOf(person.profile, now, rules), key, ctx.conditions);
  if (audience) return audience;
  return { ask: true, profileId: person.profile?.id ?? null };
}

/**
 * Whether a person is in the survey's audience (targeting, the send's own conditions, the sample):
 * no I/O, so an audience run can pass over the many who are not before looking up anyone's history.
 */
export function audienceCheck(survey: Survey, facts: Facts, personKey: string, conditions: FieldCondition[] = []): Eligibility | null {
  const def = survey.definition;
  const target = evaluate(conditions.length ? [...def.targeting, ...conditions] : def.targeting, facts);
  if (!target.ok) return no('targeting', `not asked: ${target.reason}`);
  if (def.sampleRate < 1 && sampleKey(personKey, survey.id) >= def.sampleRate) {
    return no('sample', `not asked: not in the survey's ${Math.round(def.sampleRate * 100)}% sample`);
  }
  return null;
}
