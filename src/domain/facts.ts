/**
 * What the bus announces: things that happened, committed, in commit order. A fact names what
 * changed (ids, and for events what a consumer filters on) and nothing a person could be
 * recognised by, so the log needs no rewriting when someone is erased; consumers read the rows
 * they need by id.
 */
export type Fact =
  | { type: 'profile.created'; profileId: string }
  | { type: 'profile.changed'; profileId: string }
  /** `profileId` was merged into `into` (its events, answers and identities are on `into` now). */
  | { type: 'profile.merged'; profileId: string; into: string }
  | { type: 'profile.erased'; profileId: string }
  /** An identifier of this kind (user, anon, email, phone, alias) now points at the profile. */
  | { type: 'identity.linked'; profileId: string; kind: string }
  | { type: 'event.stored'; eventId: string; profileId: string; eventType: string; name: string | null; timestamp: number }
  | { type: 'answer.created'; answerId: string; profileId: string }
  /** Its score, comment or profile changed. */
  | { type: 'answer.changed'; answerId: string; profileId: string }
  | { type: 'answer.erased'; answerId: string }
  /** Its comment's analysis (sentiment, themes) was stored, replaced or dropped. */
  | { type: 'answer.analyzed'; answerId: string };

export type FactType = Fact['type'];

/** The facts one transaction committed for one workspace, at their place in the log. */
export interface FactBatch {
  /** Commit position: larger means committed later. Gaps are normal (a rolled-back transaction). */
  position: number;
  workspaceId: string;
  /** When it was committed (ms), near enough. */
  at: number;
  facts: Fact[];
}

/**
 * What a batch holds, for skipping it unread: its fact types, and for events
 * `event.stored:<type>:<name>` (e.g. `event.stored:track:Order Completed`). Readers that want only
 * some facts look at these and decode only the batches that may hold them.
 */
export function factKeys(facts: Fact[]): string[] {
  const keys = new Set<string>();
  for (const f of facts) keys.add(f.type === 'event.stored' ? eventKey(f.eventType, f.name) : f.type);
  return [...keys];
}

export const eventKey = (eventType: string, name: string | null) => `event.stored:${eventType}:${name ?? ''}`;

/** Keys of the answer facts (see factKeys). */
export const ANSWER_KEYS = new Set<string>(['answer.created', 'answer.changed', 'answer.erased']);
/** The same and analyses: what readers of answers with their comments' analysis want. */
export const ANALYZED_ANSWER_KEYS = new Set<string>([...ANSWER_KEYS, 'answer.analyzed']);

/*
 * Stored as one JSON array of tuples per batch (a projection step announces an event.stored per
 * event, so the names of fields would be most of the log).
 */
type Tuple = [string, ...Array<string | number | null>];

export function encodeFacts(facts: Fact[]): string {
  const out: Tuple[] = facts.map((f) => {
    switch (f.type) {
      case 'event.stored':
        return [f.type, f.eventId, f.profileId, f.eventType, f.name, f.timestamp];
      case 'answer.created':
      case 'answer.changed':
        return [f.type, f.answerId, f.profileId];
      case 'answer.erased':
      case 'answer.analyzed':
        return [f.type, f.answerId];
      case 'profile.merged':
        return [f.type, f.profileId, f.into];
      case 'identity.linked':
        return [f.type, f.profileId, f.kind];
      default:
        return [f.type, f.profileId];
    }
  });
  return JSON.stringify(out);
}

export function decodeFacts(text: string): Fact[] {
  const out: Fact[] = [];
  for (const t of JSON.parse(text) as Tuple[]) {
    const s = (i: number) => String(t[i]);
    switch (t[0]) {
      case 'event.stored':
        out.push({ type: 'event.stored', eventId: s(1), profileId: s(2), eventType: s(3), name: t[4] == null ? null : s(4), timestamp: Number(t[5]) });
        break;
      case 'answer.created':
      case 'answer.changed':
        out.push({ type: t[0], answerId: s(1), profileId: s(2) });
        break;
      case 'answer.erased':
      case 'answer.analyzed':
        out.push({ type: t[0], answerId: s(1) });
        break;
      case 'profile.merged':
        out.push({ type: 'profile.merged', profileId: s(1), into: s(2) });
        break;
      case 'identity.linked':
        out.push({ type: 'identity.linked', profileId: s(1), kind: s(2) });
        break;
      case 'profile.created':
      case 'profile.changed':
      case 'profile.erased':
        out.push({ type: t[0], profileId: s(1) });
        break;
      // A fact type this version does not know (written by a newer one) is passed over.
    }
  }
  return out;
}

/**
 * What a run of facts did to answers, in order: the ids to read again (created or changed, and
 * still there at the end) and the ids to drop. Later facts win over earlier ones.
 */
export function answerChanges(batches: Iterable<FactBatch>, options: { analyzed?: boolean } = {}): { upserted: string[]; erased: string[] } {
  const last = new Map<string, boolean>();
  for (const b of batches) {
    for (const f of b.facts) {
      if (f.type === 'answer.created' || f.type === 'answer.changed' || (options.analyzed && f.type === 'answer.analyzed')) {
        last.delete(f.answerId);
        last.set(f.answerId, true);
      } else if (f.type === 'answer.erased') {
        last.delete(f.answerId);
        last.set(f.answerId, false);
      }
    }
  }
  const upserted: string[] = [];
  const erased: string[] = [];
  for (const [id, kept] of last) (kept ? upserted : erased).push(id);
  return { upserted, erased };
}
