import { normaliseEmail, normalisePhone } from './identifiers.ts';

/** A person's identifiers as identity resolution stores them (emails lower-cased, phones as digits with their +). */
export interface PersonIdentifiers {
  userIds: string[];
  anonymousIds: string[];
  emails: string[];
  phones: string[];
}

const WORD = /[A-Za-z0-9]/;

/** `needle` in `text` as a whole token: "u1" is not in "u12", nor "ann@x.io" in "joann@x.io". */
function hasToken(text: string, needle: string): boolean {
  if (!needle) return false;
  const guardStart = WORD.test(needle[0]);
  const guardEnd = WORD.test(needle[needle.length - 1]);
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
    if (guardStart && i > 0 && WORD.test(text[i - 1])) continue;
    const after = i + needle.length;
    if (guardEnd && after < text.length && WORD.test(text[after])) continue;
    return true;
  }
  return false;
}

// An id this long is distinctive as a token of free text (a messageId, an error); a shorter one
// ("42", "u1") counts only as a whole JSON string of the message.
const DISTINCTIVE_ID = 6;

/**
 * Whether a message kept as it came (an ingestion error: the message as JSON text, perhaps cut
 * short, plus its messageId and error text) names the person: a value of the message is one of
 * their identifiers once normalised (which finds "+1 (555) 010-7788" for +15550107788 and
 * "Ada@Example.com" for ada@example.com wherever the message put them), or an email or phone, or
 * a distinctive id, appears as a token of the text.
 */
export function mentionsPerson(person: PersonIdentifiers, json: string, texts: Array<string | null>): boolean {
  const ids = new Set([...person.userIds, ...person.anonymousIds]);
  const emails = new Set(person.emails);
  const phones = new Set(person.phones);
  const addresses = [...emails, ...phones];
  const lowerJson = json.toLowerCase();
  for (const id of ids) if (json.includes(JSON.stringify(id))) return true;
  for (const a of addresses) if (hasToken(lowerJson, JSON.stringify(a).slice(1, -1))) return true;
  for (const t of texts) {
    if (!t) continue;
    const lower = t.toLowerCase();
    for (const a of addresses) if (hasToken(lower, a)) return true;
    for (const id of ids) if (id.length >= DISTINCTIVE_ID && hasToken(t, id)) return true;
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return false; // cut short: only the text search above applies
  }
  // A stack, not recursion: a message may nest deeper than the call stack goes.
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string' || typeof v === 'number') {
      if (ids.has(String(v))) return true;
      const email = normaliseEmail(v);
      if (email && emails.has(email)) return true;
      const phone = normalisePhone(v);
      if (phone && phones.has(phone)) return true;
    } else if (v && typeof v === 'object') {
      for (const x of Object.values(v)) stack.push(x);
    }
  }
  return false;
}
