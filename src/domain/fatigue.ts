/**
 * One contact policy across channels. A person is asked at most `maxSurveys` times per `perDays`
 * days, whatever the channel (an email today blocks the web widget tomorrow), and a survey waits
 * its own recontact days before asking the same person again. Every "no" carries its reason in
 * words a CX lead can read back to a customer.
 */

export interface ContactPolicy {
  maxSurveys: number;
  perDays: number;
}
export const DEFAULT_CONTACT_POLICY: ContactPolicy = { maxSurveys: 1, perDays: 90 };

export interface PastContact {
  surveyId: string | null;
  channel: string;
  at: number;
  /** 'asked': a survey sent, shown or dismissed; 'answered': an answer, however it came. */
  kind: 'asked' | 'answered';
}

export interface Suppression {
  kind: 'unsubscribe' | 'bounce';
  channel: string;
  address: string;
  at: number;
  source: string;
}

export interface FatigueInput {
  policy: ContactPolicy;
  survey: { id: string; recontactDays: number };
  /** The channel about to be used. */
  channel: string;
  history: PastContact[];
  suppressions: Suppression[];
  now: number;
}

export type Decision =
  | { ask: true }
  | { ask: false; code: 'unsubscribed' | 'bounced' | 'contact_budget' | 'recontact'; reason: string; nextEligibleAt: number | null };

const DAY = 86_400_000;

export function ago(at: number, now: number): string {
  const days = Math.floor((now - at) / DAY);
  if (days <= 0) {
    const hours = Math.floor((now - at) / 3_600_000);
    return hours <= 0 ? 'just now' : `${hours} hour${hours === 1 ? '' : 's'} ago`;
  }
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

const day = (at: number) => new Date(at).toISOString().slice(0, 10);

export function decide(input: FatigueInput): Decision {
  const { policy, survey, channel, history, suppressions, now } = input;
  const unsub = suppressions.find((s) => s.kind === 'unsubscribe');
  if (unsub) {
    return { ask: false, code: 'unsubscribed', reason: `not asked: unsubscribed on ${day(unsub.at)} (${unsub.source})`, nextEligibleAt: null };
  }
  const bounce = suppressions.find((s) => s.kind === 'bounce' && s.channel === channel);
  if (bounce) {
    return { ask: false, code: 'bounced', reason: `not asked: ${channel === 'sms' ? 'phone number' : 'email address'} ${bounce.address} bounced on ${day(bounce.at)}`, nextEligibleAt: null };
  }

  // The window is the last perDays days, to the millisecond: a contact exactly perDays days old no
  // longer counts. A contact stamped after `now` counts too: another process's clock may run ahead.
  const windowStart = now - policy.perDays * DAY;
  const recent = history.filter((h) => h.at > windowStart).sort((a, b) => b.at - a.at);
  if (policy.maxSurveys <= 0 || recent.length >= policy.maxSurveys) {
    // The contact that frees a slot is the oldest of the last maxSurveys.
    const freeing = recent[Math.max(0, policy.maxSurveys - 1)] ?? recent[0];
    const shown = recent.find((h) => h.kind === 'answered') ?? recent[0];
    const verb = shown?.kind === 'answered' ? 'answered' : 'asked';
    const limit = `limit: ${policy.maxSurveys} survey${policy.maxSurveys === 1 ? '' : 's'} per ${policy.perDays} days`;
    return {
      ask: false,
      code: 'contact_budget',
      reason: shown ? `not asked: ${verb} ${ago(shown.at, now)} via ${shown.channel} (${limit})` : `not asked: surveys are switched off (${limit})`,
      nextEligibleAt: freeing ? freeing.at + policy.perDays * DAY : null,
    };
  }

  const same = history.filter((h) => h.surveyId === survey.id).sort((a, b) => b.at - a.at)[0];
  if (same && now - same.at < survey.recontactDays * DAY) {
    return {
      ask: false,
      code: 'recontact',
      reason: `not asked: ${same.kind === 'answered' ? 'answered' : 'asked'} this survey ${ago(same.at, now)} via ${same.channel} (it waits ${survey.recontactDays} days before asking again)`,
      nextEligibleAt: same.at + survey.recontactDays * DAY,
    };
  }
  return { ask: true };
}

/** A stable number in [0, 1) per person and survey, so sampling gives the same answer on every check. */
export function sampleKey(personKey: string, surveyId: string): number {
  let h = 0x811c9dc5;
  const s = `${surveyId}:${personKey}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV-1a leaves the high bits barely touched by the last characters, and ids made in the same
  // millisecond differ only there: without this final mix (MurmurHash3's), a 25% sample of
  // profiles created together came out as 0% or 50%.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}
