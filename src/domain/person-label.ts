// How a person is named wherever they appear (answers, the live feed, profiles, the dashboard):
// one rule, so a customer reads the same everywhere. Pure: the dashboard imports it too.

/** What there is to call a person by; each null when unknown. */
export interface PersonNames {
  name: string | null;
  email: string | null;
  phone: string | null;
}

/** Longest label shown; traits are untrusted and a 10,000-character "name" must not swamp a list. */
const MAX_LABEL = 80;

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/**
 * The person's name, email and phone from their traits (Segment's `name`, or first and last name),
 * with identifiers the profile holds as a fallback for an email or phone that never became a trait.
 * Null when none is known: the person is anonymous.
 */
export function personNames(traits: Record<string, unknown>, identifiers: { email?: string | null; phone?: string | null } = {}): PersonNames | null {
  const full = [text(traits.firstName) ?? text(traits.first_name), text(traits.lastName) ?? text(traits.last_name)].filter(Boolean).join(' ');
  const person = {
    name: text(traits.name) ?? (full || null),
    email: text(traits.email) ?? text(identifiers.email),
    phone: text(traits.phone) ?? text(identifiers.phone),
  };
  return person.name || person.email || person.phone ? person : null;
}

/** The last characters of a profile id: its random part, enough to tell two anonymous people apart. */
export function shortId(profileId: string): string {
  return profileId.slice(-6);
}

/** Name, else email, else phone, else the userId, else "Anonymous" and a short id. */
export function personLabel(person: PersonNames | null | undefined, profileId: string, userId?: string | null): string {
  const label = person?.name ?? person?.email ?? person?.phone ?? text(userId) ?? `Anonymous ${shortId(profileId)}`;
  const chars = [...label]; // by code point, so an emoji is never cut in half
  return chars.length > MAX_LABEL ? `${chars.slice(0, MAX_LABEL - 1).join('')}…` : label;
}
